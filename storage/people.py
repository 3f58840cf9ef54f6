"""Repository: people, their roles and their Telegram link."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.roles import Role
from storage.crypto import Cipher
from storage.db import Queryable


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    phone: str | None
    kelurahan_code: str | None
    telegram_user_id: int | None
    telegram_chat_id: int | None
    language: str
    active: bool
    reachable: bool
    roles: frozenset[Role]
    created_at: str
    updated_at: str

    @property
    def linked(self) -> bool:
        return self.telegram_user_id is not None

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles.intersection(roles))


_SELECT = """
SELECT p.*, (SELECT group_concat(role) FROM person_roles AS r WHERE r.person_id = p.id) AS role_list
FROM people AS p
"""


def _row(row, key: Cipher) -> Person:
    roles = frozenset(Role(r) for r in (row["role_list"] or "").split(",") if r)
    return Person(
        id=row["id"],
        name=row["name"],
        phone=key.reveal(row["phone"]),
        kelurahan_code=row["kelurahan_code"],
        telegram_user_id=row["telegram_user_id"],
        telegram_chat_id=row["telegram_chat_id"],
        language=row["language"],
        active=bool(row["active"]),
        reachable=bool(row["reachable"]),
        roles=roles,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def get(q: Queryable, person_id: int) -> Person | None:
    row = await q.fetchone(_SELECT + " WHERE p.id = :id", {"id": person_id})
    return None if row is None else _row(row, q.key)


async def by_telegram_user(q: Queryable, telegram_user_id: int) -> Person | None:
    row = await q.fetchone(_SELECT + " WHERE p.telegram_user_id = :tg", {"tg": telegram_user_id})
    return None if row is None else _row(row, q.key)


async def by_phone(q: Queryable, phone: str, kelurahan_code: str | None) -> Person | None:
    row = await q.fetchone(
        _SELECT + " WHERE p.phone_hash = :phone AND p.kelurahan_code IS :kel ORDER BY p.id LIMIT 1",
        {"phone": q.key.hash("phone", phone), "kel": kelurahan_code},
    )
    return None if row is None else _row(row, q.key)


async def all_by_phone(q: Queryable, phone: str) -> list[Person]:
    """Every person with this phone, in any kelurahan, oldest first (the invite rule, :mod:`bot.services.invites`)."""
    rows = await q.fetchall(_SELECT + " WHERE p.phone_hash = :phone ORDER BY p.id",
                            {"phone": q.key.hash("phone", phone)})
    return [_row(r, q.key) for r in rows]


async def create(
    q: Queryable,
    *,
    name: str,
    kelurahan_code: str | None,
    roles: Iterable[Role] = (),
    phone: str | None = None,
    language: str = "id",
) -> Person:
    result = await q.execute(
        """
        INSERT INTO people (name, phone, phone_hash, kelurahan_code, language)
        VALUES (:name, :phone, :phone_hash, :kel, :language)
        """,
        {"name": name.strip(), "phone": q.key.seal(phone), "phone_hash": q.key.hash("phone", phone),
         "kel": kelurahan_code, "language": language},
    )
    assert result.lastrowid is not None
    for role in roles:
        await add_role(q, result.lastrowid, role)
    person = await get(q, result.lastrowid)
    assert person is not None
    return person


async def add_role(q: Queryable, person_id: int, role: Role) -> None:
    await q.execute(
        "INSERT OR IGNORE INTO person_roles (person_id, role) VALUES (:id, :role)",
        {"id": person_id, "role": str(role)},
    )


async def remove_role(q: Queryable, person_id: int, role: Role) -> None:
    await q.execute("DELETE FROM person_roles WHERE person_id = :id AND role = :role",
                    {"id": person_id, "role": str(role)})


async def erase_if_roleless(q: Queryable, person_id: int) -> bool:
    """Anonymise a person who holds no role any more (UU 27/2022 erasure): the name becomes ``Dihapus #ID``, and
    the phone, NIK and Telegram link are removed; the row stays so that references (audit, registrations) hold.
    A person who still holds a role, or has loans (financial records must be kept), is left as is. Returns
    whether the person was anonymised."""
    result = await q.execute(
        """
        UPDATE people
        SET name = 'Dihapus #' || id, phone = NULL, nik = NULL, phone_hash = NULL, nik_hash = NULL,
            telegram_user_id = NULL, telegram_chat_id = NULL,
            active = 0, updated_at = datetime('now')
        WHERE id = :id
          AND NOT EXISTS (SELECT 1 FROM person_roles WHERE person_id = :id)
          AND NOT EXISTS (SELECT 1 FROM loans WHERE borrower_id = :id)
        """,
        {"id": person_id},
    )
    return result.rowcount == 1


async def link_telegram(q: Queryable, person_id: int, telegram_user_id: int, chat_id: int) -> None:
    """Link a Telegram account, taking it away from any other person first (a re-issued invite)."""
    await q.execute(
        "UPDATE people SET telegram_user_id = NULL, telegram_chat_id = NULL, updated_at = datetime('now') "
        "WHERE telegram_user_id = :tg AND id <> :id",
        {"tg": telegram_user_id, "id": person_id},
    )
    await q.execute(
        """
        UPDATE people SET telegram_user_id = :tg, telegram_chat_id = :chat, reachable = 1,
                          updated_at = datetime('now')
        WHERE id = :id
        """,
        {"tg": telegram_user_id, "chat": chat_id, "id": person_id},
    )


async def set_language(q: Queryable, person_id: int, language: str) -> None:
    await q.execute(
        "UPDATE people SET language = :lang, updated_at = datetime('now') WHERE id = :id",
        {"lang": language, "id": person_id},
    )


async def set_reachable(q: Queryable, person_id: int, reachable: bool) -> None:
    await q.execute(
        "UPDATE people SET reachable = :r, updated_at = datetime('now') WHERE id = :id",
        {"r": int(reachable), "id": person_id},
    )


async def set_opt_in(q: Queryable, person_id: int, opt_in: bool) -> None:
    """Whether an admin gets the morning digest (lurah and city staff always do, see
    :func:`storage.reports.digest.digest_recipients`)."""
    await q.execute(
        "UPDATE people SET digest_opt_in = :v, updated_at = datetime('now') WHERE id = :id",
        {"v": int(opt_in), "id": person_id},
    )


async def opted_in(q: Queryable, person_id: int) -> bool:
    return bool(await q.fetchval("SELECT digest_opt_in FROM people WHERE id = :id", {"id": person_id}))


async def mark_unreachable_by_chat(q: Queryable, chat_id: int) -> Person | None:
    """Mark the person behind a private chat unreachable (they blocked the bot); return them."""
    row = await q.fetchone(_SELECT + " WHERE p.telegram_chat_id = :chat", {"chat": chat_id})
    if row is None:
        return None
    await set_reachable(q, row["id"], False)
    return _row(row, q.key)


async def list_people(
    q: Queryable, *, kelurahan_code: str | None = None, role: Role | None = None
) -> list[Person]:
    rows = await q.fetchall(
        _SELECT
        + """
        WHERE (:kel IS NULL OR p.kelurahan_code = :kel)
          AND (:role IS NULL OR EXISTS (SELECT 1 FROM person_roles AS r WHERE r.person_id = p.id AND r.role = :role))
        ORDER BY p.kelurahan_code, p.name, p.id
        """,
        {"kel": kelurahan_code, "role": None if role is None else str(role)},
    )
    return [_row(r, q.key) for r in rows]


async def with_role(q: Queryable, role: Role, kelurahan_code: str | None) -> list[Person]:
    """Active people of a kelurahan holding a role (for notifications)."""
    rows = await q.fetchall(
        _SELECT
        + """
        JOIN person_roles AS pr ON pr.person_id = p.id AND pr.role = :role
        WHERE p.active = 1 AND (:kel IS NULL OR p.kelurahan_code = :kel)
        ORDER BY p.id
        """,
        {"role": str(role), "kel": kelurahan_code},
    )
    return [_row(r, q.key) for r in rows]


async def with_any_role(q: Queryable, roles: Iterable[Role], kelurahan_code: str) -> list[Person]:
    """Active people of a kelurahan holding any of ``roles`` (the maker-checker candidates), by id."""
    names = {f"r{i}": str(r) for i, r in enumerate(sorted(roles))}
    rows = await q.fetchall(
        _SELECT
        + f"""
        WHERE p.active = 1 AND p.kelurahan_code = :kel
          AND EXISTS (SELECT 1 FROM person_roles AS pr WHERE pr.person_id = p.id
                      AND pr.role IN ({", ".join(":" + n for n in names)}))
        ORDER BY p.id
        """,
        {"kel": kelurahan_code, **names},
    )
    return [_row(r, q.key) for r in rows]


async def search_by_name(
    q: Queryable, kelurahan_code: str, text: str, *, role: Role | None = None, limit: int = 8
) -> list[Person]:
    """People of a kelurahan whose name contains ``text`` (case-insensitive), best matches first."""
    rows = await q.fetchall(
        _SELECT
        + """
        WHERE p.kelurahan_code = :kel AND p.active = 1 AND p.name LIKE :like ESCAPE '\\'
          AND (:role IS NULL OR EXISTS (SELECT 1 FROM person_roles AS r WHERE r.person_id = p.id AND r.role = :role))
        ORDER BY (lower(p.name) LIKE lower(:prefix) ESCAPE '\\') DESC, p.name, p.id
        LIMIT :limit
        """,
        {
            "kel": kelurahan_code,
            "like": f"%{_escape_like(text.strip())}%",
            "prefix": f"{_escape_like(text.strip())}%",
            "role": None if role is None else str(role),
            "limit": limit,
        },
    )
    return [_row(r, q.key) for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def update_name(q: Queryable, person_id: int, name: str) -> None:
    await q.execute("UPDATE people SET name = :name, updated_at = datetime('now') WHERE id = :id",
                    {"name": name.strip(), "id": person_id})


async def update_phone(q: Queryable, person_id: int, phone: str | None) -> None:
    await q.execute("UPDATE people SET phone = :phone, phone_hash = :hash, updated_at = datetime('now') "
                    "WHERE id = :id",
                    {"phone": q.key.seal(phone), "hash": q.key.hash("phone", phone), "id": person_id})


async def set_nik(q: Queryable, person_id: int, nik: str) -> None:
    """Give a person their NIK when they have none yet (a loan import; the NIK is unique: ``people_nik``)."""
    await q.execute("UPDATE people SET nik = :nik, nik_hash = :hash WHERE id = :id AND nik IS NULL",
                    {"nik": q.key.seal(nik), "hash": q.key.hash("nik", nik), "id": person_id})


async def id_by_nik(q: Queryable, nik: str) -> int | None:
    return await q.fetchval("SELECT id FROM people WHERE nik_hash = :hash", {"hash": q.key.hash("nik", nik)})


async def nik_of(q: Queryable, person_id: int) -> str | None:
    return q.key.reveal(await q.fetchval("SELECT nik FROM people WHERE id = :id", {"id": person_id}))


async def anonymise_borrower(q: Queryable, person_id: int) -> bool:
    """Retention (``PEM_RETENTION_BORROWER_YEARS``): anonymise a former borrower whose loans are kept as the
    fund's records. Name → ``Dihapus #ID``; phone, NIK and Telegram link removed; the borrower role dropped.
    Only a person holding no role but borrower (and participant) is touched: staff are never anonymised by the
    job. Returns whether the person was anonymised."""
    result = await q.execute(
        """
        UPDATE people
        SET name = 'Dihapus #' || id, phone = NULL, nik = NULL, phone_hash = NULL, nik_hash = NULL,
            telegram_user_id = NULL, telegram_chat_id = NULL,
            active = 0, digest_opt_in = 0, updated_at = datetime('now')
        WHERE id = :id
          AND NOT EXISTS (SELECT 1 FROM person_roles WHERE person_id = :id
                          AND role NOT IN ('borrower', 'participant'))
        """,
        {"id": person_id},
    )
    if result.rowcount == 1:
        await q.execute("DELETE FROM person_roles WHERE person_id = :id", {"id": person_id})
    return result.rowcount == 1
