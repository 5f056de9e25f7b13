-- SPDX-License-Identifier: Apache-2.0
-- 008: queue operations (mailctl queue, the mta's Queue API) and the end of
-- finished jobs. Applied by mail-migrate in one transaction; see docs/schema.md.
--
-- The Queue API lists unfinished jobs filtered by sender, by a pending
-- recipient, by destination and by state, oldest first, and holds,
-- releases, retries and deletes legs by job or by destination. These
-- indexes keep each of those an index lookup with 100,000 jobs queued
-- (bench/queue-list measures it). All are partial: the rows of finished
-- jobs, kept for queue.keep_finished, stay out of them.
--   by destination: legs_destination (007) already serves it;
--   oldest first:   jobs_queued (007), on received_at.
CREATE INDEX jobs_sender ON queue.jobs(sender, received_at) WHERE state = 'queued';
CREATE INDEX recipients_address ON queue.recipients(address) WHERE state = 'pending';
CREATE INDEX legs_held ON queue.legs(job_id) WHERE state = 'held';

-- The mta removes finished jobs queue.keep_finished after they finished,
-- oldest first, in batches (SKIP LOCKED: several mtas may sweep at once);
-- their recipients, legs and attempts go by cascade, and their bodies are
-- then unreferenced blobs for the mda's store sweep (store.sweep_blobs).
CREATE INDEX jobs_finished ON queue.jobs(finished_at) WHERE state = 'done';

-- The exactly-once rows of a removed job go with it (003: "may go once
-- their job is gone from queue.jobs": no Deliver can name a finished job).
GRANT SELECT, DELETE ON store.deliveries TO mail_mta;
