-- 0010: the sender lease (issue 13). One row per lease name ('outbox'): whoever holds it unexpired may send the
-- outbox; everyone else only enqueues. Taken and renewed by the running bot's scheduler and by `pem-bot tick`
-- (bot/runtime/lease.py, storage/sender_lease.py). holder is '<role>:<host>:<pid>:<random>'; role, host and pid
-- are kept apart so that a restarted bot on the same host can take over the lease of its own dead process
-- instead of waiting for it to run out. *_at are UTC 'YYYY-MM-DD HH:MM:SS'.

CREATE TABLE sender_lease (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    role        TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    taken_at    TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
