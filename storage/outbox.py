"""Repository: the outbox of scheduled messages, and the job slots already run.

A job never talks to Telegram: it works out what is due and *enqueues* messages here, each with a unique
``dedupe_key`` (e.g. ``rem:<installment_id>:<offset>``). :func:`enqueue` is ``INSERT OR IGNORE`` on that key,
so running a job twice for the same instant (a re-run ``pem-bot tick``, a restart's catch-up) adds nothing:
whatever became of the first message (queued, sent, failed, cancelled), the second is dropped.

The sender (:mod:`bot.runtime.sender`) takes :func:`due` messages, renders them in the recipient's language *at send
time* and marks each one sent right after the API call returns, in its own statement.

- ``context`` is JSON encoded with :func:`storage.codec.dumps`, so ``date``/``datetime``/``Decimal``
  values survive the round trip, and sealed with the data key (:mod:`storage.crypto`: a notice's rendered text
  may quote a phone number); a dropped text is a clear ``{}``;
- ``buttons`` is JSON: rows of ``[label_key, callback_data]`` (labels rendered at send time), NULL if none;
- ``photo`` is PNG bytes (a chart), NULL if none; the rendered text is then the caption;
- ``not_before`` is UTC; the sender also defers messages that would fall in quiet hours.

``job_runs`` remembers which (job, slot) pairs have run, slot being the WITA date, so a daily job runs once a
day even across restarts and repeated ticks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from storage.codec import dumps, loads
from storage.crypto import Cipher
from storage.db import Queryable, parse_utc_text, utc_text

Buttons = list[list[tuple[str, str]]]


#: A notice's rendered text (names, amounts) is only kept while it may still be sent.
_DROP_NOTICE_TEXT = "CASE WHEN kind = 'notice' THEN '{}' ELSE context END"

#: The kind of a notice: a message caused by another person's action (see :func:`enqueue_notice`). Quiet hours
#: don't hold notices; they go out silently (bot/runtime/sender.py).
NOTICE_KIND = "notice"

#: How long a claimed message is reserved for its sender (see :func:`claim`).
CLAIM_LEASE = timedelta(minutes=10)


class Status(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    kind: str
    recipient_id: int
    dedupe_key: str
    template: str
    context: dict[str, Any]
    buttons: Buttons | None
    photo: bytes | None
    photo_file_id: str | None
    not_before: datetime
    status: Status
    attempts: int
    last_error: str | None
    sent_at: datetime | None


def _buttons_json(buttons: Iterable[Iterable[tuple[str, str]]] | None) -> str | None:
    if buttons is None:
        return None
    rows = [[[str(key), str(data)] for key, data in row] for row in buttons]
    return json.dumps(rows, ensure_ascii=False) if rows else None


def _row(row: Any, key: Cipher) -> OutboxMessage:
    buttons = None
    if row["buttons"] is not None:
        buttons = [[(key, data) for key, data in r] for r in json.loads(row["buttons"])]
    return OutboxMessage(
        id=row["id"],
        kind=row["kind"],
        recipient_id=row["recipient_id"],
        dedupe_key=row["dedupe_key"],
        template=row["template"],
        context=loads(key.reveal(row["context"])),
        buttons=buttons,
        photo=None if row["photo"] is None else bytes(row["photo"]),
        photo_file_id=row["photo_file_id"],
        not_before=parse_utc_text(row["not_before"]),
        status=Status(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        sent_at=None if row["sent_at"] is None else parse_utc_text(row["sent_at"]),
    )


async def enqueue(
    q: Queryable,
    *,
    kind: str,
    recipient_id: int,
    dedupe_key: str,
    template: str,
    context: dict[str, Any],
    not_before: datetime,
    buttons: Iterable[Iterable[tuple[str, str]]] | None = None,
    photo: bytes | None = None,
    photo_file_id: str | None = None,
) -> bool:
    """Queue one message; False (and nothing changes) when ``dedupe_key`` already exists, whatever its
    status. A button label key starting with ``=`` is a literal, already rendered label (see
    :func:`handlers.common.notify_person`)."""
    result = await q.execute(
        """
        INSERT OR IGNORE INTO outbox (kind, recipient_id, dedupe_key, template, context, buttons, photo,
                                      photo_file_id, not_before)
        VALUES (:kind, :recipient_id, :dedupe_key, :template, :context, :buttons, :photo, :photo_file_id,
                :not_before)
        """,
        {
            "kind": kind,
            "recipient_id": recipient_id,
            "dedupe_key": dedupe_key,
            "template": template,
            "context": q.key.seal(dumps(context)),
            "buttons": _buttons_json(buttons),
            "photo": photo,
            "photo_file_id": photo_file_id,
            "not_before": utc_text(not_before),
        },
    )
    return result.rowcount == 1


NOTICE_TEMPLATE = "common/notice"


async def enqueue_notice(
    q: Queryable, *, recipient_id: int, dedupe_key: str, text: str, not_before: datetime,
    buttons: Buttons | None = None, photo_file_id: str | None = None,
) -> OutboxMessage | None:
    """Queue a ``notice`` (a text rendered by the handler, :data:`NOTICE_TEMPLATE` only wraps it) and return it
    as stored, without reading it back; None when ``dedupe_key`` already exists (nothing changes)."""
    context = {"text": text}
    result = await q.execute(
        """
        INSERT OR IGNORE INTO outbox (kind, recipient_id, dedupe_key, template, context, buttons, photo_file_id,
                                      not_before)
        VALUES ('notice', :recipient_id, :dedupe_key, :template, :context, :buttons, :photo_file_id, :not_before)
        """,
        {
            "recipient_id": recipient_id,
            "dedupe_key": dedupe_key,
            "template": NOTICE_TEMPLATE,
            "context": q.key.seal(dumps(context)),
            "buttons": _buttons_json(buttons),
            "photo_file_id": photo_file_id,
            "not_before": utc_text(not_before),
        },
    )
    if result.rowcount != 1 or result.lastrowid is None:
        return None
    return OutboxMessage(
        id=result.lastrowid, kind=NOTICE_KIND, recipient_id=recipient_id, dedupe_key=dedupe_key,
        template=NOTICE_TEMPLATE, context=context, buttons=buttons or None, photo=None, photo_file_id=photo_file_id,
        not_before=parse_utc_text(utc_text(not_before)), status=Status.QUEUED, attempts=0, last_error=None,
        sent_at=None,
    )


async def status_of(q: Queryable, message_id: int) -> Status | None:
    """The message's status now (None when there is no such row)."""
    value = await q.fetchval("SELECT status FROM outbox WHERE id = :id", {"id": message_id})
    return None if value is None else Status(value)


