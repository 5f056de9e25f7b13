-- SPDX-License-Identifier: Apache-2.0
-- store.expunged keeps each expunge (UID and MODSEQ) for QRESYNC's VANISHED
-- and for sessions on other replicas, for store.expunged_retention; the
-- mda's store sweep purges older rows (store::purge_expunged). A mailbox
-- remembers the highest MODSEQ it purged: a client whose state is older
-- than that gets the full resynchronisation (every UID it knows that is no
-- longer in the mailbox), never a silently incomplete VANISHED.
ALTER TABLE store.expunged ADD COLUMN expunged_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX expunged_at ON store.expunged(expunged_at);
ALTER TABLE store.mailboxes ADD COLUMN expunged_horizon bigint NOT NULL DEFAULT 0;
