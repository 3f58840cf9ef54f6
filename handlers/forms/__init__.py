"""The bot's forms: every form is declared and run by the engine in :mod:`handlers.forms.engine` (see
docs/forms.md); its draft is a row of the ``form_drafts`` table (:mod:`storage.drafts`).

This module keeps the drafts' lifetime: :func:`expire_stale_forms`, called by the scheduler's minute tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from storage import drafts

if TYPE_CHECKING:
    from telegram.ext import Application

#: A form left unfinished this long is dropped with everything typed into it (see :func:`expire_stale_forms`).
FORM_MAX_AGE = timedelta(hours=24)


async def expire_stale_forms(application: Application, now: datetime, max_age: timedelta = FORM_MAX_AGE) -> int:
    """Delete the form drafts started more than ``max_age`` ago (one DELETE) and return how many went.

    A draft holds what someone typed before confirming: a NIK and a phone number in /daftar, before consent was
    given. UU 27/2022 allows keeping that only while the form is being filled in, so an abandoned draft goes
    after a day. The user's next answer then finds no form and is left to the other handlers; they start
    again."""
    return await drafts.expire(application.db, now - max_age)  # type: ignore[attr-defined]
