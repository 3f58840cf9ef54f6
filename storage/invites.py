"""Repository: one-time invites. Only the SHA-256 of a token is stored (see :mod:`bot.domain.invite_tokens`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.invite_tokens import hash_token, new_token
from bot.domain.roles import Role
from storage import people
from storage.db import Queryable, parse_utc_text, utc_text
from storage.people import Person

DEFAULT_TTL = timedelta(days=7)


@dataclass(frozen=True)
class Invite:
    id: int
    role: Role
    person_id: int
    created_by: int | None
    created_at: str
    expires_at: str
    used_at: str | None


class RedeemStatus(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    ALREADY_LINKED = "already_linked"  # this Telegram account belongs to another person; the invite stays unused


@dataclass(frozen=True)
class RedeemResult:
    status: RedeemStatus
    invite: Invite | None = None
    person: Person | None = None


def parse_expiry(invite: Invite) -> datetime:
    """The invite's expiry as an aware UTC datetime (for display in WITA)."""
    return parse_utc_text(invite.expires_at)


def _row(row) -> Invite:
    return Invite(
        row["id"], Role(row["role"]), row["person_id"], row["created_by"], row["created_at"],
        row["expires_at"], row["used_at"],
    )


async def create(
    q: Queryable,
    *,
    person_id: int,
    role: Role,
    now: datetime,
    created_by: int | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> tuple[Invite, str]:
    """Create an invite; return it with the plain token (shown once, never stored)."""
    token = new_token()
    result = await q.execute(
        """
        INSERT INTO invites (token_hash, role, person_id, created_by, created_at, expires_at)
        VALUES (:hash, :role, :person, :by, :now, :expires)
        """,
        {
            "hash": hash_token(token),
            "role": str(role),
            "person": person_id,
            "by": created_by,
            "now": utc_text(now),
            "expires": utc_text(now + ttl),
        },
    )
    row = await q.fetchone("SELECT * FROM invites WHERE id = :id", {"id": result.lastrowid})
    return _row(row), token


async def redeem(q: Queryable, token: str, *, now: datetime, telegram_user_id: int, chat_id: int) -> RedeemResult:
    """Check a token and, when valid, link the Telegram account, grant the role and mark the invite used.

    Call inside a transaction: the ``used_at IS NULL`` guard makes a double redemption impossible.
    """
    row = await q.fetchone("SELECT * FROM invites WHERE token_hash = :h", {"h": hash_token(token)})
    if row is None:
        return RedeemResult(RedeemStatus.UNKNOWN)
    invite = _row(row)
    if invite.used_at is not None:
        return RedeemResult(RedeemStatus.USED, invite)
    if invite.expires_at <= utc_text(now):
        return RedeemResult(RedeemStatus.EXPIRED, invite)
    current = await people.by_telegram_user(q, telegram_user_id)
    if current is not None and current.id != invite.person_id:
        # Never move an account silently: that person would lose their access. The admin adds the role to the
        # existing person instead (`pem-bot invite --person-id`).
        return RedeemResult(RedeemStatus.ALREADY_LINKED, invite, current)
    updated = await q.execute(
        "UPDATE invites SET used_at = :now, used_by_telegram = :tg WHERE id = :id AND used_at IS NULL",
        {"now": utc_text(now), "tg": telegram_user_id, "id": invite.id},
    )
    if updated.rowcount != 1:
        return RedeemResult(RedeemStatus.USED, invite)
    await people.add_role(q, invite.person_id, invite.role)
    await people.link_telegram(q, invite.person_id, telegram_user_id, chat_id)
    person = await people.get(q, invite.person_id)
    return RedeemResult(RedeemStatus.OK, invite, person)


async def expire_unused(q: Queryable, person_id: int, now: datetime) -> int:
    """End every unused invite of a person now (an erased person must not be re-linked by an old link)."""
    result = await q.execute(
        "UPDATE invites SET expires_at = :now WHERE person_id = :p AND used_at IS NULL AND expires_at > :now",
        {"p": person_id, "now": utc_text(now)},
    )
    return result.rowcount


async def open_roles(q: Queryable, now: datetime) -> dict[int, list[str]]:
    """The roles of invites not opened yet and not expired, per person id (``pem-bot people`` shows them as
    invited: a role is granted only when its link is opened)."""
    rows = await q.fetchall(
        "SELECT DISTINCT person_id, role FROM invites WHERE used_at IS NULL AND expires_at > :now "
        "ORDER BY person_id, role",
        {"now": utc_text(now)},
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row["person_id"], []).append(row["role"])
    return found
