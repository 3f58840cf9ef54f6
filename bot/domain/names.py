"""The one rule for a person's name, wherever it comes from: the bot's forms (/undang, /pinjaman_baru,
/daftar), ``pem-bot invite --name`` and ``pem-bot import-loans`` (issue 14, item 3).

Spaces are collapsed; a name is 2–80 characters of letters (any script), spaces and ``. , ' ’ -``. 80 is
also what keeps every message that shows names within Telegram's limits (the samples in
``tests/messages/samples`` use names of that length).
"""

from __future__ import annotations

import re

NAME_MIN = 2
NAME_MAX = 80
_NAME_OK = re.compile(r"^[^\W\d_]+(?:[ .,'’-]+[^\W\d_]+)*\.?$")


def clean_name(text: str) -> str | None:
    """Collapse spaces; a name has letters (any script), spaces and . , ' - only, 2–80 characters."""
    name = " ".join(text.split())
    if not (NAME_MIN <= len(name) <= NAME_MAX) or not _NAME_OK.match(name):
        return None
    return name
