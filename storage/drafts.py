"""Repository: the drafts of declared forms (``form_drafts``, migration 0007), one per Telegram user.

A draft is what someone has answered so far in a form that is not finished: its ``kind`` (the form's callback
prefix), a short random ``form_id`` (carried by every button of the form, so a press on an older message is
recognised as stale), the ``step`` being asked, and ``data`` (JSON, through :func:`storage.codec.dumps`, so
dates and Decimals survive). The form engine (:mod:`handlers.forms.engine`) writes it in the same statement or
transaction as the step that changed it, and the use case that finishes the form deletes it in the transaction
that stores the result (:func:`delete`), so a restart or a kill -9 never loses an answer nor resurrects a
finished form.

A draft may hold what UU 27/2022 lets us keep only while the form is being filled in (a NIK typed before
consent), so drafts older than a day are deleted (:func:`expire`, from the scheduler's minute tick), and
``data`` is sealed with the data key (:mod:`storage.crypto`) while it is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.codec import dumps, loads
from storage.crypto import Cipher
from storage.db import Queryable, parse_utc_text, utc_text


@dataclass
class Draft:
    telegram_user_id: int
    kind: str
    form_id: str
    step: str
    started_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


def _row(row: Any, key: Cipher) -> Draft:
    return Draft(telegram_user_id=row["telegram_user_id"], kind=row["kind"], form_id=row["form_id"],
                 step=row["step"], started_at=parse_utc_text(row["started_at"]), data=loads(key.reveal(row["data"])))


async def get(q: Queryable, telegram_user_id: int) -> Draft | None:
    row = await q.fetchone("SELECT * FROM form_drafts WHERE telegram_user_id = :u", {"u": telegram_user_id})
    return None if row is None else _row(row, q.key)


async def save(q: Queryable, draft: Draft, now: datetime) -> None:
    """Insert or replace the user's draft (a user has one open form: a new one replaces the old)."""
    await q.execute(
        """
        INSERT INTO form_drafts (telegram_user_id, kind, form_id, step, data, started_at, updated_at)
        VALUES (:u, :kind, :form_id, :step, :data, :started_at, :now)
        ON CONFLICT (telegram_user_id) DO UPDATE SET
            kind = excluded.kind, form_id = excluded.form_id, step = excluded.step, data = excluded.data,
            started_at = excluded.started_at, updated_at = excluded.updated_at
        """,
        {"u": draft.telegram_user_id, "kind": draft.kind, "form_id": draft.form_id, "step": draft.step,
         "data": q.key.seal(dumps(draft.data)), "started_at": utc_text(draft.started_at), "now": utc_text(now)},
    )


async def delete(q: Queryable, telegram_user_id: int, form_id: str | None = None) -> bool:
    """Delete the user's draft (only if it is still form ``form_id``, when given). True when one was deleted."""
    result = await q.execute(
        "DELETE FROM form_drafts WHERE telegram_user_id = :u AND (:f IS NULL OR form_id = :f)",
        {"u": telegram_user_id, "f": form_id},
    )
    return result.rowcount > 0


async def expire(q: Queryable, started_before: datetime) -> int:
    """Delete every draft started before ``started_before``; returns how many."""
    result = await q.execute("DELETE FROM form_drafts WHERE started_at < :t", {"t": utc_text(started_before)})
    return result.rowcount
