"""Telegram's length limits for what :func:`messages.render` produced: 4,096 characters a message, 1,024 a
caption (issue 14, item 3).

:func:`split_message` cuts a long HTML text into parts that each fit, at a blank line when it can, else at a
line break, else (one enormous line) anywhere outside a tag or an entity; a tag open at a cut (``<b>`` around
a long list) is closed at the end of the part and opened again at the start of the next, so every part is
valid HTML on its own. :func:`shorten` keeps the first part of a text that must stay one piece (a caption,
an edited message) and ends it with "…". ``handlers.common.send`` and the outbox sender send every part, the
buttons under the last one, so a long list becomes several messages instead of an error from Telegram.
"""

from __future__ import annotations

import re

#: Telegram's limit for one text message.
MAX_MESSAGE_LENGTH = 4096
#: Telegram's limit for a photo's or a document's caption.
MAX_CAPTION_LENGTH = 1024
#: room kept in each part for the closing tags of the tags open at its cut
_CLOSING_RESERVE = 64

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")
_ELLIPSIS = "…"


def _open_tags(text: str, stack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tags still open after ``text``, given those open before it, as ``(name, opening tag)``."""
    stack = list(stack)
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            stack.append((name, match.group(0)))
        else:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name:
                    del stack[i]
                    break
    return stack


def _safe_cut(text: str, limit: int) -> int:
    """A position ≤ ``limit`` to cut ``text`` at that is not inside a tag or an entity (``&amp;``)."""
    cut = limit
    lt, gt = text.rfind("<", 0, cut), text.rfind(">", 0, cut)
    if lt > gt:
        cut = lt
    amp = text.rfind("&", max(0, cut - 10), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    space = text.rfind(" ", max(0, cut - 40), cut)
    if space > 0:
        cut = space + 1  # between words when one is near
    return max(cut, 1)


def _pieces(text: str, budget: int) -> list[str]:
    """``text`` as pieces of at most ``budget`` characters: paragraphs, else lines, else cuts of a line."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        while len(line) > budget:
            cut = _safe_cut(line, budget)
            pieces.append(line[:cut])
            line = line[cut:]
        if line:
            pieces.append(line)
    return pieces


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """``text`` as one or more parts of at most ``limit`` characters, each valid HTML on its own."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    stack: list[tuple[str, str]] = []
    current = ""
    prefix = ""

    def budget() -> int:
        return max(limit - len(prefix) - _CLOSING_RESERVE, 16)

    def flush() -> None:
        nonlocal current, prefix, stack
        body = current.rstrip("\n")
        if body.strip():
            stack = _open_tags(body, stack)
            parts.append(prefix + body + "".join(f"</{name}>" for name, _ in reversed(stack)))
            prefix = "".join(tag for _, tag in stack)
        current = ""

    for piece in _pieces(text, max(limit - 3 * _CLOSING_RESERVE, 16)):
        if len(current) + len(piece) > budget():
            # prefer the last blank line of the part, so a paragraph (a list item) stays whole
            para = current.rfind("\n\n")
            if para > budget() // 2:
                carry, current = current[para + 2:], current[:para]
                flush()
                current = carry
            else:
                flush()
        current += piece
    flush()
    # a pathological nesting of long tags could still overflow: never hand Telegram more than it takes
    return [p if len(p) <= limit else p[:limit] for p in parts] or [text[:limit]]


def shorten(text: str, limit: int = MAX_CAPTION_LENGTH) -> str:
    """``text`` when it fits in ``limit`` characters, else its first part ending in "…" (valid HTML)."""
    if len(text) <= limit:
        return text
    first = split_message(text, limit - len(_ELLIPSIS))[0]
    closing = re.search(r"(</[a-zA-Z0-9-]+>)*$", first)
    tail = closing.group(0) if closing else ""
    return first[:len(first) - len(tail)].rstrip() + _ELLIPSIS + tail
