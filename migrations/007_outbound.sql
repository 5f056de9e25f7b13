-- SPDX-License-Identifier: Apache-2.0
-- 007: outbound delivery. The unit of work is no longer the whole job but a
-- leg: a job's recipients for one destination (a remote domain, or '' for
-- the local mailboxes the mda serves). Each leg has its own lease, attempt
-- count and next attempt, so one slow MX never holds a job's other
-- domains. queue.destinations keeps each remote domain's state, so a domain
-- that keeps failing is backed off as a whole. The job row keeps the
-- message (blob, envelope) and is 'done' once every leg is; its old lease
-- columns are no longer used.
ALTER TABLE queue.recipients ADD COLUMN destination text NOT NULL DEFAULT '';
UPDATE queue.recipients SET destination = lower(substring(address from '@([^@]*)$'))
  WHERE route = 'remote';

CREATE TABLE queue.legs (
  id               bigserial PRIMARY KEY,
  job_id           bigint NOT NULL REFERENCES queue.jobs(id) ON DELETE CASCADE,
  destination      text NOT NULL,                    -- '' = local (the mda)
  state            text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'held', 'done')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_owner      text,
  lease_until      timestamptz NOT NULL DEFAULT '-infinity',
  last_error       text NOT NULL DEFAULT '',
  last_attempt_at  timestamptz,
  UNIQUE (job_id, destination)
);
CREATE INDEX legs_due ON queue.legs(next_attempt_at) WHERE state = 'queued';
CREATE INDEX legs_destination ON queue.legs(destination) WHERE state <> 'done';
CREATE INDEX jobs_queued ON queue.jobs(received_at) WHERE state = 'queued';
CREATE INDEX recipients_pending ON queue.recipients(job_id, destination) WHERE state = 'pending';

-- Jobs queued before this migration: one leg per destination with pending
-- recipients, due when the job was.
INSERT INTO queue.legs(job_id, destination, attempts, next_attempt_at)
  SELECT j.id, r.destination, j.attempts, j.next_attempt_at
  FROM queue.jobs j JOIN queue.recipients r ON r.job_id = j.id
  WHERE j.state = 'queued' AND r.state = 'pending'
  GROUP BY j.id, r.destination, j.attempts, j.next_attempt_at;

CREATE TABLE queue.destinations (
  name           text PRIMARY KEY,
  failures       integer NOT NULL DEFAULT 0,          -- consecutive failed connection attempts
  backoff_until  timestamptz NOT NULL DEFAULT '-infinity',
  last_error     text NOT NULL DEFAULT '',
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- What each attempt of a leg came to (mailctl queue show): one row per
-- attempt that left something deferred or failed; a success writes none
-- (the recipients' rows keep the server's last reply).
CREATE TABLE queue.attempts (
  id         bigserial PRIMARY KEY,
  leg_id     bigint NOT NULL REFERENCES queue.legs(id) ON DELETE CASCADE,
  at         timestamptz NOT NULL DEFAULT now(),
  delivered  integer NOT NULL DEFAULT 0,
  deferred   integer NOT NULL DEFAULT 0,
  failed     integer NOT NULL DEFAULT 0,
  detail     text NOT NULL DEFAULT ''
);
CREATE INDEX attempts_leg ON queue.attempts(leg_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON queue.legs, queue.destinations, queue.attempts TO mail_mta;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA queue TO mail_mta;
