-- SPDX-License-Identifier: Apache-2.0
-- 003: what the IMAP server needs from the store (RFC 3501, 6154 SPECIAL-USE,
-- 7162 CONDSTORE/QRESYNC, 4315 UIDPLUS, 6851 MOVE, 9208 QUOTA), and the end
-- of a leak: expunged messages and their blobs are now freed, by the mda's
-- mark-and-sweep after a grace period (orphaned_at, store.sweep_blobs).
-- Applied by mail-migrate in one transaction; see docs/schema.md.

-- Per-account state. last_uidvalidity is the highest UIDVALIDITY the account
-- ever handed out: a new (or renamed) mailbox gets max(epoch, last + 1), so a
-- name deleted and re-created within one second never reuses a UIDVALIDITY.
-- Its row lock serializes mailbox creation per account; lock order is
-- account_state, then mailbox rows (in id order), then quota_usage.
CREATE TABLE store.account_state (
  account_id        bigint PRIMARY KEY REFERENCES directory.accounts(id) ON DELETE CASCADE,
  last_uidvalidity  bigint NOT NULL DEFAULT 0,
  defaults_created  boolean NOT NULL DEFAULT false   -- INBOX, Drafts, Sent, Trash, Junk, Archive exist
);
-- Accounts that already have mailboxes keep their UIDVALIDITYs below the counter.
INSERT INTO store.account_state(account_id, last_uidvalidity)
  SELECT account_id, max(uidvalidity) FROM store.mailboxes GROUP BY account_id;

ALTER TABLE store.mailboxes
  ADD COLUMN special_use text CHECK (special_use IN ('\Drafts', '\Sent', '\Trash', '\Junk', '\Archive')),
  ADD COLUMN recent_uid bigint NOT NULL DEFAULT 1,          -- first UID still \Recent
  ADD COLUMN bytes bigint NOT NULL DEFAULT 0,               -- sum of messages.size over the index
  ADD COLUMN keywords text[] NOT NULL DEFAULT '{}';         -- keywords ever set here (FLAGS, PERMANENTFLAGS)
UPDATE store.mailboxes b SET bytes = COALESCE((SELECT sum(m.size) FROM store.mail_index i
  JOIN store.messages m ON m.id = i.message_id WHERE i.mailbox_id = b.id), 0),
  keywords = ARRAY(SELECT DISTINCT k FROM store.mail_index i, unnest(i.keywords) k WHERE i.mailbox_id = b.id);
-- At most one mailbox per special use and account.
CREATE UNIQUE INDEX mailboxes_special_use ON store.mailboxes(account_id, special_use) WHERE special_use IS NOT NULL;

-- RFC 3501 allows subscribing to names that do not exist (any more).
CREATE TABLE store.subscriptions (
  account_id  bigint NOT NULL REFERENCES directory.accounts(id) ON DELETE CASCADE,
  name        text NOT NULL,
  PRIMARY KEY (account_id, name)
);

