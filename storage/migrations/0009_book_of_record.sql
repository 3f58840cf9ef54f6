-- 0009: the book of record (issue 15), part one: the schema both halves of that work build on.
-- * kelurahan.short_code: the prefix of its receipt and letter numbers (NKT1-2026-000123), fixed once here.
-- * receipts: one numbered kuitansi per payment that counts (a verified report or a treasurer's record). The
--   number is gap-free per kelurahan and year: receipt_counters hands out the next one inside the transaction
--   that verifies the payment. A reversed payment voids its receipt (voided_at); nothing is deleted, no number
--   is reused. `code` is the short verification code printed on it.
-- * loans.disbursement_*: a new loan starts disbursed but unconfirmed; the borrower confirms it or disputes it
--   (the ghost-borrower check).

ALTER TABLE kelurahan ADD COLUMN short_code TEXT;

CREATE TABLE receipt_counters (
    kelurahan_code TEXT NOT NULL REFERENCES kelurahan (code),
    year           INTEGER NOT NULL,
    last_number    INTEGER NOT NULL CHECK (last_number >= 0),
    PRIMARY KEY (kelurahan_code, year)
) WITHOUT ROWID;

CREATE TABLE receipts (
    id             INTEGER PRIMARY KEY,
    number         TEXT NOT NULL UNIQUE,
    kelurahan_code TEXT NOT NULL REFERENCES kelurahan (code),
    year           INTEGER NOT NULL,
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    repayment_id   INTEGER NOT NULL UNIQUE REFERENCES repayments (id),
    loan_id        INTEGER NOT NULL REFERENCES loans (id),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    paid_on        TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    issued_by      INTEGER REFERENCES people (id),
    code           TEXT NOT NULL,
    file_id        TEXT,
    voided_at      TEXT,
    voided_by      INTEGER REFERENCES people (id),
    void_reason    TEXT,
    UNIQUE (kelurahan_code, year, seq)
);
CREATE INDEX receipts_loan ON receipts (loan_id);
CREATE INDEX receipts_issued ON receipts (kelurahan_code, issued_at);

ALTER TABLE loans ADD COLUMN disbursement_status TEXT NOT NULL DEFAULT 'unconfirmed'
    CHECK (disbursement_status IN ('unconfirmed', 'confirmed', 'disputed'));
ALTER TABLE loans ADD COLUMN disbursement_answered_at TEXT;
ALTER TABLE loans ADD COLUMN disbursement_note TEXT;

UPDATE kelurahan SET short_code = 'NMS1' WHERE code = '53.71.01.1001';  -- Namosain
UPDATE kelurahan SET short_code = 'NBN1' WHERE code = '53.71.01.1002';  -- Nunbaun Sabu
UPDATE kelurahan SET short_code = 'NBN2' WHERE code = '53.71.01.1003';  -- Nunbaun Delha
UPDATE kelurahan SET short_code = 'NHL1' WHERE code = '53.71.01.1004';  -- Nunhila
UPDATE kelurahan SET short_code = 'FTF1' WHERE code = '53.71.01.1005';  -- Fatufeto
UPDATE kelurahan SET short_code = 'MNT1' WHERE code = '53.71.01.1006';  -- Manutapen
UPDATE kelurahan SET short_code = 'MNT2' WHERE code = '53.71.01.1007';  -- Mantasi
UPDATE kelurahan SET short_code = 'ALK1' WHERE code = '53.71.01.1008';  -- Alak
UPDATE kelurahan SET short_code = 'BTP1' WHERE code = '53.71.01.1009';  -- Batu Plat
UPDATE kelurahan SET short_code = 'MNL1' WHERE code = '53.71.01.1010';  -- Manulai II
UPDATE kelurahan SET short_code = 'NAI1' WHERE code = '53.71.01.1011';  -- Naioni
UPDATE kelurahan SET short_code = 'PNK1' WHERE code = '53.71.01.1012';  -- Penkase Oeleta
UPDATE kelurahan SET short_code = 'OPR1' WHERE code = '53.71.02.1001';  -- Oepura
UPDATE kelurahan SET short_code = 'MLF1' WHERE code = '53.71.02.1002';  -- Maulafa
UPDATE kelurahan SET short_code = 'PNF1' WHERE code = '53.71.02.1003';  -- Penfui
UPDATE kelurahan SET short_code = 'NMT1' WHERE code = '53.71.02.1004';  -- Naimata
UPDATE kelurahan SET short_code = 'BLL1' WHERE code = '53.71.02.1005';  -- Bello
UPDATE kelurahan SET short_code = 'FTK1' WHERE code = '53.71.02.1006';  -- Fatukoa
UPDATE kelurahan SET short_code = 'KLH1' WHERE code = '53.71.02.1007';  -- Kolhua
UPDATE kelurahan SET short_code = 'SKM1' WHERE code = '53.71.02.1008';  -- Sikumana
UPDATE kelurahan SET short_code = 'NKL1' WHERE code = '53.71.02.1009';  -- Naikolan
UPDATE kelurahan SET short_code = 'KLP1' WHERE code = '53.71.03.1001';  -- Kelapa Lima
UPDATE kelurahan SET short_code = 'OSP1' WHERE code = '53.71.03.1010';  -- Oesapa
UPDATE kelurahan SET short_code = 'LSN1' WHERE code = '53.71.03.1011';  -- Lasiana
UPDATE kelurahan SET short_code = 'OSP2' WHERE code = '53.71.03.1014';  -- Oesapa Barat
UPDATE kelurahan SET short_code = 'OSP3' WHERE code = '53.71.03.1015';  -- Oesapa Selatan
UPDATE kelurahan SET short_code = 'OBB1' WHERE code = '53.71.04.1001';  -- Oebobo
UPDATE kelurahan SET short_code = 'OTT1' WHERE code = '53.71.04.1008';  -- Oetete
UPDATE kelurahan SET short_code = 'OBF1' WHERE code = '53.71.04.1009';  -- Oebufu
UPDATE kelurahan SET short_code = 'LIL1' WHERE code = '53.71.04.1010';  -- Liliba
UPDATE kelurahan SET short_code = 'FTL1' WHERE code = '53.71.04.1011';  -- Fatululi
UPDATE kelurahan SET short_code = 'KYP1' WHERE code = '53.71.04.1013';  -- Kayu Putih
UPDATE kelurahan SET short_code = 'TKD1' WHERE code = '53.71.04.1014';  -- Tuak Daun Merah
UPDATE kelurahan SET short_code = 'BKN1' WHERE code = '53.71.05.1001';  -- Bakunase
UPDATE kelurahan SET short_code = 'BKN2' WHERE code = '53.71.05.1002';  -- Bakunase Dua
UPDATE kelurahan SET short_code = 'ARN1' WHERE code = '53.71.05.1003';  -- Airnona
UPDATE kelurahan SET short_code = 'NKT1' WHERE code = '53.71.05.1004';  -- Naikoten Satu
UPDATE kelurahan SET short_code = 'NKT2' WHERE code = '53.71.05.1005';  -- Naikoten Dua
UPDATE kelurahan SET short_code = 'KNN1' WHERE code = '53.71.05.1006';  -- Kuanino
UPDATE kelurahan SET short_code = 'NUN1' WHERE code = '53.71.05.1007';  -- Nunleu
UPDATE kelurahan SET short_code = 'FNT1' WHERE code = '53.71.05.1008';  -- Fontein
UPDATE kelurahan SET short_code = 'ARM1' WHERE code = '53.71.06.1001';  -- Airmata
UPDATE kelurahan SET short_code = 'LBS1' WHERE code = '53.71.06.1002';  -- Lai Lai Bisi Kopan
UPDATE kelurahan SET short_code = 'BNP1' WHERE code = '53.71.06.1003';  -- Bonipoi
UPDATE kelurahan SET short_code = 'SLR1' WHERE code = '53.71.06.1004';  -- Solor
UPDATE kelurahan SET short_code = 'TDK1' WHERE code = '53.71.06.1005';  -- Tode Kisar
UPDATE kelurahan SET short_code = 'MRD1' WHERE code = '53.71.06.1006';  -- Merdeka
UPDATE kelurahan SET short_code = 'OEB1' WHERE code = '53.71.06.1007';  -- Oeba
UPDATE kelurahan SET short_code = 'FTB1' WHERE code = '53.71.06.1008';  -- Fatubesi
UPDATE kelurahan SET short_code = 'PSR1' WHERE code = '53.71.06.1009';  -- Pasir Panjang
UPDATE kelurahan SET short_code = 'NFN1' WHERE code = '53.71.06.1010';  -- Nefonaek
CREATE UNIQUE INDEX kelurahan_short_code ON kelurahan (short_code);
