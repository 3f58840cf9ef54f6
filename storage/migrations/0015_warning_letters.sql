-- 0015: warning letters (surat peringatan SP-1..SP-3), issue 16 part 1.
-- * warning_steps: one row per step a loan reached. It opens as a task for the kelurahan's treasurers
--   (status 'open'; postponed_until when a treasurer chose "Tunda 7 hari", with the reason and a round counter
--   that makes the re-sent task a new outbox row), then becomes the issued letter ('issued', with its number
--   and what it said: arrears, instalments missed, deadline), or is closed ('closed') when a payment cleared the
--   arrears first. At most one open step per loan, one issued letter per level per loan. Nothing is deleted.
-- * warning_counters: the kelurahan's letter register, gap-free per kelurahan and WITA year (like receipts).

CREATE TABLE warning_counters (
    kelurahan_code TEXT NOT NULL REFERENCES kelurahan (code),
    year           INTEGER NOT NULL,
    last_number    INTEGER NOT NULL CHECK (last_number >= 0),
    PRIMARY KEY (kelurahan_code, year)
) WITHOUT ROWID;

CREATE TABLE warning_steps (
    id              INTEGER PRIMARY KEY,
    loan_id         INTEGER NOT NULL REFERENCES loans (id),
    kelurahan_code  TEXT NOT NULL REFERENCES kelurahan (code),
    level           INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'issued', 'closed')),
    opened_on       TEXT NOT NULL,
    opened_at       TEXT NOT NULL,
    days_late_at_open INTEGER NOT NULL,
    round           INTEGER NOT NULL DEFAULT 0,
    postponed_until TEXT,
    postpone_reason TEXT,
    postponed_by    INTEGER REFERENCES people (id),
    closed_at       TEXT,
    close_reason    TEXT,
    number          TEXT UNIQUE,
    year            INTEGER,
    seq             INTEGER,
    issued_at       TEXT,
    issued_on       TEXT,
    issued_by       INTEGER REFERENCES people (id),
    deadline        TEXT,
    days_late       INTEGER,
    arrears_amount  INTEGER,
    outstanding     INTEGER,
    missed          TEXT,
    UNIQUE (kelurahan_code, year, seq),
    CHECK (status <> 'issued' OR (number IS NOT NULL AND issued_at IS NOT NULL AND deadline IS NOT NULL))
);
CREATE UNIQUE INDEX warning_steps_one_open ON warning_steps (loan_id) WHERE status = 'open';
CREATE UNIQUE INDEX warning_steps_one_letter ON warning_steps (loan_id, level) WHERE status = 'issued';
CREATE INDEX warning_steps_issued ON warning_steps (kelurahan_code, issued_at) WHERE status = 'issued';
