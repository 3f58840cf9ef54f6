-- 0017: personal data under UU 27/2022 (issue 18).
-- * correction_requests: a person's request to correct their name, phone, address or birth date (/koreksi),
--   decided by an admin of their kelurahan who is not the person (maker-checker). The values before and after
--   live here, not in the append-only audit log, so that anonymising a person (consent withdrawn, retention)
--   can remove them; the audit lines point to the request by id. Phone values are stored as the people table
--   stores phones.
-- * audit_log_actor: `pem-bot audit --person ID` and /dataku read a person's entries by actor too.

CREATE TABLE correction_requests (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES people (id),
    participant_id INTEGER REFERENCES participants (id),
    kelurahan_code TEXT REFERENCES kelurahan (code),
    field          TEXT NOT NULL CHECK (field IN ('name', 'phone', 'address', 'birth_date')),
    old_value      TEXT,
    new_value      TEXT,
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'erased')),
    reason         TEXT,
    requested_at   TEXT NOT NULL,
    decided_by     INTEGER REFERENCES people (id),
    decided_at     TEXT
);
CREATE INDEX correction_requests_pending ON correction_requests (kelurahan_code, status, id);
CREATE INDEX correction_requests_person ON correction_requests (person_id);

CREATE INDEX audit_log_actor ON audit_log (actor_person_id);
