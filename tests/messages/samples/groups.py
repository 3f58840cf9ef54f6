"""Samples for handlers/groups.py's templates (issue 14, item 7)."""

from __future__ import annotations

SAMPLES = {
    "groups/private_chat": {"link": "https://t.me/pem_kupang_bot"},
    "plain/labels/groups": {"key": "open_private_chat"},
}
