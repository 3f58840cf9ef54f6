-- 0014: a loan's life after disbursement (issue 16, part 3): reschedule, write-off, recovery, under maker-checker.
-- * loan_proposals: a treasurer's proposal (kind reschedule | write_off) that the lurah (or, when the lurah is a
--   maker or absent, an admin) approves or rejects. One pending proposal per loan. Nothing is deleted.
-- * schedule_versions + archived_installments: before a reschedule replaces the unpaid part of a schedule, the
--   whole schedule as it stood (with what was paid on each instalment) is copied here, for the record.
-- * loans.rescheduled_*: the last approved reschedule (NULL: never); loans.written_off_*: the write-off.
-- * repayments.kind: 'recovery' for a payment on a written-off loan (counted apart from repayments).

CREATE TABLE loan_proposals (
    id                 INTEGER PRIMARY KEY,
    loan_id            INTEGER NOT NULL REFERENCES loans (id),
    kelurahan_code     TEXT NOT NULL REFERENCES kelurahan (code),
    kind               TEXT NOT NULL CHECK (kind IN ('reschedule', 'write_off')),
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    proposed_by        INTEGER NOT NULL REFERENCES people (id),
    proposed_at        TEXT NOT NULL,
    tenor_months       INTEGER CHECK (tenor_months IS NULL OR tenor_months BETWEEN 1 AND 36),
    grace_months       INTEGER CHECK (grace_months IS NULL OR grace_months BETWEEN 0 AND 12),
    first_due_on       TEXT,
    reason             TEXT CHECK (reason IS NULL OR reason IN ('moved', 'died', 'business_failed', 'other')),
    note               TEXT,
    outstanding_before INTEGER NOT NULL,
    decided_by         INTEGER REFERENCES people (id),
    decided_at         TEXT,
    CHECK ((kind = 'reschedule') = (tenor_months IS NOT NULL AND first_due_on IS NOT NULL)),
    CHECK ((kind = 'write_off') = (reason IS NOT NULL))
);
CREATE UNIQUE INDEX loan_proposals_one_pending ON loan_proposals (loan_id) WHERE status = 'pending';
CREATE INDEX loan_proposals_kelurahan ON loan_proposals (kelurahan_code, status);

CREATE TABLE schedule_versions (
    id          INTEGER PRIMARY KEY,
    loan_id     INTEGER NOT NULL REFERENCES loans (id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    proposal_id INTEGER NOT NULL REFERENCES loan_proposals (id),
    replaced_at TEXT NOT NULL,
    UNIQUE (loan_id, version)
);

CREATE TABLE archived_installments (
    version_id     INTEGER NOT NULL REFERENCES schedule_versions (id),
    installment_id INTEGER NOT NULL,
    number         INTEGER NOT NULL,
    due_date       TEXT NOT NULL,
    principal_due  INTEGER NOT NULL,
    fee_due        INTEGER NOT NULL,
    principal_paid INTEGER NOT NULL,
    fee_paid       INTEGER NOT NULL,
    paid_on        TEXT,
    PRIMARY KEY (version_id, number)
) WITHOUT ROWID;

ALTER TABLE loans ADD COLUMN rescheduled_on TEXT;   -- WITA date the new schedule runs from
ALTER TABLE loans ADD COLUMN rescheduled_at TEXT;   -- UTC timestamp of the approval
-- the highest repayments.id when it was approved: a payment with a higher id counts from rescheduled_on on
ALTER TABLE loans ADD COLUMN rescheduled_after_repayment INTEGER;
ALTER TABLE loans ADD COLUMN written_off_at TEXT;   -- UTC timestamp of the approval
ALTER TABLE loans ADD COLUMN written_off_amount INTEGER CHECK (written_off_amount IS NULL OR written_off_amount >= 0);

ALTER TABLE repayments ADD COLUMN kind TEXT NOT NULL DEFAULT 'repayment' CHECK (kind IN ('repayment', 'recovery'));
CREATE INDEX repayments_recovery ON repayments (paid_on) WHERE kind = 'recovery';
