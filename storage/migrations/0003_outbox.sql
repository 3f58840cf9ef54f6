-- (Edited in place once, before the first release: photo_file_id. From now on only new migrations.)
-- 0003: the outbox of scheduled messages (reminders, digests) and the record of job slots already run.
-- *_at and not_before are UTC 'YYYY-MM-DD HH:MM:SS'. A message is never deleted; it ends sent, failed or
-- cancelled. dedupe_key is what makes every job idempotent: enqueueing the same key twice is a no-op.

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    recipient_id INTEGER NOT NULL REFERENCES people (id),
    dedupe_key   TEXT NOT NULL UNIQUE,
    template     TEXT NOT NULL,
    context      TEXT NOT NULL DEFAULT '{}',
    buttons      TEXT,
    photo        BLOB,
    photo_file_id TEXT,  -- a Telegram file_id (a receipt photo) instead of PNG bytes
    not_before   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   TEXT,
    created_at   TEXT NOT NULL DEFAULT (datetime('now')),
    sent_at      TEXT
);
CREATE INDEX outbox_due ON outbox (status, not_before, id);
CREATE INDEX outbox_recipient ON outbox (recipient_id, status);
CREATE INDEX outbox_kind ON outbox (kind, status);

CREATE TABLE job_runs (
    job      TEXT NOT NULL,
    slot     TEXT NOT NULL,
    ran_at   TEXT NOT NULL,
    enqueued INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job, slot)
) WITHOUT ROWID;
