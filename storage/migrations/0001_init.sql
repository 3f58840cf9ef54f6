-- 0001: the foundation schema: kecamatan/kelurahan (seeded), people and their roles, invites, the audit log,
-- and the PTB persistence store. *_at columns are UTC 'YYYY-MM-DD HH:MM:SS'.

CREATE TABLE kecamatan (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE kelurahan (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kecamatan_code TEXT NOT NULL REFERENCES kecamatan (code)
);

CREATE TABLE people (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL CHECK (length(trim(name)) > 0),
    phone            TEXT CHECK (phone IS NULL OR phone GLOB '+[1-9]*'),
    kelurahan_code   TEXT REFERENCES kelurahan (code),
    telegram_user_id INTEGER UNIQUE,
    telegram_chat_id INTEGER,
    language         TEXT NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
    active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    reachable        INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0, 1)),
    created_at       TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at       TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX people_kelurahan ON people (kelurahan_code, name);
CREATE INDEX people_phone ON people (phone);

-- 'participant' (issue 5, a linked Karang Taruna participant) was added to the two role CHECKs below by
-- editing 0001 in place, once, before anything shipped: no deployed database has the old constraint.
CREATE TABLE person_roles (
    person_id INTEGER NOT NULL REFERENCES people (id),
    role      TEXT NOT NULL CHECK (role IN ('borrower', 'treasurer', 'lurah', 'coordinator', 'admin', 'city',
                                        'participant')),
    PRIMARY KEY (person_id, role)
) WITHOUT ROWID;
CREATE INDEX person_roles_role ON person_roles (role, person_id);

CREATE TABLE invites (
    id               INTEGER PRIMARY KEY,
    token_hash       TEXT NOT NULL UNIQUE,
    role             TEXT NOT NULL CHECK (role IN ('borrower', 'treasurer', 'lurah', 'coordinator', 'admin', 'city',
                                               'participant')),
    person_id        INTEGER NOT NULL REFERENCES people (id),
    created_by       INTEGER REFERENCES people (id),
    created_at       TEXT NOT NULL DEFAULT (datetime('now')),
    expires_at       TEXT NOT NULL,
    used_at          TEXT,
    used_by_telegram INTEGER
);
CREATE INDEX invites_person ON invites (person_id);

-- Append-only: the triggers below refuse UPDATE and DELETE. Details hold ids and amounts, never a NIK or token.
CREATE TABLE audit_log (
    id                INTEGER PRIMARY KEY,
    at                TEXT NOT NULL DEFAULT (datetime('now')),
    actor_person_id   INTEGER REFERENCES people (id),
    actor_telegram_id INTEGER,
    action            TEXT NOT NULL,
    entity            TEXT,
    entity_id         INTEGER,
    kelurahan_code    TEXT,
    details           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- python-telegram-bot persistence: user_data (form drafts) and conversation states, as JSON.
CREATE TABLE ptb_state (
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    data       TEXT NOT NULL CHECK (json_valid(data)),
    updated_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;

-- Seed: the 6 kecamatan and 51 kelurahan of Kota Kupang (Kepmendagri 300.2.2-2138/2025).

INSERT INTO kecamatan (code, name) VALUES
    ('53.71.01', 'Alak'),
    ('53.71.02', 'Maulafa'),
    ('53.71.03', 'Kelapa Lima'),
    ('53.71.04', 'Oebobo'),
    ('53.71.05', 'Kota Raja'),
    ('53.71.06', 'Kota Lama');

INSERT INTO kelurahan (code, name, kecamatan_code) VALUES
    ('53.71.01.1001', 'Namosain', '53.71.01'),
    ('53.71.01.1002', 'Nunbaun Sabu', '53.71.01'),
    ('53.71.01.1003', 'Nunbaun Delha', '53.71.01'),
    ('53.71.01.1004', 'Nunhila', '53.71.01'),
    ('53.71.01.1005', 'Fatufeto', '53.71.01'),
    ('53.71.01.1006', 'Manutapen', '53.71.01'),
    ('53.71.01.1007', 'Mantasi', '53.71.01'),
    ('53.71.01.1008', 'Alak', '53.71.01'),
    ('53.71.01.1009', 'Batu Plat', '53.71.01'),
    ('53.71.01.1010', 'Manulai II', '53.71.01'),
    ('53.71.01.1011', 'Naioni', '53.71.01'),
    ('53.71.01.1012', 'Penkase Oeleta', '53.71.01'),
    ('53.71.02.1001', 'Oepura', '53.71.02'),
    ('53.71.02.1002', 'Maulafa', '53.71.02'),
    ('53.71.02.1003', 'Penfui', '53.71.02'),
    ('53.71.02.1004', 'Naimata', '53.71.02'),
    ('53.71.02.1005', 'Bello', '53.71.02'),
    ('53.71.02.1006', 'Fatukoa', '53.71.02'),
    ('53.71.02.1007', 'Kolhua', '53.71.02'),
    ('53.71.02.1008', 'Sikumana', '53.71.02'),
    ('53.71.02.1009', 'Naikolan', '53.71.02'),
    ('53.71.03.1001', 'Kelapa Lima', '53.71.03'),
    ('53.71.03.1010', 'Oesapa', '53.71.03'),
    ('53.71.03.1011', 'Lasiana', '53.71.03'),
    ('53.71.03.1014', 'Oesapa Barat', '53.71.03'),
    ('53.71.03.1015', 'Oesapa Selatan', '53.71.03'),
    ('53.71.04.1001', 'Oebobo', '53.71.04'),
    ('53.71.04.1008', 'Oetete', '53.71.04'),
    ('53.71.04.1009', 'Oebufu', '53.71.04'),
    ('53.71.04.1010', 'Liliba', '53.71.04'),
    ('53.71.04.1011', 'Fatululi', '53.71.04'),
    ('53.71.04.1013', 'Kayu Putih', '53.71.04'),
    ('53.71.04.1014', 'Tuak Daun Merah', '53.71.04'),
    ('53.71.05.1001', 'Bakunase', '53.71.05'),
    ('53.71.05.1002', 'Bakunase Dua', '53.71.05'),
    ('53.71.05.1003', 'Airnona', '53.71.05'),
    ('53.71.05.1004', 'Naikoten Satu', '53.71.05'),
    ('53.71.05.1005', 'Naikoten Dua', '53.71.05'),
    ('53.71.05.1006', 'Kuanino', '53.71.05'),
    ('53.71.05.1007', 'Nunleu', '53.71.05'),
    ('53.71.05.1008', 'Fontein', '53.71.05'),
    ('53.71.06.1001', 'Airmata', '53.71.06'),
    ('53.71.06.1002', 'Lai Lai Bisi Kopan', '53.71.06'),
    ('53.71.06.1003', 'Bonipoi', '53.71.06'),
    ('53.71.06.1004', 'Solor', '53.71.06'),
    ('53.71.06.1005', 'Tode Kisar', '53.71.06'),
    ('53.71.06.1006', 'Merdeka', '53.71.06'),
    ('53.71.06.1007', 'Oeba', '53.71.06'),
    ('53.71.06.1008', 'Fatubesi', '53.71.06'),
    ('53.71.06.1009', 'Pasir Panjang', '53.71.06'),
    ('53.71.06.1010', 'Nefonaek', '53.71.06');
