-- 0016: loan applications (issue 16, part 5). An application moves submitted → verified → approved | rejected
-- → disbursed (the rules: bot/domain/applications.py). applicant_id is the person the loan would be for (a new
-- person without Telegram when a treasurer enters it for them); entered_by is who typed it. *_at are UTC.
-- Nothing here is deleted; a disbursed application points at its loan.

CREATE TABLE applications (
    id             INTEGER PRIMARY KEY,
    kelurahan_code TEXT NOT NULL REFERENCES kelurahan (code),
    applicant_id   INTEGER NOT NULL REFERENCES people (id),
    entered_by     INTEGER NOT NULL REFERENCES people (id),
    name           TEXT NOT NULL,
    nik            TEXT NOT NULL CHECK (length(nik) = 16),
    phone          TEXT NOT NULL,
    business       TEXT NOT NULL,
    business_type  TEXT NOT NULL,
    amount         INTEGER NOT NULL CHECK (amount BETWEEN 1000000 AND 25000000),
    purpose        TEXT NOT NULL,
    photo_file_id  TEXT,
    status         TEXT NOT NULL DEFAULT 'submitted'
                   CHECK (status IN ('submitted', 'verified', 'approved', 'rejected', 'disbursed')),
    submitted_at   TEXT NOT NULL,
    verified_by    INTEGER REFERENCES people (id),
    verified_at    TEXT,
    verify_note    TEXT,
    decided_by     INTEGER REFERENCES people (id),
    decided_at     TEXT,
    reason         TEXT,
    disbursed_by   INTEGER REFERENCES people (id),
    disbursed_at   TEXT,
    loan_id        INTEGER REFERENCES loans (id)
);
CREATE INDEX applications_queue ON applications (kelurahan_code, status, id);
CREATE INDEX applications_applicant ON applications (applicant_id);
