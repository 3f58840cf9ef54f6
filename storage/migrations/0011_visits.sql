-- 0011: visits to borrowers and promises to pay (issue 16, part 2). visited_on / promise_on are WITA dates
-- 'YYYY-MM-DD'; *_at are UTC. A visit is never deleted. A promise is judged once, on the day after its date:
-- promise_status goes from 'open' to 'kept' or 'broken' (with what was paid since the visit).

CREATE TABLE visits (
    id             INTEGER PRIMARY KEY,
    loan_id        INTEGER NOT NULL REFERENCES loans (id),
    borrower_id    INTEGER NOT NULL REFERENCES people (id),
    kelurahan_code TEXT NOT NULL REFERENCES kelurahan (code),
    visited_on     TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('met', 'not_home', 'moved', 'closed', 'refused')),
    note           TEXT NOT NULL,
    photo_file_id  TEXT,
    promise_amount INTEGER CHECK (promise_amount IS NULL OR promise_amount > 0),
    promise_on     TEXT,
    promise_status TEXT CHECK (promise_status IN ('open', 'kept', 'broken')),
    promise_paid   INTEGER,
    promise_checked_at TEXT,
    recorded_by    INTEGER NOT NULL REFERENCES people (id),
    recorded_at    TEXT NOT NULL,
    CHECK ((promise_amount IS NULL) = (promise_on IS NULL) AND (promise_amount IS NULL) = (promise_status IS NULL))
);
CREATE INDEX visits_borrower ON visits (borrower_id, visited_on);
CREATE INDEX visits_promise ON visits (promise_status, promise_on) WHERE promise_status IS NOT NULL;
