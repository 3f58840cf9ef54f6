"""Telegram's HTML parse mode, checked the way the Bot API checks it, and turned into safe HTML for the page.

Telegram accepts only a few tags (https://core.telegram.org/bots/api#html-style) and rejects the whole message
when the markup is wrong, with ``400 Bad Request: can't parse entities: …``. :func:`parse` raises
:class:`HtmlError` with the same sentence (tdlib's wording, with byte offsets in UTF-8 like Telegram's), or
returns the plain text (what the user sees, and what the length limits count) and a sanitised copy of the markup
(every tag re-written from the allowed list, every text escaped), which the page may put into ``innerHTML``.

Rules, as Telegram applies them:

- tags: b strong i em u ins s strike del a(href) code pre(code class="language-…") tg-spoiler
  span(class="tg-spoiler") blockquote(expandable) tg-emoji(emoji-id); any other tag is refused;
- every start tag needs its end tag, nested properly (``<b><i></b></i>`` is refused);
- entities: ``&lt; &gt; &amp; &quot;`` and numeric ones (``&#38;`` ``&#x26;``); any other ``&…`` stays as text;
- a ``<`` that does not start a tag is refused (write ``&lt;``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                          "tg-spoiler", "span", "blockquote", "tg-emoji"})
#: How the page shows each tag (the same look, under tags a browser knows).
PAGE_TAG = {"strong": "b", "em": "i", "ins": "u", "strike": "s", "del": "s", "tg-spoiler": "span",
            "tg-emoji": "span"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ATTRIBUTE = re.compile(r"\s*([A-Za-z-]+)\s*(?:=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[A-Za-z]{1,8});")


class HtmlError(ValueError):
    """The text Telegram would refuse; ``str()`` is Telegram's sentence after "can't parse entities: "."""


@dataclass(frozen=True)
class Parsed:
    text: str  # what the user sees (entities decoded, tags removed)
    safe_html: str  # the page's markup: allowed tags only, every text escaped


def _offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(match: re.Match[str]) -> str | None:
    body = match.group(1)
    if body.startswith("#x"):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        return NAMED_ENTITIES.get(body)
    return chr(code) if 0 < code <= 0x10FFFF else None


def _attributes(tag: str, raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    position = 0
    raw = raw.rstrip("/").strip()
    while position < len(raw):
        match = _ATTRIBUTE.match(raw, position)
        if match is None or match.end() == position:
            break
        value = match.group(2) or ""
        if value[:1] in "\"'":
            value = value[1:-1]
        attrs[match.group(1).lower()] = html.unescape(value)
        position = match.end()
    return attrs


def _tag_end(source: str, start: int) -> int:
    """The index of the ">" closing a start tag whose attributes begin at ``start`` (quoted values may hold ">")."""
    quote = ""
    for index in range(start, len(source)):
        char = source[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == ">":
            return index
    return -1


def _open_tag(tag: str, attrs: dict[str, str]) -> str:
    if tag == "a":
        href = attrs.get("href", "")
        if not re.match(r"(?i)(https?|tg|mailto):", href):
            href = "#"
        return f'<a href="{html.escape(href)}" target="_blank" rel="noopener">'
    if tag in ("tg-spoiler", "span"):
        return '<span class="tg-spoiler">'
    if tag == "tg-emoji":
        return "<span>"
    if tag == "code" and attrs.get("class", "").startswith("language-"):
        return f'<code class="{html.escape(attrs["class"])}">'
    return f"<{PAGE_TAG.get(tag, tag)}>"


def parse(source: str) -> Parsed:
    """Check ``source`` as Telegram does with ``parse_mode=HTML``; raise :class:`HtmlError` or return it parsed."""
    text: list[str] = []
    out: list[str] = []
    stack: list[str] = []
    i = 0
    n = len(source)
    while i < n:
        char = source[i]
        if char == "&":
            match = _ENTITY.match(source, i)
            decoded = _decode_entity(match) if match else None
            if match and decoded is not None:
                text.append(decoded)
                out.append(html.escape(decoded))
                i = match.end()
            else:
                text.append("&")
                out.append("&amp;")
                i += 1
            continue
        if char != "<":
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            text.append(source[i:j])
            out.append(html.escape(source[i:j], quote=False))
            i = j
            continue
        begin = i
        if source.startswith("</", i):
            end = source.find(">", i)
            if end == -1:
                raise HtmlError(f"Unclosed end tag at byte offset {_offset(source, begin)}")
            name = source[i + 2:end].strip().lower()
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {_offset(source, begin)}")
            if name and name != stack[-1]:
                raise HtmlError(f'Unmatched end tag at byte offset {_offset(source, begin)}, expected '
                                f'"</{stack[-1]}>", found "</{name}>"')
            tag = stack.pop()
            out.append(f"</{'span' if tag in ('tg-spoiler', 'span', 'tg-emoji') else PAGE_TAG.get(tag, tag)}>")
            i = end + 1
            continue
        # like tdlib: the tag name runs to the first space or ">" ("<kahn@inbox.ru>" is the tag "kahn@inbox.ru")
        name_end = i + 1
        while name_end < n and not source[name_end].isspace() and source[name_end] != ">":
            name_end += 1
        if name_end >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_offset(source, begin)}")
        tag = source[i + 1:name_end].lower()
        if tag not in ALLOWED_TAGS:
            raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {_offset(source, begin)}')
        end = _tag_end(source, name_end)
        if end == -1:
            raise HtmlError(f"Unclosed start tag at byte offset {_offset(source, begin)}")
        attrs = _attributes(tag, source[name_end:end])
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {_offset(source, begin)}')
        stack.append(tag)
        out.append(_open_tag(tag, attrs))
        i = end + 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return Parsed("".join(text), "".join(out))


def plain(source: str) -> Parsed:
    """A text sent without a parse mode: shown as it is."""
    return Parsed(source, html.escape(source, quote=False))
