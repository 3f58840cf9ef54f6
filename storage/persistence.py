"""python-telegram-bot persistence backed by the bot's SQLite database.

It stores ``user_data`` and ``chat_data`` (form drafts live in ``user_data``) and the states of every persistent
``ConversationHandler``, so a half-finished form survives a restart of the bot. ``bot_data`` and arbitrary
callback data are not persisted: the bot keeps no state there.

Values are stored as JSON in the ``ptb_state`` table. Besides JSON's own types a draft may hold ``date``,
``datetime``, ``time`` and ``Decimal`` values and tuples (tagged on the way in and restored on the way out);
anything else raises ``TypeError`` at write time, which surfaces as a bug in tests instead of a lost form.

PTB calls the ``update_*`` methods concurrently (``asyncio.gather``); every write is one statement through
:class:`storage.db.Database`, whose lock serialises them, so no write can interleave with another. The
application (:class:`bot.runtime.app.PemApplication`) writes changes through after every update, not only every
``update_interval`` seconds, so even a crash loses at most the update being processed. It does so inside
:meth:`SQLitePersistence.batched`: the writes of one update (the draft and the conversation state) are collected
and run as one transaction (:meth:`storage.db.Database.execute_batch`) before ``process_update`` returns.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from storage.db import Database

log = logging.getLogger(__name__)


#: Values JSON writes as they are (checked by exact type: the common case of a draft, a third faster).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): v if type(v) in _PLAIN else _encode(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _PLAIN else _encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, time):
        return {"__time__": value.isoformat()}
    if isinstance(value, Decimal):
        return {"__decimal__": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot persist a {type(value).__name__} in user_data: use JSON-friendly values")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (tag, inner), = value.items()
            if tag == "__tuple__":
                return tuple(_decode(v) for v in inner)
            if tag == "__datetime__":
                return datetime.fromisoformat(inner)
            if tag == "__date__":
                return date.fromisoformat(inner)
            if tag == "__time__":
                return time.fromisoformat(inner)
            if tag == "__decimal__":
                return Decimal(inner)
        return {k: _decode(v) for k, v in value.items()}
    return value


def dumps(value: Any) -> str:
    return json.dumps(_encode(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> Any:
    return _decode(json.loads(text))


#: Stands in the written-cache for a row whose state is unknown (a failed delete): never equal to real data.
_UNKNOWN = "\x00unknown"


def _int_keys(data: dict[str, Any]) -> dict[int, Any]:
    return {int(k): v for k, v in data.items()}


_UPSERT = """
    INSERT INTO ptb_state (kind, key, data, updated_at) VALUES {rows}
    ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
