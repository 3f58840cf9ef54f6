-- 0005: admins may opt in to the lurah's daily digest (the "Kirim tiap pagi ke saya" button of /ringkasan).
ALTER TABLE people ADD COLUMN digest_opt_in INTEGER NOT NULL DEFAULT 0 CHECK (digest_opt_in IN (0, 1));