-- Mark: expunge (and DELETE of a mailbox, MOVE's source side) sets
-- orphaned_at on a message whose last index row it removed (COPY shares one
-- messages row between mailboxes); whatever adds an index row clears it.
-- Sweep: the mda deletes messages orphaned for longer than store.sweep_grace
-- that still have no index row, then blobs nothing refers to. Until then a
-- session that has not yet been told of the expunge may still COPY or FETCH
-- the message. These make "who still refers to it" an index lookup.
ALTER TABLE store.messages ADD COLUMN orphaned_at timestamptz;
CREATE INDEX messages_orphaned ON store.messages(orphaned_at) WHERE orphaned_at IS NOT NULL;
CREATE INDEX mail_index_message ON store.mail_index(message_id);
CREATE INDEX messages_blob ON store.messages(blob_id);

-- Exactly-once delivery outlives the message: when a message is deleted its
-- store.deliveries rows stay, with message_id NULL, so that a repeated
-- Deliver of the same (job, recipient, account) still finds its row and
-- stores nothing. The rows are as many as the queue's recipients and may go
-- once their job is gone from queue.jobs (no Deliver can name it then).
ALTER TABLE store.deliveries ALTER COLUMN message_id DROP NOT NULL;
ALTER TABLE store.deliveries DROP CONSTRAINT deliveries_message_id_fkey;
ALTER TABLE store.deliveries ADD CONSTRAINT deliveries_message_id_fkey
  FOREIGN KEY (message_id) REFERENCES store.messages(id) ON DELETE SET NULL;
CREATE INDEX deliveries_message ON store.deliveries(message_id);

-- The blob half of the mda's sweep. Candidates are the blobs of `freed`
-- (those whose messages this sweep just deleted) and the next `scan` blob
-- ids after `after` (an incremental pass over every blob, which also finds
-- bodies of jobs removed since). Of those, blobs older than `grace` that no
-- message, queue job or staging row refers to are locked (id order, SKIP
-- LOCKED: another replica's sweep or a writer may hold some), then deleted
-- after a fresh look at the references, so a reference committed meanwhile
-- is seen and a writer still running waits and then fails its foreign key.
-- Chunks go by cascade. Returns how many were deleted and the highest blob id
-- the scan looked at (0 when it reached the end: the next pass starts over).
-- SECURITY DEFINER because the mda may neither read queue.staging nor delete
-- blobs; EXECUTE is the mda's alone.
CREATE FUNCTION store.sweep_blobs(freed bigint[], after bigint, scan integer, grace interval,
                                  OUT deleted integer, OUT last_id bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ids bigint[];
  window_ids bigint[];
BEGIN
  SELECT array_agg(id ORDER BY id) INTO window_ids
    FROM (SELECT id FROM store.blobs WHERE id > after ORDER BY id LIMIT scan) w;
  last_id := CASE WHEN cardinality(window_ids) = scan THEN window_ids[scan] ELSE 0 END;
  SELECT array_agg(id) INTO ids FROM (
    SELECT b.id FROM store.blobs b
    WHERE b.id = ANY(COALESCE(freed, '{}') || COALESCE(window_ids, '{}'))
      AND b.created_at < now() - grace
      AND NOT EXISTS (SELECT 1 FROM store.messages m WHERE m.blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM queue.jobs j WHERE j.blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM queue.staging s WHERE s.blob_id = b.id)
    ORDER BY b.id FOR UPDATE OF b SKIP LOCKED) c;
  deleted := 0;
  IF ids IS NULL THEN RETURN; END IF;
  DELETE FROM store.blobs b WHERE b.id = ANY(ids)
    AND NOT EXISTS (SELECT 1 FROM store.messages m WHERE m.blob_id = b.id)
    AND NOT EXISTS (SELECT 1 FROM queue.jobs j WHERE j.blob_id = b.id)
    AND NOT EXISTS (SELECT 1 FROM queue.staging s WHERE s.blob_id = b.id);
  GET DIAGNOSTICS deleted = ROW_COUNT;
END $$;
REVOKE ALL ON FUNCTION store.sweep_blobs(bigint[], bigint, integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION store.sweep_blobs(bigint[], bigint, integer, interval) TO mail_mda;

-- Grants. The mda creates the default mailboxes at first delivery (and
-- their subscriptions); pop3 creates them at login. imap does everything
-- mailboxes need, writes blobs for APPEND and reads the account's quota
-- limit (that one column, never the password hash).
GRANT SELECT, INSERT, UPDATE ON store.account_state TO mail_mda, mail_pop3, mail_imap;
GRANT SELECT, INSERT ON store.subscriptions TO mail_mda, mail_pop3;
GRANT SELECT, INSERT, DELETE ON store.subscriptions TO mail_imap;
GRANT SELECT, INSERT, UPDATE ON store.blobs TO mail_imap;
GRANT SELECT, INSERT ON store.blob_chunks TO mail_imap;
GRANT USAGE ON SCHEMA directory TO mail_imap;
GRANT SELECT (id, quota_bytes) ON directory.accounts TO mail_imap;
