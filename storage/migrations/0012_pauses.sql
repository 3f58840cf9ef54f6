-- 0012: pauses after a disaster (issue 16, part 4). A pause covers starts_on..ends_on (WITA dates, both
-- included) in the kelurahan of pause_kelurahan. Declaring one moves the unpaid instalments due inside it by
-- its length (the rule is bot/domain/pauses.py); installments.paused_from keeps the date they had before the
-- first move, for the record. Nothing here is deleted.

CREATE TABLE pauses (
    id          INTEGER PRIMARY KEY,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL CHECK (ends_on >= starts_on),
    reason      TEXT NOT NULL,
    declared_by INTEGER NOT NULL REFERENCES people (id),
    declared_at TEXT NOT NULL
);

CREATE TABLE pause_kelurahan (
    pause_id       INTEGER NOT NULL REFERENCES pauses (id),
    kelurahan_code TEXT NOT NULL REFERENCES kelurahan (code),
    PRIMARY KEY (pause_id, kelurahan_code)
) WITHOUT ROWID;
CREATE INDEX pause_kelurahan_code ON pause_kelurahan (kelurahan_code, pause_id);

ALTER TABLE installments ADD COLUMN paused_from TEXT;
