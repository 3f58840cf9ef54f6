"""The embedded Bot API holds the bot to Telegram's rules, with Telegram's own errors (one test per rule), and
keeps the chats the page shows (edits in place, menus per scope and language, files, callback answers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken, RetryAfter

from bot.runtime.simulator import rules
from bot.runtime.simulator.botapi import BotApiEmulator, parse_body
from bot.runtime.simulator.rules import ApiError, FloodControl
from bot.runtime.simulator.telegram_html import HtmlError, parse

TOKEN = "123456:SIM-test"
CHAT = 4242


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def api(ticker: Ticker) -> BotApiEmulator:
    emulator = BotApiEmulator(TOKEN, flood=FloodControl(monotonic=ticker))
    emulator.add_user(CHAT, "Maria")
    return emulator


def error_of(api: BotApiEmulator, method: str, **params) -> ApiError:
    with pytest.raises(ApiError) as caught:
        api.call(method, params)
    return caught.value


def keyboard(data: str) -> dict:
    return {"inline_keyboard": [[{"text": "OK", "callback_data": data}]]}


# --- length limits --------------------------------------------------------------------------------------------
def test_text_up_to_4096_characters_is_sent_one_more_is_refused(api):
    api.call("sendMessage", {"chat_id": CHAT, "text": "é" * 4096})
    error = error_of(api, "sendMessage", chat_id=CHAT, text="é" * 4097)
    assert (error.code, error.description) == (400, "Bad Request: message is too long")


def test_the_limit_counts_the_text_after_entities_parsing(api, ticker):
    api.call("sendMessage", {"chat_id": CHAT, "text": "<b>" + "x" * 4096 + "</b>", "parse_mode": "HTML"})
    ticker.now += 5
    api.call("sendMessage", {"chat_id": CHAT, "text": "&amp;" * 4096, "parse_mode": "HTML"})


def test_empty_text_is_refused(api):
    assert error_of(api, "sendMessage", chat_id=CHAT, text="  ").description == "Bad Request: message text is empty"


def test_caption_over_1024_is_refused(api):
    photo = next(iter(api.files), None)
    assert photo is None
    api.user_sends_photo(CHAT, b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    file_id = next(iter(api.files))
    api.call("sendPhoto", {"chat_id": CHAT, "photo": file_id, "caption": "c" * 1024})
    error = error_of(api, "sendPhoto", chat_id=CHAT, photo=file_id, caption="c" * 1025)
    assert error.description == "Bad Request: message caption is too long"


def test_callback_data_over_64_bytes_is_refused(api):
    api.call("sendMessage", {"chat_id": CHAT, "text": "a", "reply_markup": keyboard("x" * 64)})
    # 33 two-byte characters are 66 bytes: bytes count, not characters
    error = error_of(api, "sendMessage", chat_id=CHAT, text="b", reply_markup=keyboard("é" * 33))
    assert error.description == "Bad Request: BUTTON_DATA_INVALID"
    assert [m.text for m in api.bot_messages(CHAT)] == ["a"]


def test_callback_data_is_checked_on_edits_too(api):
    sent = api.call("sendMessage", {"chat_id": CHAT, "text": "a"})
    error = error_of(api, "editMessageReplyMarkup", chat_id=CHAT, message_id=sent["message_id"],
                     reply_markup=keyboard("y" * 65))
    assert error.description == rules.BUTTON_DATA_INVALID


# --- HTML -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("source", "reason"), [
    ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
    ("Rp 5 <br> juta", 'Unsupported start tag "br" at byte offset 5'),
    ("é <b><i>x</b></i>", 'Unmatched end tag at byte offset 10, expected "</i>", found "</b>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("x <b", "Unclosed start tag at byte offset 2"),
    ("surel <kahn@inbox.ru>", 'Unsupported start tag "kahn@inbox.ru" at byte offset 6'),
    ("<b>x</b", "Unclosed end tag at byte offset 4"),
    ('<span class="x">s</span>', 'Unsupported start tag "span" at byte offset 0'),
])
def test_html_telegram_rejects_is_refused_with_its_reason(api, source, reason):
    error = error_of(api, "sendMessage", chat_id=CHAT, text=source, parse_mode="HTML")
    assert error.description == f"Bad Request: can't parse entities: {reason}"
    assert api.chat_view(CHAT)[-1]["kind"] == "error"  # the page shows it in red
    assert reason in api.chat_view(CHAT)[-1]["text"]


def test_html_telegram_accepts_is_rendered_safely():
    parsed = parse('<b>Rp5.000</b> &amp; <i>tepat</i> &lt;3 <a href="https://x.id/?a=1&amp;b=2">tautan</a> '
                   '<tg-spoiler>rahasia</tg-spoiler> <code>kode</code> &hello; <pre>p</pre>')
    assert parsed.text == "Rp5.000 & tepat <3 tautan rahasia kode &hello; p"
    assert parsed.safe_html.startswith("<b>Rp5.000</b> &amp; <i>tepat</i> &lt;3 <a href=\"https://x.id/?a=1&amp;b=2\"")
    assert '<span class="tg-spoiler">rahasia</span>' in parsed.safe_html


def test_a_script_link_never_reaches_the_page():
    parsed = parse('<a href="javascript:alert(1)">x</a>')
    assert 'href="#"' in parsed.safe_html


def test_without_parse_mode_tags_are_plain_text(api):
    api.call("sendMessage", {"chat_id": CHAT, "text": "<b>not bold"})
    assert api.chat_view(CHAT)[-1]["html"] == "&lt;b&gt;not bold"


def test_html_error_is_a_value_error():
    with pytest.raises(HtmlError):
        parse("<unknown>")


# --- edits ----------------------------------------------------------------------------------------------------
def test_editing_to_the_same_text_and_keyboard_is_not_modified(api):
    sent = api.call("sendMessage", {"chat_id": CHAT, "text": "<b>Angsuran</b>", "parse_mode": "HTML",
                                    "reply_markup": keyboard("pay:1")})
    error = error_of(api, "editMessageText", chat_id=CHAT, message_id=sent["message_id"], text="<b>Angsuran</b>",
                     parse_mode="HTML", reply_markup=keyboard("pay:1"))
    assert error.description == rules.NOT_MODIFIED
    assert error.description.startswith("Bad Request: message is not modified: specified new message content")
    error = error_of(api, "editMessageReplyMarkup", chat_id=CHAT, message_id=sent["message_id"],
                     reply_markup=keyboard("pay:1"))
    assert error.description == rules.NOT_MODIFIED


def test_an_edit_updates_the_message_in_place_and_drops_a_keyboard_not_repeated(api):
    sent = api.call("sendMessage", {"chat_id": CHAT, "text": "Pilih", "reply_markup": keyboard("pay:1")})
    api.call("editMessageText", {"chat_id": CHAT, "message_id": sent["message_id"], "text": "Dipilih"})
    view = [item for item in api.chat_view(CHAT) if item["kind"] == "message"]
    assert len(view) == 1
    assert (view[0]["text"], view[0]["edited"], "buttons" in view[0]) == ("Dipilih", True, False)
    # the same text again, now without a keyboard on either side, is "not modified"
    error = error_of(api, "editMessageText", chat_id=CHAT, message_id=sent["message_id"], text="Dipilih")
    assert error.description == rules.NOT_MODIFIED


def test_editing_a_message_that_is_not_there(api):
    error = error_of(api, "editMessageText", chat_id=CHAT, message_id=999, text="x")
    assert error.description == "Bad Request: message to edit not found"


# --- flood control --------------------------------------------------------------------------------------------
def test_one_message_a_second_per_chat_after_a_short_burst(api, ticker):
    for n in range(3):  # the burst Telegram tolerates
        api.call("sendMessage", {"chat_id": CHAT, "text": f"m{n}"})
    error = error_of(api, "sendMessage", chat_id=CHAT, text="too fast")
    assert (error.code, error.description, error.retry_after) == (429, "Too Many Requests: retry after 1", 1)
    assert error.payload()["parameters"] == {"retry_after": 1}
    ticker.now += 1.0  # one second later: one more message, and only one
    api.call("sendMessage", {"chat_id": CHAT, "text": "m3"})
    assert error_of(api, "sendMessage", chat_id=CHAT, text="x").code == 429
    api.call("sendMessage", {"chat_id": CHAT + 1, "text": "another chat is not held up"})


def test_strict_per_chat_limit_when_no_burst_is_allowed(ticker):
    api = BotApiEmulator(TOKEN, flood=FloodControl(per_chat_burst=1, monotonic=ticker))
    api.call("sendMessage", {"chat_id": CHAT, "text": "a"})
    ticker.now += 0.5
    assert error_of(api, "sendMessage", chat_id=CHAT, text="b").retry_after == 1
    ticker.now += 0.5
    api.call("sendMessage", {"chat_id": CHAT, "text": "c"})


def test_thirty_messages_a_second_overall(api, ticker):
    for chat in range(30):
        api.call("sendMessage", {"chat_id": 1000 + chat, "text": "hi"})
    error = error_of(api, "sendMessage", chat_id=2000, text="the 31st")
    assert (error.code, error.retry_after) == (429, 1)
    ticker.now += 0.04  # a little more than 1/30 s
    api.call("sendMessage", {"chat_id": 2000, "text": "one slot freed"})


def test_a_refused_message_takes_no_flood_token(api):
    for _ in range(5):
        error_of(api, "sendMessage", chat_id=CHAT, text="x" * 5000)
    for n in range(3):
        api.call("sendMessage", {"chat_id": CHAT, "text": f"ok {n}"})


def test_edits_and_callback_answers_are_not_flood_counted(api):
    sent = api.call("sendMessage", {"chat_id": CHAT, "text": "0"})
    for n in range(1, 10):
        api.call("editMessageText", {"chat_id": CHAT, "message_id": sent["message_id"], "text": str(n)})


# --- callback answers, menus, files ---------------------------------------------------------------------------
def test_a_tap_is_a_callback_query_answered_as_toast_or_alert(api):
    sent = api.call("sendMessage", {"chat_id": CHAT, "text": "Setujui?", "reply_markup": keyboard("ok:1")})
    query = api.user_taps(CHAT, sent["message_id"], "ok:1")
    update = api._poll({"offset": 0})[-1]["callback_query"]
    assert (update["id"], update["data"], update["message"]["message_id"]) == (query, "ok:1", sent["message_id"])
    api.call("answerCallbackQuery", {"callback_query_id": query, "text": "Tersimpan", "show_alert": True})
    assert api.chat_view(CHAT)[-1] == {**api.chat_view(CHAT)[-1], "kind": "alert", "text": "Tersimpan"}
    error = error_of(api, "answerCallbackQuery", callback_query_id=query)
    assert error.description == rules.QUERY_TOO_OLD
    with pytest.raises(ValueError, match="no button"):
        api.user_taps(CHAT, sent["message_id"], "not-there")


def test_the_menu_is_the_chats_scope_then_the_users_language_then_the_default(api):
    api.call("setMyCommands", {"commands": [{"command": "bantuan", "description": "Bantuan"}]})
    api.call("setMyCommands", {"commands": [{"command": "help", "description": "Help"}], "language_code": "en"})
    assert api.menu_for(CHAT) == [{"command": "bantuan", "description": "Bantuan"}]
    api.add_user(CHAT + 1, "John", language_code="en")
    assert api.menu_for(CHAT + 1)[0]["command"] == "help"
    api.call("setMyCommands", {"commands": [{"command": "bayar", "description": "Bayar"}],
                               "scope": {"type": "chat", "chat_id": CHAT}})
    assert api.menu_for(CHAT) == [{"command": "bayar", "description": "Bayar"}]


def test_an_unknown_file_id_is_refused(api):
    error = error_of(api, "sendPhoto", chat_id=CHAT, photo="nope")
    assert error.description == "Bad Request: wrong file identifier/HTTP URL specified"


def test_multipart_uploads_are_parsed_into_files():
    body = (b"--XX\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n"
            b"--XX\r\nContent-Disposition: form-data; name=\"document\"; filename=\"laporan.xlsx\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\nPK\x03\x04data\r\n--XX--\r\n")
    params, files = parse_body(body, "multipart/form-data; boundary=XX")
    assert params == {"chat_id": "42"}
    assert files["document"].name == "laporan.xlsx"
    assert files["document"].data == b"PK\x03\x04data"
    assert files["document"].mime.endswith("spreadsheetml.sheet")


# --- over real HTTP, through python-telegram-bot --------------------------------------------------------------
@pytest.fixture
def served(ticker: Ticker) -> Iterator[BotApiEmulator]:
    emulator = BotApiEmulator(TOKEN, flood=FloodControl(monotonic=ticker)).start()
    try:
        yield emulator
    finally:
        emulator.stop()


async def test_ptb_raises_telegrams_errors(served):
    async with Bot(TOKEN, base_url=served.base_url, base_file_url=f"{served.address}/file/bot") as bot:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(CHAT, "x" * 4097)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="d")]])
        sent = await bot.send_message(CHAT, "<b>hai</b>", parse_mode="HTML", reply_markup=markup)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("<b>hai</b>", CHAT, sent.message_id, parse_mode="HTML", reply_markup=markup)
        await bot.send_message(CHAT, "2")
        await bot.send_message(CHAT, "3")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "4")
        assert "Retry in 1 second" in str(caught.value)
        document = await bot.send_document(CHAT + 1, b"a;b\n1;2\n", filename="laporan.csv")
        assert document.document.file_name == "laporan.csv"
        downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
        assert bytes(downloaded) == b"a;b\n1;2\n"


async def test_a_wrong_token_is_refused_as_telegram_does(served):
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=served.base_url):
            pass


def test_save_and_restore_keep_the_chats_and_never_reuse_a_message_id(api, tmp_path):
    sent = api.call("sendMessage", {"chat_id": CHAT, "text": "<b>Halo</b>", "parse_mode": "HTML",
                                    "reply_markup": keyboard("a:1")})
    api.user_sends_photo(CHAT, b"\x89PNG\r\n\x1a\n" + b"\0" * 20, name="kuitansi.png")
    api.call("setMyCommands", {"commands": [{"command": "bayar", "description": "Bayar"}],
                               "scope": {"type": "chat", "chat_id": CHAT}})
    api.save(tmp_path)

    later = BotApiEmulator(TOKEN)
    assert later.restore(tmp_path)
    assert [i.get("text") for i in later.chat_view(CHAT)] == [i.get("text") for i in api.chat_view(CHAT)]
    assert later.menu_for(CHAT) == [{"command": "bayar", "description": "Bayar"}]
    photo = next(i for i in later.chat_view(CHAT) if i.get("photo"))
    assert later.files[photo["photo"].rsplit("/", 1)[1]].data.startswith(b"\x89PNG")
    later.call("editMessageText", {"chat_id": CHAT, "message_id": sent["message_id"], "text": "Diubah"})
    again = later.call("sendMessage", {"chat_id": CHAT, "text": "baru"})
    assert again["message_id"] > max(m for _, m in api.messages)
    assert not BotApiEmulator(TOKEN).restore(tmp_path / "nothing-here")
