-- 0002: loans, their instalment schedule, repayments (maker-checker) and the derived allocations.
-- Dates (disbursed_on, due_date, paid_on) are WITA calendar dates 'YYYY-MM-DD'; *_at are UTC timestamps.
-- Money is whole Rupiah (INTEGER). Nothing here is ever deleted except `allocations`, which is derived data:
-- it is rewritten for a loan whenever that loan's verified payments change (verify, record, reverse).

ALTER TABLE people ADD COLUMN nik TEXT CHECK (nik IS NULL OR (length(nik) = 16 AND nik NOT GLOB '*[^0-9]*'));
CREATE UNIQUE INDEX people_nik ON people (nik) WHERE nik IS NOT NULL;

CREATE TABLE loans (
    id                  INTEGER PRIMARY KEY,
    borrower_id         INTEGER NOT NULL REFERENCES people (id),
    kelurahan_code      TEXT NOT NULL REFERENCES kelurahan (code),
    principal           INTEGER NOT NULL CHECK (principal > 0),
    disbursed_on        TEXT NOT NULL,
    tenor_months        INTEGER NOT NULL CHECK (tenor_months BETWEEN 1 AND 36),
    grace_months        INTEGER NOT NULL DEFAULT 0 CHECK (grace_months BETWEEN 0 AND 12),
    fee_percent_monthly TEXT NOT NULL DEFAULT '0',
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paid_off', 'written_off')),
    business            TEXT,
    import_key          TEXT UNIQUE,
    created_by          INTEGER REFERENCES people (id),
    created_at          TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at          TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX loans_kelurahan ON loans (kelurahan_code, status);
CREATE INDEX loans_borrower ON loans (borrower_id, status);

CREATE TABLE installments (
    id             INTEGER PRIMARY KEY,
    loan_id        INTEGER NOT NULL REFERENCES loans (id),
    number         INTEGER NOT NULL CHECK (number >= 1),
    due_date       TEXT NOT NULL,
    principal_due  INTEGER NOT NULL CHECK (principal_due >= 0),
    fee_due        INTEGER NOT NULL DEFAULT 0 CHECK (fee_due >= 0),
    principal_paid INTEGER NOT NULL DEFAULT 0 CHECK (principal_paid BETWEEN 0 AND principal_due),
    fee_paid       INTEGER NOT NULL DEFAULT 0 CHECK (fee_paid BETWEEN 0 AND fee_due),
    paid_on        TEXT,  -- date of the payment that completed it; NULL while not fully paid
    UNIQUE (loan_id, number)
);
CREATE INDEX installments_unpaid_due ON installments (due_date, loan_id) WHERE paid_on IS NULL;
CREATE INDEX installments_loan_due ON installments (loan_id, due_date);

CREATE TABLE repayments (
    id              INTEGER PRIMARY KEY,
    loan_id         INTEGER NOT NULL REFERENCES loans (id),
    installment_id  INTEGER REFERENCES installments (id),  -- the instalment the borrower meant, when known
    amount          INTEGER NOT NULL CHECK (amount > 0),
    paid_on         TEXT NOT NULL,
    method          TEXT NOT NULL CHECK (method IN ('cash', 'transfer', 'other')),
    receipt_file_id TEXT,
    note            TEXT,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'verified', 'rejected', 'reversed')),
    reported_by     INTEGER NOT NULL REFERENCES people (id),
    reported_at     TEXT NOT NULL DEFAULT (datetime('now')),
    verified_by     INTEGER REFERENCES people (id),  -- who verified or rejected
    verified_at     TEXT,
    reason          TEXT,                            -- rejection reason
    reversed_by     INTEGER REFERENCES people (id),
    reversed_at     TEXT,
    reversal_reason TEXT,
    idempotency_key TEXT NOT NULL UNIQUE
);
CREATE INDEX repayments_loan ON repayments (loan_id, status, paid_on);
CREATE INDEX repayments_status ON repayments (status, reported_at);
CREATE INDEX repayments_verified_at ON repayments (verified_at) WHERE status = 'verified';

CREATE TABLE allocations (
    repayment_id   INTEGER NOT NULL REFERENCES repayments (id),
    installment_id INTEGER NOT NULL REFERENCES installments (id),
    fee_paid       INTEGER NOT NULL CHECK (fee_paid >= 0),
    principal_paid INTEGER NOT NULL CHECK (principal_paid >= 0),
    PRIMARY KEY (repayment_id, installment_id)
) WITHOUT ROWID;
CREATE INDEX allocations_installment ON allocations (installment_id);
