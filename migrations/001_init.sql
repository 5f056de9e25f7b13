-- SPDX-License-Identifier: Apache-2.0
-- 001: schemas, roles and the first tables of directory, store and queue.
-- Applied by mail-migrate in one transaction; see docs/schema.md.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mail_admin') THEN CREATE ROLE mail_admin LOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mail_mta') THEN CREATE ROLE mail_mta LOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mail_mda') THEN CREATE ROLE mail_mda LOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mail_pop3') THEN CREATE ROLE mail_pop3 LOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mail_imap') THEN CREATE ROLE mail_imap LOGIN; END IF;
END $$;

CREATE SCHEMA directory;
CREATE SCHEMA store;
CREATE SCHEMA queue;

-- directory: domains, accounts, aliases. Addresses are stored normalized
-- (lowercase; domains as A-labels) and UNIQUE on that form.
CREATE TABLE directory.domains (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE directory.accounts (
  id             bigserial PRIMARY KEY,
  domain_id      bigint NOT NULL REFERENCES directory.domains(id) ON DELETE CASCADE,
  address        text NOT NULL UNIQUE,
  password_hash  text NOT NULL,
  quota_bytes    bigint NOT NULL DEFAULT 0 CHECK (quota_bytes >= 0),   -- 0 = unlimited
  disabled       boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_domain ON directory.accounts(domain_id, id);

-- An alias address delivers to one or more targets (accounts or other aliases;
-- cycles are detected at delivery).
CREATE TABLE directory.aliases (
  domain_id   bigint NOT NULL REFERENCES directory.domains(id) ON DELETE CASCADE,
  address     text NOT NULL,
  target      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (address, target)
);

-- store: bodies (shared, chunked), messages, mailboxes and their index.
CREATE TABLE store.blobs (
  id          bigserial PRIMARY KEY,
  size        bigint NOT NULL,
  chunks      integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE store.blob_chunks (
  blob_id  bigint NOT NULL REFERENCES store.blobs(id) ON DELETE CASCADE,
  seq      integer NOT NULL,
  data     bytea NOT NULL,
  PRIMARY KEY (blob_id, seq)
);
ALTER TABLE store.blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE store.mailboxes (
  id              bigserial PRIMARY KEY,
  account_id      bigint NOT NULL REFERENCES directory.accounts(id) ON DELETE CASCADE,
  name            text NOT NULL,
  uidvalidity     bigint NOT NULL,
  uid_next        bigint NOT NULL DEFAULT 1,
  highest_modseq  bigint NOT NULL DEFAULT 1,
  messages        integer NOT NULL DEFAULT 0,
  unseen          integer NOT NULL DEFAULT 0,
  UNIQUE (account_id, name)
);

-- One row per delivered copy: the shared body plus the per-recipient trace
-- header lines (Return-Path, Delivered-To). size = length(prefix) + blob size.
CREATE TABLE store.messages (
  id             bigserial PRIMARY KEY,
  account_id     bigint NOT NULL REFERENCES directory.accounts(id) ON DELETE CASCADE,
  blob_id        bigint NOT NULL REFERENCES store.blobs(id),
  header_prefix  bytea NOT NULL,
  size           bigint NOT NULL,
  header_size    integer NOT NULL DEFAULT 0,        -- bytes of the blob's header section
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE store.mail_index (
  mailbox_id     bigint NOT NULL REFERENCES store.mailboxes(id) ON DELETE CASCADE,
  uid            bigint NOT NULL,
  message_id     bigint NOT NULL REFERENCES store.messages(id),
  modseq         bigint NOT NULL,
  flags          integer NOT NULL DEFAULT 0,        -- bit set of system flags
  keywords       text[] NOT NULL DEFAULT '{}',
  internal_date  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX mail_index_modseq ON store.mail_index(mailbox_id, modseq);

CREATE TABLE store.expunged (
  mailbox_id  bigint NOT NULL REFERENCES store.mailboxes(id) ON DELETE CASCADE,
  uid         bigint NOT NULL,
  modseq      bigint NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_modseq ON store.expunged(mailbox_id, modseq);

CREATE TABLE store.quota_usage (
  account_id  bigint PRIMARY KEY REFERENCES directory.accounts(id) ON DELETE CASCADE,
  bytes       bigint NOT NULL DEFAULT 0,
  messages    bigint NOT NULL DEFAULT 0
);

-- Exactly-once local delivery: one row per (job, envelope recipient, final account).
CREATE TABLE store.deliveries (
  job_id        bigint NOT NULL,
  recipient_id  bigint NOT NULL,
  account_id    bigint NOT NULL REFERENCES directory.accounts(id) ON DELETE CASCADE,
  message_id    bigint NOT NULL REFERENCES store.messages(id) ON DELETE CASCADE,
  delivered_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, recipient_id, account_id)
);
CREATE INDEX deliveries_job_account ON store.deliveries(job_id, account_id);

-- A POP3 maildrop is held by one session at a time (a lease, not a connection lock,
-- so that no session holds a PostgreSQL connection).
CREATE TABLE store.maildrop_locks (
  account_id  bigint PRIMARY KEY REFERENCES directory.accounts(id) ON DELETE CASCADE,
  holder      text NOT NULL,
  until       timestamptz NOT NULL
);

-- queue: one job per accepted message, one row per recipient.
CREATE TABLE queue.jobs (
  id               bigserial PRIMARY KEY,
  queue_id         text NOT NULL UNIQUE,
  blob_id          bigint NOT NULL REFERENCES store.blobs(id),
  sender           text NOT NULL,                   -- '' = null reverse-path
  size             bigint NOT NULL,
  helo             text NOT NULL DEFAULT '',
  client_ip        text NOT NULL DEFAULT '',
  auth_user        text NOT NULL DEFAULT '',
  protocol         text NOT NULL DEFAULT '',
  idempotency_key  text UNIQUE,
  state            text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_owner      text,
  lease_until      timestamptz NOT NULL DEFAULT '-infinity',
  received_at      timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX jobs_due ON queue.jobs(next_attempt_at) WHERE state = 'queued';

CREATE TABLE queue.recipients (
  id          bigserial PRIMARY KEY,
  job_id      bigint NOT NULL REFERENCES queue.jobs(id) ON DELETE CASCADE,
  address     text NOT NULL,
  route       text NOT NULL CHECK (route IN ('local', 'remote')),
  state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts    integer NOT NULL DEFAULT 0,
  last_code   text NOT NULL DEFAULT '',
  last_error  text NOT NULL DEFAULT '',
  notified    boolean NOT NULL DEFAULT false,   -- a failure already reported to the sender
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (job_id, address)
);

-- Grants: each service reads and writes only what its job needs.
GRANT USAGE ON SCHEMA directory TO mail_admin, mail_mta, mail_mda;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA directory TO mail_admin;
GRANT SELECT ON directory.domains TO mail_mta;
GRANT SELECT ON ALL TABLES IN SCHEMA directory TO mail_mda;

GRANT USAGE ON SCHEMA store TO mail_admin, mail_mta, mail_mda, mail_pop3, mail_imap;
GRANT SELECT ON store.quota_usage, store.mailboxes TO mail_admin;
GRANT SELECT, INSERT, UPDATE ON store.blobs TO mail_mta;
GRANT SELECT, INSERT ON store.blob_chunks TO mail_mta;
GRANT SELECT ON store.blobs, store.blob_chunks TO mail_mda, mail_pop3, mail_imap;
GRANT SELECT, INSERT, UPDATE, DELETE ON store.mailboxes, store.messages, store.mail_index, store.expunged,
  store.quota_usage, store.deliveries TO mail_mda;
GRANT SELECT, INSERT, UPDATE, DELETE ON store.mailboxes, store.messages, store.mail_index, store.expunged,
  store.quota_usage, store.maildrop_locks TO mail_pop3, mail_imap;

GRANT USAGE ON SCHEMA queue TO mail_mta, mail_mda;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA queue TO mail_mta;
GRANT SELECT, UPDATE ON queue.recipients TO mail_mda;
GRANT SELECT ON queue.jobs TO mail_mda;

GRANT USAGE ON ALL SEQUENCES IN SCHEMA directory TO mail_admin;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA store TO mail_mta, mail_mda, mail_pop3, mail_imap;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA queue TO mail_mta;
