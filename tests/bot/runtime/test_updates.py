"""Unreadable updates (issue 13, item 4): retried a few times, then skipped, logged without content, counted."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest
from telegram import Update

from bot.runtime.updates import SKIP_AFTER, ReadableUpdatesRequest, quiet_ptb_parse_errors
from bot.services.updates import describe, record_skipped_update, skipped_count, skipped_updates
from tests.harness import RecordingRequest

GOOD = {"update_id": 8, "message": {"message_id": 1, "date": 1_764_000_000, "text": "/bantuan",
                                    "chat": {"id": 7, "type": "private"},
                                    "from": {"id": 7, "is_bot": False, "first_name": "Beni"}}}
NO_DATE = {"update_id": 7, "message": {"message_id": 2, "text": "NIK 5371014509900001",
                                       "chat": {"id": 6, "type": "private"},
                                       "from": {"id": 6, "is_bot": False, "first_name": "Yohana"}}}


class _Answers(RecordingRequest):
    """Answers getUpdates with a fixed batch."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.batch: list = []

    async def do_request(self, url, method, request_data=None, **kwargs):
        if url.endswith("/getUpdates"):
            return 200, json.dumps({"ok": True, "result": self.batch}).encode()
        return await super().do_request(url, method, request_data, **kwargs)


URL = "https://api.telegram.org/bot1:x/getUpdates"


def _at(offset: int) -> SimpleNamespace:
    return SimpleNamespace(parameters={"offset": offset, "timeout": 10})


async def test_an_unreadable_update_is_retried_then_replaced_by_its_bare_id(caplog):
    """PTB can't read update 7, so it asks again from the same offset: each such repeat is a failed attempt;
    after SKIP_AFTER of them the answer carries a bare {"update_id": 7} that PTB reads and confirms."""
    inner = _Answers()
    inner.batch = [NO_DATE, GOOD]
    skipped = []

    async def on_skip(*args):
        skipped.append(args)

    request = ReadableUpdatesRequest(inner, on_skip=on_skip, retry_wait=0)
    for _ in range(SKIP_AFTER):  # the first answer and the repeats PTB fails on: passed on as they are
        _code, payload = await request.do_request(URL, "POST", _at(7))
        assert json.loads(payload)["result"] == [NO_DATE, GOOD]
        with pytest.raises(KeyError):
            Update.de_list(json.loads(payload)["result"], None)
    assert skipped == []
    _code, payload = await request.do_request(URL, "POST", _at(7))
    result = json.loads(payload)["result"]
    assert result == [{"update_id": 7}, GOOD]
    assert [u.update_id for u in Update.de_list(result, None)] == [7, 8]  # PTB reads it, offset moves past it
    assert skipped == [(7, "message", ["chat", "from", "message_id", "text"], "KeyError", SKIP_AFTER)]
    assert "attempt 2 of 3" in caplog.text and "skipping update 7" in caplog.text
    assert "Yohana" not in caplog.text and "5371014509900001" not in caplog.text


async def test_readable_answers_and_repeats_of_them_pass_through_untouched(caplog):
    inner = _Answers()
    inner.batch = [GOOD]
    request = ReadableUpdatesRequest(inner, retry_wait=60)  # a wait would hang the test
    for _ in range(3):  # e.g. the answer was lost on the way and PTB asks again
        _code, payload = await request.do_request(URL, "POST", _at(8))
        assert payload == json.dumps({"ok": True, "result": [GOOD]}).encode()
    assert "can't be read" not in caplog.text


async def test_a_new_offset_forgets_the_failures():
    inner = _Answers()
    inner.batch = [NO_DATE]
    request = ReadableUpdatesRequest(inner, retry_wait=0)
    await request.do_request(URL, "POST", _at(7))
    await request.do_request(URL, "POST", _at(7))
    await request.do_request(URL, "POST", _at(9))  # moved on (a bare id skipped by hand, say)
    inner.batch = [NO_DATE]
    for _ in range(SKIP_AFTER):
        _code, payload = await request.do_request(URL, "POST", _at(7))
    assert json.loads(payload)["result"] == [NO_DATE]  # counted from one again


async def test_other_methods_are_not_read():
    inner = _Answers()
    code, _payload = await ReadableUpdatesRequest(inner).do_request("https://x/bot1:x/sendMessage", "POST")
    assert code == 200 and inner.of("sendMessage")


def test_ptbs_own_parse_error_lines_lose_the_raw_data(caplog):
    quiet_ptb_parse_errors()
    logger = logging.getLogger("telegram.ext.ExtBot")
    try:
        raise KeyError("date")
    except KeyError as exc:
        logger.critical("Error while parsing updates! Received data was %r", [NO_DATE], exc_info=exc)
    assert "Error while parsing updates!" in caplog.text and "KeyError" in caplog.text
    assert "Yohana" not in caplog.text and "5371014509900001" not in caplog.text
    assert "Traceback" not in caplog.text


def test_describe_keeps_field_names_only():
    assert describe(NO_DATE) == (7, "message", ["chat", "from", "message_id", "text"])
    assert describe({"update_id": 3, "brand_new_kind": {"secret": "x"}}) == (3, "brand_new_kind", ["secret"])
    assert describe("junk") == (None, "str", [])


async def test_skips_are_counted_for_the_admins(db):
    await record_skipped_update(db, update_id=7, kind="message", keys=["chat"], error="KeyError", attempts=3)
    await record_skipped_update(db, update_id=9, kind="poll", keys=[], error="TypeError", attempts=3)
    assert await skipped_count(db) == 2
    latest = await skipped_updates(db)
    assert [(s.update_id, s.kind, s.error) for s in latest] == [(9, "poll", "TypeError"), (7, "message", "KeyError")]
