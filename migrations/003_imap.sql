-- SPDX-License-Identifier: Apache-2.0
-- 003: what the IMAP server needs from the store (RFC 3501, 6154 SPECIAL-USE,
-- 7162 CONDSTORE/QRESYNC, 4315 UIDPLUS, 6851 MOVE, 9208 QUOTA), and the end
-- of a leak: expunged messages and blobs are now deleted.
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

-- Expunge deletes a message whose last index row goes (COPY shares one
-- messages row between mailboxes) and then its blob when nothing refers to
-- it. These make "who still refers to it" an index lookup.
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

-- Deletes those of the given blobs that no message, queue job or staging row
-- refers to, and returns how many. SECURITY DEFINER so that pop3 and imap,
-- which may not read the queue schema, can free what they expunged. Each blob
-- row is locked first (id order) and the references are checked after the
-- lock, with a fresh snapshot, so a concurrent insert of a reference either
-- commits first (and is seen) or waits and then fails its foreign key.
CREATE FUNCTION store.purge_blobs(ids bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  n integer;
BEGIN
  PERFORM 1 FROM store.blobs WHERE id = ANY(ids) ORDER BY id FOR UPDATE;
  DELETE FROM store.blobs b WHERE b.id = ANY(ids)
    AND NOT EXISTS (SELECT 1 FROM store.messages m WHERE m.blob_id = b.id)
    AND NOT EXISTS (SELECT 1 FROM queue.jobs j WHERE j.blob_id = b.id)
    AND NOT EXISTS (SELECT 1 FROM queue.staging s WHERE s.blob_id = b.id);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION store.purge_blobs(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION store.purge_blobs(bigint[]) TO mail_mda, mail_pop3, mail_imap;

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
