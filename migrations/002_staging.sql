-- SPDX-License-Identifier: Apache-2.0
-- 002: staging blobs for messages that stream in (Transfer.Stage/Append/Commit).
-- Applied by mail-migrate in one transaction; see docs/schema.md.
--
-- A staging blob is an ordinary store.blobs row with its chunks, plus one
-- queue.staging row naming it. Each Append writes one chunk and moves the
-- staging row on, in one short transaction; the Commit that makes the job
-- deletes the staging row in the same transaction, so a blob with a staging
-- row is never a job's body. Those the mta's sweep finds untouched for the
-- grace period are deleted (their chunks and staging row go by cascade).

CREATE TABLE queue.staging (
  token        text PRIMARY KEY,                 -- the caller's staging_id: random, unguessable
  blob_id      bigint NOT NULL UNIQUE REFERENCES store.blobs(id) ON DELETE CASCADE,
  staged       bigint NOT NULL DEFAULT 0,        -- bytes written so far
  chunks       integer NOT NULL DEFAULT 0,       -- next blob_chunks.seq
  last_offset  bigint NOT NULL DEFAULT -1,       -- where the last Append started (its repeat is a no-op)
  created_at   timestamptz NOT NULL DEFAULT now(),
  touched_at   timestamptz NOT NULL DEFAULT now()  -- last Append; the sweep's clock
);
CREATE INDEX staging_touched ON queue.staging(touched_at);
-- "Is this blob a job's body?" (the sweep asks it of every candidate).
CREATE INDEX jobs_blob ON queue.jobs(blob_id);

-- The mta writes staging rows, and its sweep deletes abandoned blobs.
GRANT SELECT, INSERT, UPDATE, DELETE ON queue.staging TO mail_mta;
GRANT DELETE ON store.blobs, store.blob_chunks TO mail_mta;
