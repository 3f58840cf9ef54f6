"""Repository: the sender lease (migration 0010), the right to send the outbox held by one process at a time.

A lease is a row ``(name, holder, role, host, pid, taken_at, expires_at)``. :func:`take` is one conditional
upsert: it succeeds when there is no row, when the row is ours (a renewal), when it has run out, or when the
caller names the dead holder it takes over (``takeover``). Every clause runs in one statement, so two processes
racing for it can never both win. The policy (who, how long, when to renew) is :mod:`bot.runtime.lease`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Queryable, parse_utc_text, utc_text

#: The one lease there is today: the right to send the outbox.
OUTBOX = "outbox"


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    role: str
    host: str
    pid: int
    taken_at: datetime
    expires_at: datetime


async def take(
    q: Queryable, *, name: str, holder: str, role: str, host: str, pid: int, now: datetime, until: datetime,
    takeover: str | None = None,
) -> bool:
    """Take or renew the lease until ``until``; True when ``holder`` holds it afterwards."""
    result = await q.execute(
        """
        INSERT INTO sender_lease (name, holder, role, host, pid, taken_at, expires_at)
        VALUES (:name, :holder, :role, :host, :pid, :now, :until)
        ON CONFLICT (name) DO UPDATE SET
            holder = excluded.holder, role = excluded.role, host = excluded.host, pid = excluded.pid,
            taken_at = CASE WHEN sender_lease.holder = excluded.holder THEN sender_lease.taken_at
                            ELSE excluded.taken_at END,
            expires_at = excluded.expires_at
        WHERE sender_lease.holder = excluded.holder
           OR sender_lease.expires_at <= :now
           OR sender_lease.holder = :takeover
        """,
        {"name": name, "holder": holder, "role": role, "host": host, "pid": pid, "now": utc_text(now),
         "until": utc_text(until), "takeover": takeover},
    )
    return result.rowcount == 1


async def release(q: Queryable, *, name: str, holder: str) -> bool:
    """Give the lease up (only if ``holder`` holds it); True when a row was deleted."""
    result = await q.execute("DELETE FROM sender_lease WHERE name = :name AND holder = :holder",
                             {"name": name, "holder": holder})
    return result.rowcount == 1


async def current(q: Queryable, name: str) -> Lease | None:
    """The lease row (expired or not), or None."""
    row = await q.fetchone("SELECT * FROM sender_lease WHERE name = :name", {"name": name})
    if row is None:
        return None
    return Lease(row["name"], row["holder"], row["role"], row["host"], row["pid"], parse_utc_text(row["taken_at"]),
                 parse_utc_text(row["expires_at"]))
