-- pem-migrate: foreign-keys-off
-- 0018: NIKs and phone numbers encrypted at rest (issue 18, item 6; storage/crypto.py, storage/identity.py).
-- * people, participants, applications: nik and phone will hold sealed text ('v1:…', AES-GCM), so their CHECKs
--   (16 digits, '+[1-9]*') go, and look-ups move to keyed hashes (HMAC): nik_hash, phone_hash, with the unique
--   indexes on them. SQLite can't drop a CHECK: each table is rebuilt by SQLite's ALTER TABLE procedure (new
--   table, copy, drop, rename, indexes again), keeping every other column, constraint and index. The migrator
--   runs this script with foreign keys off and checks PRAGMA foreign_key_check before it commits (the line
--   above). No trigger or view refers to these tables.
-- * data_key: the key check (an HMAC of a constant) of the key the values are sealed with.
-- SQL can't encrypt: the rows copied here are still in clear, with NULL hashes. The data step that runs right
-- after the migrations with the key (storage/identity.py: seal_at_rest) seals them and fills the hashes, in one
-- transaction; it runs at every open and does nothing once everything is sealed.

CREATE TABLE people_0018 (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL CHECK (length(trim(name)) > 0),
    phone            TEXT,
    kelurahan_code   TEXT REFERENCES kelurahan (code),
    telegram_user_id INTEGER UNIQUE,
    telegram_chat_id INTEGER,
    language         TEXT NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
    active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    reachable        INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0, 1)),
    created_at       TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at       TEXT NOT NULL DEFAULT (datetime('now')),
    nik              TEXT,
    digest_opt_in    INTEGER NOT NULL DEFAULT 0 CHECK (digest_opt_in IN (0, 1)),
    phone_hash       TEXT,
    nik_hash         TEXT
);
INSERT INTO people_0018 (id, name, phone, kelurahan_code, telegram_user_id, telegram_chat_id, language, active,
                         reachable, created_at, updated_at, nik, digest_opt_in)
SELECT id, name, phone, kelurahan_code, telegram_user_id, telegram_chat_id, language, active, reachable,
       created_at, updated_at, nik, digest_opt_in
FROM people;
DROP TABLE people;
ALTER TABLE people_0018 RENAME TO people;
CREATE INDEX people_kelurahan ON people (kelurahan_code, name);
CREATE INDEX people_phone ON people (phone_hash);
CREATE UNIQUE INDEX people_nik ON people (nik_hash) WHERE nik_hash IS NOT NULL;

CREATE TABLE participants_0018 (
    id             INTEGER PRIMARY KEY,
    kelurahan_code TEXT NOT NULL REFERENCES kelurahan (code),
    name           TEXT NOT NULL CHECK (length(trim(name)) > 0),
    nik            TEXT,
    birth_date     TEXT,
    sex            TEXT CHECK (sex IS NULL OR sex IN ('M', 'F')),
    phone          TEXT,
    address        TEXT,
    education      TEXT CHECK (education IS NULL OR education IN ('sd', 'smp', 'sma', 'd3', 's1', 'none')),
    work_status    TEXT CHECK (work_status IS NULL OR
                               work_status IN ('not_working', 'working', 'own_business', 'school')),
    consent_at     TEXT NOT NULL,
    person_id      INTEGER UNIQUE REFERENCES people (id),
    created_by     INTEGER REFERENCES people (id),
    created_at     TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at     TEXT NOT NULL DEFAULT (datetime('now')),
    erased_at      TEXT,
    nik_hash       TEXT UNIQUE,
    phone_hash     TEXT
);
INSERT INTO participants_0018 (id, kelurahan_code, name, nik, birth_date, sex, phone, address, education,
                               work_status, consent_at, person_id, created_by, created_at, updated_at, erased_at)
SELECT id, kelurahan_code, name, nik, birth_date, sex, phone, address, education, work_status, consent_at,
       person_id, created_by, created_at, updated_at, erased_at
FROM participants;
DROP TABLE participants;
ALTER TABLE participants_0018 RENAME TO participants;
CREATE INDEX participants_kelurahan_name ON participants (kelurahan_code, name);

CREATE TABLE applications_0018 (
    id             INTEGER PRIMARY KEY,
    kelurahan_code TEXT NOT NULL REFERENCES kelurahan (code),
    applicant_id   INTEGER NOT NULL REFERENCES people (id),
    entered_by     INTEGER NOT NULL REFERENCES people (id),
    name           TEXT NOT NULL,
    nik            TEXT NOT NULL,
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
    loan_id        INTEGER REFERENCES loans (id),
    nik_hash       TEXT,
    phone_hash     TEXT
);
INSERT INTO applications_0018 (id, kelurahan_code, applicant_id, entered_by, name, nik, phone, business,
                               business_type, amount, purpose, photo_file_id, status, submitted_at, verified_by,
                               verified_at, verify_note, decided_by, decided_at, reason, disbursed_by, disbursed_at,
                               loan_id)
SELECT id, kelurahan_code, applicant_id, entered_by, name, nik, phone, business, business_type, amount, purpose,
       photo_file_id, status, submitted_at, verified_by, verified_at, verify_note, decided_by, decided_at, reason,
       disbursed_by, disbursed_at, loan_id
FROM applications;
DROP TABLE applications;
ALTER TABLE applications_0018 RENAME TO applications;
CREATE INDEX applications_queue ON applications (kelurahan_code, status, id);
CREATE INDEX applications_applicant ON applications (applicant_id);
CREATE INDEX applications_nik ON applications (nik_hash, status);

CREATE TABLE data_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    check_value TEXT NOT NULL,
    sealed_at   TEXT NOT NULL,
    rotated_at  TEXT
);
