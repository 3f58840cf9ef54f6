-- 0013: the cash book (buku kas) of each kelurahan's fund, the treasurer's manual part (issue 15, part 4).
-- Only what the treasurer types is stored here. The fund's own movements (disbursements out, verified repayments
-- in, reversals of repayments) are derived from loans and repayments by the report's read model
-- (storage/reports/lpj.py, docs/cash-book.md), never booked twice.
-- * cash_entries: append-only (the triggers refuse UPDATE and DELETE, like audit_log). A wrong entry is corrected
--   by a reversing entry (kind 'reversal', reverses_id, reason), at most one per entry; a reversal is never
--   reversed. entry_date is the WITA date the money moved; recorded_at is UTC. account: where the money is for
--   'opening' and 'grant' (cash on hand or the bank account); the other kinds imply it (NULL).
-- * bank_statements: the bank statement's closing balance for a month (YYYY-MM), also append-only: a second
--   row for the same month supersedes the first (the latest recorded counts); both stay.

CREATE TABLE cash_entries (
    id              INTEGER PRIMARY KEY,
    kelurahan_code  TEXT NOT NULL REFERENCES kelurahan (code),
    kind            TEXT NOT NULL CHECK (kind IN ('opening', 'grant', 'bank_charge', 'bank_interest', 'to_bank',
                                                  'to_cash', 'reversal')),
    account         TEXT CHECK (account IS NULL OR account IN ('cash', 'bank')),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    entry_date      TEXT NOT NULL,
    description     TEXT NOT NULL CHECK (length(trim(description)) > 0),
    round_label     TEXT,
    photo_file_id   TEXT,
    reverses_id     INTEGER UNIQUE REFERENCES cash_entries (id),
    reason          TEXT,
    recorded_by     INTEGER REFERENCES people (id),
    recorded_at     TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    CHECK ((kind = 'reversal') = (reverses_id IS NOT NULL)),
    CHECK (kind <> 'reversal' OR reason IS NOT NULL),
    CHECK ((kind IN ('opening', 'grant')) = (account IS NOT NULL) OR kind = 'reversal')
);
CREATE INDEX cash_entries_kelurahan_date ON cash_entries (kelurahan_code, entry_date, id);
CREATE TRIGGER cash_entries_no_update BEFORE UPDATE ON cash_entries
BEGIN SELECT RAISE(ABORT, 'cash_entries is append-only'); END;
CREATE TRIGGER cash_entries_no_delete BEFORE DELETE ON cash_entries
BEGIN SELECT RAISE(ABORT, 'cash_entries is append-only'); END;

CREATE TABLE bank_statements (
    id              INTEGER PRIMARY KEY,
    kelurahan_code  TEXT NOT NULL REFERENCES kelurahan (code),
    month           TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
    closing_balance INTEGER NOT NULL CHECK (closing_balance >= 0),
    photo_file_id   TEXT,
    recorded_by     INTEGER REFERENCES people (id),
    recorded_at     TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE
);
CREATE INDEX bank_statements_month ON bank_statements (kelurahan_code, month, id);
CREATE TRIGGER bank_statements_no_update BEFORE UPDATE ON bank_statements
BEGIN SELECT RAISE(ABORT, 'bank_statements is append-only'); END;
CREATE TRIGGER bank_statements_no_delete BEFORE DELETE ON bank_statements
BEGIN SELECT RAISE(ABORT, 'bank_statements is append-only'); END;

