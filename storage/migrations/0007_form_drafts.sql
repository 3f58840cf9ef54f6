-- 0007: drafts of the declared forms (handlers/forms/engine.py), one per Telegram user: a user has at most one open
-- form. Written in the same transaction as the step that changed it; deleted in the transaction that stores the
-- form's result. data is JSON (storage.persistence.dumps: dates and Decimals survive). *_at are UTC text.
CREATE TABLE form_drafts (
    telegram_user_id INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    form_id          TEXT NOT NULL,
    step             TEXT NOT NULL,
    data             TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX form_drafts_started ON form_drafts (started_at);
