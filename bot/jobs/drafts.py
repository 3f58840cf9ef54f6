"""The form drafts' lifetime: :func:`expire_stale_forms`, run by the scheduler's minute tick."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import drafts
from storage.db import Database

#: A form left unfinished this long is dropped with everything typed into it (see :func:`expire_stale_forms`).
FORM_MAX_AGE = timedelta(hours=24)


async def expire_stale_forms(db: Database, now: datetime, max_age: timedelta = FORM_MAX_AGE) -> int:
    """Delete the form drafts started more than ``max_age`` ago (one DELETE) and return how many went.

    A draft holds what someone typed before confirming: a NIK and a phone number in /daftar, before consent was
    given. UU 27/2022 allows keeping that only while the form is being filled in, so an abandoned draft goes
    after a day. The user's next answer then finds no form and is left to the other handlers; they start
    again."""
    return await drafts.expire(db, now - max_age)
