-- 0004: Karang Taruna events and trainings, their participants, registrations (with the waiting list) and
-- follow-up outcomes (issue 5). *_at columns are UTC 'YYYY-MM-DD HH:MM:SS'; birth_date is 'YYYY-MM-DD'.

CREATE TABLE events (
    id                    INTEGER PRIMARY KEY,
    kelurahan_code        TEXT NOT NULL REFERENCES kelurahan (code),
    title                 TEXT NOT NULL CHECK (length(trim(title)) > 0),
    kind                  TEXT NOT NULL CHECK (kind IN ('training', 'event')),
    organiser             TEXT NOT NULL CHECK (organiser IN ('disnaker', 'karang_taruna', 'pemkot', 'other')),
    starts_at             TEXT NOT NULL,
    place                 TEXT NOT NULL CHECK (length(trim(place)) > 0),
    capacity              INTEGER NOT NULL CHECK (capacity >= 1),
    registration_deadline TEXT NOT NULL CHECK (registration_deadline <= starts_at),
    min_age               INTEGER CHECK (min_age IS NULL OR min_age BETWEEN 10 AND 80),
    max_age               INTEGER CHECK (max_age IS NULL OR max_age BETWEEN 10 AND 80),
    status                TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled', 'done')),
    created_by            INTEGER REFERENCES people (id),
    created_at            TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at            TEXT NOT NULL DEFAULT (datetime('now')),
    CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age)
);
CREATE INDEX events_kelurahan_start ON events (kelurahan_code, starts_at);
CREATE INDEX events_start ON events (starts_at);

-- One row per person taking part. The NIK is unique when given (NULL after erasure). person_id is the
-- Telegram link (a people row without a role), NULL until linked.
CREATE TABLE participants (
    id             INTEGER PRIMARY KEY,
    kelurahan_code TEXT NOT NULL REFERENCES kelurahan (code),
    name           TEXT NOT NULL CHECK (length(trim(name)) > 0),
    nik            TEXT UNIQUE CHECK (nik IS NULL OR (length(nik) = 16 AND nik NOT GLOB '*[^0-9]*')),
    birth_date     TEXT,
    sex            TEXT CHECK (sex IS NULL OR sex IN ('M', 'F')),
    phone          TEXT CHECK (phone IS NULL OR phone GLOB '+[1-9]*'),
    address        TEXT,
    education      TEXT CHECK (education IS NULL OR education IN ('sd', 'smp', 'sma', 'd3', 's1', 'none')),
    work_status    TEXT CHECK (work_status IS NULL OR
                               work_status IN ('not_working', 'working', 'own_business', 'school')),
    consent_at     TEXT NOT NULL,
    person_id      INTEGER UNIQUE REFERENCES people (id),
    created_by     INTEGER REFERENCES people (id),
    created_at     TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at     TEXT NOT NULL DEFAULT (datetime('now')),
    erased_at      TEXT
);
CREATE INDEX participants_kelurahan_name ON participants (kelurahan_code, name);

-- waitlist_position is an ordering key (set only while waitlisted); the position shown is the rank among the
-- event's waitlisted registrations.
CREATE TABLE registrations (
    id                INTEGER PRIMARY KEY,
    event_id          INTEGER NOT NULL REFERENCES events (id),
    participant_id    INTEGER NOT NULL REFERENCES participants (id),
    status            TEXT NOT NULL
                      CHECK (status IN ('registered', 'waitlisted', 'cancelled', 'attended', 'no_show')),
    waitlist_position INTEGER,
    registered_by     INTEGER REFERENCES people (id),
    created_at        TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at        TEXT NOT NULL DEFAULT (datetime('now')),
    UNIQUE (event_id, participant_id),
    CHECK ((status = 'waitlisted') = (waitlist_position IS NOT NULL))
);
CREATE INDEX registrations_event_status ON registrations (event_id, status, waitlist_position);
CREATE INDEX registrations_participant ON registrations (participant_id);
CREATE INDEX registrations_created ON registrations (created_at);

-- Follow-up answers; a trainee can have several over time (30 and 90 days), the latest counts.
CREATE TABLE outcomes (
    id             INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    event_id       INTEGER NOT NULL REFERENCES events (id),
    status         TEXT NOT NULL CHECK (status IN ('own_business', 'employed', 'still_looking', 'other')),
    business_type  TEXT,
    recorded_by    INTEGER REFERENCES people (id),
    recorded_at    TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX outcomes_event_participant ON outcomes (event_id, participant_id, recorded_at);
CREATE INDEX outcomes_recorded ON outcomes (recorded_at);
