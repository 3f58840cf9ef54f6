"""Invite tokens: what goes into a ``https://t.me/<bot>?start=<token>`` deep link.

Telegram allows only ``A–Z a–z 0–9 _ -`` and at most 64 characters in a start parameter. A token is 32 such
characters (24 random bytes, URL-safe base64), and only its SHA-256 is stored, so a leaked database does not
leak working links.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(text: str) -> bool:
    return bool(TOKEN_PATTERN.match(text))


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"
