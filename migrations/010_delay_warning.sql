-- SPDX-License-Identifier: Apache-2.0
-- 010: the queue's optional delay warning (queue.delay_warning): a recipient
-- still pending that long after acceptance is reported to the sender once,
-- in an RFC 3464 report with Action: delayed.
ALTER TABLE queue.recipients ADD COLUMN delay_warned boolean NOT NULL DEFAULT false;