async def get(q: Queryable, message_id: int) -> OutboxMessage | None:
    row = await q.fetchone("SELECT * FROM outbox WHERE id = :id", {"id": message_id})
    return None if row is None else _row(row, q.key)


async def by_key(q: Queryable, dedupe_key: str) -> OutboxMessage | None:
    row = await q.fetchone("SELECT * FROM outbox WHERE dedupe_key = :key", {"key": dedupe_key})
    return None if row is None else _row(row, q.key)


async def for_recipient(q: Queryable, person_id: int, *, status: Status | None = None) -> list[OutboxMessage]:
    rows = await q.fetchall(
        "SELECT * FROM outbox WHERE recipient_id = :p AND (:status IS NULL OR status = :status) ORDER BY id",
        {"p": person_id, "status": None if status is None else str(status)},
    )
    return [_row(r, q.key) for r in rows]


async def due(q: Queryable, now: datetime, limit: int) -> list[OutboxMessage]:
    """Queued messages whose ``not_before`` has come, oldest first (uses the ``outbox_due`` index)."""
    rows = await q.fetchall(
        """
        SELECT * FROM outbox
        WHERE status = 'queued' AND not_before <= :now
        ORDER BY not_before, id
        LIMIT :limit
        """,
        {"now": utc_text(now), "limit": limit},
    )
    return [_row(r, q.key) for r in rows]


