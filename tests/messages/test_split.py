"""messages.split: no message over 4,096 characters, no caption over 1,024, every part valid HTML
(issue 14, item 3)."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from typing import Any

import pytest

from messages import MAX_MESSAGE_LENGTH, label_keys, render, render_parts, shorten, split_message, template_names
from tests.messages.samples import all_samples

LONGEST_NAME = ("Yohana Maria Goreti Fransiska Bria Lerik " * 3)[:80]


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _valid(part: str) -> str:
    parser = _Balance()
    parser.feed(part)
    parser.close()
    assert parser.stack == [], f"unclosed {parser.stack}"
    assert "&" not in part.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").replace("&quot;", "")
    return "".join(parser.text)


def _words(text: str) -> list[str]:
    return text.split()


def test_a_short_text_is_one_part_unchanged():
    assert split_message("<b>Halo</b>") == ["<b>Halo</b>"]
    assert shorten("<b>Halo</b>") == "<b>Halo</b>"


def test_a_long_list_splits_between_items_and_keeps_every_word():
    items = [f"{n}. <b>PB-{n:05d}</b> · {LONGEST_NAME} &amp; co\n   Rp500.000 · 28 November 2026" for n in range(1, 80)]
    text = "<b>79 pembayaran</b>\n\n" + "\n\n".join(items) + "\n\nTekan ✅"
    parts = split_message(text)
    assert len(parts) > 1 and all(len(p) <= MAX_MESSAGE_LENGTH for p in parts)
    seen = [_valid(p) for p in parts]
    assert _words(" ".join(seen)) == _words(_valid(text))
    assert all(p.lstrip()[0].isdigit() or p.startswith("<b>79") for p in parts), "cut between items"


def test_one_enormous_bold_line_is_cut_with_its_tags_closed_and_reopened():
    text = "<b>" + ("kata " * 3_000) + "</b> &amp; selesai"
    parts = split_message(text)
    assert len(parts) >= 4 and all(len(p) <= MAX_MESSAGE_LENGTH for p in parts)
    assert all(p.startswith("<b>") for p in parts[1:])
    assert _words(" ".join(_valid(p) for p in parts)) == _words(_valid(text))


@pytest.mark.parametrize("limit", [1024, 200])
def test_shorten_fits_a_caption_and_ends_with_an_ellipsis(limit):
    text = "<b>Peserta</b> " + "<i>" + "nama panjang " * 400 + "</i>"
    short = shorten(text, limit)
    assert len(short) <= limit and "…" in short
    _valid(short)


def _with_longest_names(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _with_longest_names(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_with_longest_names(v, key) for v in value)
    if isinstance(value, str) and key.endswith("name"):
        return LONGEST_NAME
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f: _with_longest_names(getattr(value, f), f)
                                             for f in value.__dataclass_fields__
                                             if f.endswith("name") and isinstance(getattr(value, f), str)})
    return value


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_template_with_the_longest_names_allowed_fits_telegram(lang):
    samples = all_samples()
    assert label_keys(lang)
    for name in template_names(lang):
        ctx = _with_longest_names(samples[name])
        whole = render(name, lang, **ctx)
        parts = render_parts(name, lang, **ctx)
        assert all(len(p) <= MAX_MESSAGE_LENGTH for p in parts), name
        if len(whole) <= MAX_MESSAGE_LENGTH:
            assert parts == [whole], name