"""
_UPSERT_ONE = _UPSERT.format(rows="(:kind, :key, :data, datetime('now'))")
_DELETE_ONE = "DELETE FROM ptb_state WHERE kind = :kind AND key = :key"

#: A write of a batch: (kind, key, the JSON text, or None for a delete).
_Entry = tuple[str, str, str | None]


def _one(entry: _Entry) -> tuple[str, dict[str, Any]]:
    kind, key, data = entry
    if data is None:
        return _DELETE_ONE, {"kind": kind, "key": key}
    return _UPSERT_ONE, {"kind": kind, "key": key, "data": data}


def batch_statements(entries: list[_Entry]) -> list[tuple[str, dict[str, Any]]]:
    """The writes of one batch as few statements as possible: all its upserts as one multi-row ``INSERT``, all its
    deletes as one ``DELETE``. An update usually writes only (the draft and the conversation state) or only
    deletes (the end of a form), which is then one statement: atomic by itself, and one trip to aiosqlite's
    thread instead of four (``BEGIN``, two writes, ``COMMIT``; bench/handlers.py). A key that appears twice
    keeps its order: one statement per write."""
    if len({(kind, key) for kind, key, _ in entries}) < len(entries):
        return [_one(e) for e in entries]
    statements = []
    upserts = [e for e in entries if e[2] is not None]
    if upserts:
        params: dict[str, Any] = {}
        for i, (kind, key, data) in enumerate(upserts):
            params.update({f"kind{i}": kind, f"key{i}": key, f"data{i}": data})
        rows = ", ".join(f"(:kind{i}, :key{i}, :data{i}, datetime('now'))" for i in range(len(upserts)))
        statements.append((_UPSERT.format(rows=rows), params))
    deletes = [e for e in entries if e[2] is None]
    if deletes:
        params = {}
        for i, (kind, key, _) in enumerate(deletes):
            params.update({f"kind{i}": kind, f"key{i}": key})
        where = " OR ".join(f"(kind = :kind{i} AND key = :key{i})" for i in range(len(deletes)))
        statements.append((f"DELETE FROM ptb_state WHERE {where}", params))
    return statements


class SQLitePersistence(BasePersistence[dict, dict, dict]):
    """Persistence over the shared :class:`~storage.db.Database` (opened lazily: PTB loads persistence in
    ``Application.initialize()``, before ``post_init`` runs)."""

    def __init__(self, db: Database, update_interval: float = 60) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=True, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self.db = db
        self._written: dict[tuple[str, str], str] = {}
        self._batch: list[_Entry] | None = None

    @asynccontextmanager
    async def batched(self) -> AsyncIterator[None]:
        """Collect the writes made inside the block and run them when it ends (also when it raises), all or
        nothing (:func:`batch_statements`, :meth:`storage.db.Database.execute_batch`). A failed batch is logged,
        never raised: it must not stop PTB from handling the next update. The in-memory view forgets what did not
        reach SQLite, so the next update writes it again."""
        if self._batch is not None:  # nested: the outer block writes
            yield
            return
        self._batch = []
        try:
            yield
        finally:
            batch, self._batch = self._batch, None
            try:
                await self.db.execute_batch(batch_statements(batch))
            except Exception:
                log.exception("persistence: %d write(s) failed; they will be retried", len(batch))
                for kind, key, data in batch:
                    if data is None:
                        self._written[(kind, key)] = _UNKNOWN  # the row may still be there: delete it again
                    else:
                        self._written.pop((kind, key), None)  # not written: write it again next time

    async def _run(self, entry: _Entry) -> None:
        if self._batch is not None:
            self._batch.append(entry)
        else:
            await self.db.execute(*_one(entry))

    async def _load_kind(self, kind: str) -> dict[str, Any]:
        await self.db.open()
        rows = await self.db.fetchall("SELECT key, data FROM ptb_state WHERE kind = :kind", {"kind": kind})
        out = {}
        for row in rows:
            self._written[(kind, row["key"])] = row["data"]
            out[row["key"]] = loads(row["data"])
        return out

    async def _write(self, kind: str, key: str, value: Any) -> None:
        text = dumps(value)
        if self._written.get((kind, key)) == text:
            return
        self._written[(kind, key)] = text
        await self._run((kind, key, text))

    async def _delete(self, kind: str, key: str) -> None:
        # Only rows this process loaded or wrote can exist (it is the only writer of ptb_state): PTB asks to
        # "update" every empty chat_data/user_data after each update, and a DELETE of a missing row would still
        # cost a statement per update (bench/handlers.py).
        if self._written.pop((kind, key), None) is None:
            return
        await self._run((kind, key, None))

    # --- user_data / chat_data -------------------------------------------------------------------------------
    async def get_user_data(self) -> dict[int, dict]:
        return _int_keys(await self._load_kind("user_data"))

    async def get_chat_data(self) -> dict[int, dict]:
        return _int_keys(await self._load_kind("chat_data"))

    async def update_user_data(self, user_id: int, data: dict) -> None:
        if data:
            await self._write("user_data", str(user_id), data)
        else:
            await self._delete("user_data", str(user_id))

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        if data:
            await self._write("chat_data", str(chat_id), data)
        else:
            await self._delete("chat_data", str(chat_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self._delete("user_data", str(user_id))

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._delete("chat_data", str(chat_id))

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        """Nothing to refresh: this process is the only writer of ``ptb_state``."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        """Nothing to refresh: this process is the only writer of ``ptb_state``."""

    # --- bot_data / callback_data: not stored --------------------------------------------------------------
    async def get_bot_data(self) -> dict:
        return {}

    async def update_bot_data(self, data: dict) -> None:
        """Not stored (``store_data.bot_data`` is False)."""

    async def refresh_bot_data(self, bot_data: dict) -> None:
        """Not stored (``store_data.bot_data`` is False)."""

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        """Not stored (``store_data.callback_data`` is False)."""

    # --- conversations ----------------------------------------------------------------------------------------
    async def get_conversations(self, name: str) -> ConversationDict:
        stored = await self._load_kind(f"conversation:{name}")
        return {tuple(json.loads(k)): v for k, v in stored.items()}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        kind, key_text = f"conversation:{name}", json.dumps(list(key))
        if new_state is None:
            await self._delete(kind, key_text)
        else:
            await self._write(kind, key_text, new_state)

    async def flush(self) -> None:
        """Every write already went to SQLite; nothing is buffered."""