async def last_sent(q: Queryable, recipients: Iterable[int], *, since: datetime) -> dict[int, datetime]:
    """When each of ``recipients`` last got a message, for those who got one at or after ``since`` (the sender's
    per-chat spacing across restarts; uses the ``outbox_recipient`` index)."""
    ids = list(recipients)
    if not ids:
        return {}
    rows = await q.fetchall(
        f"""
        SELECT recipient_id, max(sent_at) AS last FROM outbox
        WHERE recipient_id IN ({_placeholders(ids)}) AND status = 'sent' AND sent_at >= :since
        GROUP BY recipient_id
        """,
        {"since": utc_text(since), **_id_params(ids)},
    )
    return {r["recipient_id"]: parse_utc_text(r["last"]) for r in rows}


async def counts(q: Queryable) -> dict[str, int]:
    """Messages per status (for the operator and tests)."""
    rows = await q.fetchall("SELECT status, count(*) AS n FROM outbox GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


async def claim(q: Queryable, message_id: int, now: datetime, lease: timedelta = CLAIM_LEASE) -> bool:
    """Take a due message for sending: push its ``not_before`` a lease ahead, only if it is still queued and due.
    Two senders (``pem-bot tick`` next to ``pem-bot run``, or a handler's immediate notice next to the minute
    tick) can then never both send it; if the claimer dies before marking it, it is due again after the lease."""
    result = await q.execute(
        """
        UPDATE outbox SET not_before = :lease
        WHERE id = :id AND status = 'queued' AND not_before <= :now
        """,
        {"id": message_id, "now": utc_text(now), "lease": utc_text(now + lease)},
    )
    return result.rowcount == 1


async def mark_sent(q: Queryable, message_id: int, now: datetime) -> None:
    await q.execute(
        f"""
        UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = :now, last_error = NULL,
                          context = {_DROP_NOTICE_TEXT}
        WHERE id = :id AND status = 'queued'
        """,
        {"id": message_id, "now": utc_text(now)},
    )


async def scrub(q: Queryable, *, recipient_id: int | None = None, keys: Iterable[str] = (),
                key_prefixes: Iterable[str] = (), key_contains: Iterable[str] = ()) -> int:
    """Erase personal data from the outbox (UU 27/2022 erasure): messages to ``recipient_id``, with one of the
    dedupe ``keys``, a key starting with one of ``key_prefixes`` or containing one of ``key_contains`` (a notice
    about someone carries their ids in its key) lose their context; the queued ones are cancelled. The rows
    stay. Matching is by ids in keys, never by names in the text (a name is ambiguous and escaped unevenly)."""
    clauses, params = [], {}
    for i, key in enumerate(keys):
        clauses.append(f"dedupe_key = :key{i}")
        params[f"key{i}"] = key
    if recipient_id is not None:
        clauses.append("recipient_id = :recipient")
        params["recipient"] = recipient_id
    for i, prefix in enumerate(key_prefixes):
        clauses.append(f"substr(dedupe_key, 1, length(:prefix{i})) = :prefix{i}")
        params[f"prefix{i}"] = prefix
    for i, part in enumerate(key_contains):
        clauses.append(f"instr(dedupe_key, :part{i}) > 0")
        params[f"part{i}"] = part
    if not clauses:
        return 0
    result = await q.execute(
        f"""
        UPDATE outbox
        SET context = '{{}}', last_error = CASE WHEN status = 'queued' THEN 'erased' ELSE last_error END,
            status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END
        WHERE {" OR ".join(clauses)}
        """,
        params,
    )
    return result.rowcount


async def mark_failed(q: Queryable, message_id: int, error: str) -> None:
    """Give up on a message: it stays in the table with its last error."""
    await q.execute(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = :error, "
        f"context = {_DROP_NOTICE_TEXT} WHERE id = :id AND status = 'queued'",
        {"id": message_id, "error": error[:500]},
    )


async def record_attempt(q: Queryable, message_id: int, error: str, retry_at: datetime) -> None:
    """A failed attempt that will be retried: still queued, not before ``retry_at``."""
    await q.execute(
        """
        UPDATE outbox SET attempts = attempts + 1, last_error = :error, not_before = :retry_at
        WHERE id = :id AND status = 'queued'
        """,
        {"id": message_id, "error": error[:500], "retry_at": utc_text(retry_at)},
    )


async def postpone(q: Queryable, message_ids: Iterable[int], until: datetime) -> int:
    """Move queued messages to ``until`` without counting an attempt (quiet hours, flood control)."""
    ids = list(message_ids)
    if not ids:
        return 0
    result = await q.execute(
        f"UPDATE outbox SET not_before = :until WHERE status = 'queued' AND id IN ({_placeholders(ids)})",
        {"until": utc_text(until), **_id_params(ids)},
    )
    return result.rowcount


async def cancel(q: Queryable, message_ids: Iterable[int], reason: str) -> int:
    """Cancel queued messages by id; returns how many were still queued."""
    ids = list(message_ids)
    if not ids:
        return 0
    result = await q.execute(
        f"""
        UPDATE outbox SET status = 'cancelled', last_error = :reason, context = {_DROP_NOTICE_TEXT}
        WHERE status = 'queued' AND id IN ({_placeholders(ids)})
        """,
        {"reason": reason, **_id_params(ids)},
    )
    return result.rowcount


async def cancel_keys(q: Queryable, dedupe_keys: Iterable[str], reason: str) -> int:
    """Cancel queued messages by dedupe key (e.g. reminders of an instalment paid meanwhile)."""
    keys = list(dedupe_keys)
    if not keys:
        return 0
    params = {f"k{i}": key for i, key in enumerate(keys)}
    result = await q.execute(
        f"""
        UPDATE outbox SET status = 'cancelled', last_error = :reason, context = {_DROP_NOTICE_TEXT}
        WHERE status = 'queued' AND dedupe_key IN ({", ".join(":" + name for name in params)})
        """,
        {"reason": reason, **params},
    )
    return result.rowcount


async def cancel_where(
    q: Queryable, *, reason: str, kind: str | None = None, recipient_id: int | None = None,
    key_prefix: str | None = None,
) -> int:
    """Cancel queued messages matching every given filter (at least one is required)."""
    if kind is None and recipient_id is None and key_prefix is None:
        raise ValueError("cancel_where needs at least one filter")
    result = await q.execute(
        f"""
        UPDATE outbox SET status = 'cancelled', last_error = :reason, context = {_DROP_NOTICE_TEXT}
        WHERE status = 'queued'
          AND (:kind IS NULL OR kind = :kind)
          AND (:recipient IS NULL OR recipient_id = :recipient)
          AND (:prefix IS NULL OR substr(dedupe_key, 1, length(:prefix)) = :prefix)
        """,
        {"reason": reason, "kind": kind, "recipient": recipient_id, "prefix": key_prefix},
    )
    return result.rowcount


async def cancel_for_recipient(q: Queryable, person_id: int, reason: str = "unreachable") -> int:
    return await cancel_where(q, reason=reason, recipient_id=person_id)


# --- job slots ----------------------------------------------------------------------------------------------
async def slot_taken(q: Queryable, job: str, slot: str) -> bool:
    row = await q.fetchone("SELECT 1 FROM job_runs WHERE job = :job AND slot = :slot",
                           {"job": job, "slot": slot})
    return row is not None


async def claim_job_slot(q: Queryable, job: str, slot: str, now: datetime, enqueued: int = 0) -> bool:
    """Record that ``job`` ran for ``slot``; True the first time only."""
    result = await q.execute(
        "INSERT OR IGNORE INTO job_runs (job, slot, ran_at, enqueued) VALUES (:job, :slot, :now, :n)",
        {"job": job, "slot": slot, "now": utc_text(now), "n": enqueued},
    )
    return result.rowcount == 1


async def job_slots(q: Queryable, job: str | None = None) -> list[tuple[str, str]]:
    rows = await q.fetchall(
        "SELECT job, slot FROM job_runs WHERE (:job IS NULL OR job = :job) ORDER BY job, slot", {"job": job}
    )
    return [(r["job"], r["slot"]) for r in rows]


def _placeholders(ids: list[int]) -> str:
    return ", ".join(f":id{i}" for i in range(len(ids)))


def _id_params(ids: list[int]) -> dict[str, int]:
    return {f"id{i}": int(v) for i, v in enumerate(ids)}
