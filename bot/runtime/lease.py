"""The sender lease: one process at a time sends the outbox, so Telegram's limits hold across processes.

Each process keeps its own rate limiter (30 messages/s) and per-chat spacing; two processes sending at once
(``pem-bot run`` and a ``pem-bot tick`` typed next to it) would double them. So whoever wants to send the outbox
first takes the lease row ``outbox`` (migration 0010, :mod:`storage.sender_lease`):

- the running bot's scheduler takes it at start-up (the catch-up tick) and renews it at every minute tick, and
  every :data:`RENEW_EVERY` seconds during a long send run (:meth:`SenderLease.keep`); it releases it at shutdown;
- ``pem-bot tick`` takes it for its one run and releases it when it exits. A tick that finds the lease held by
  someone else (normally the running bot) only runs the jobs, i.e. *enqueues*, and leaves the sending to the
  holder, whose next minute tick (within 60 s) sends what was queued;
- a lease runs out :data:`LEASE_TTL` after its last renewal, so a holder that died (kill -9, power cut) blocks
  nobody for longer than that. A process on the same host whose holder's pid no longer exists takes it over at
  once (a bot restarted after a crash sends at start-up, not two minutes later).

What the lease does not cover: replies to the person who wrote and a handler's immediate notice are sent by the
bot process that handles the update, holder or not (someone is waiting for them; they are the bot's own traffic
and go through its limiter). Only a ``tick`` that took the lease while the bot was down, and is still sending
when the bot comes up, overlaps with those replies; the bot's own outbox sending waits for the lease.

The "never twice" rules are unchanged and independent of the lease: every message is still claimed before it
is sent (:func:`storage.outbox.claim`), so even two senders that both believed they held the lease (clocks far
apart) could not send one message twice.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time as _time
from datetime import timedelta

from bot.runtime import clock
from storage import sender_lease
from storage.db import Database
from storage.sender_lease import Lease

log = logging.getLogger(__name__)

#: How long a lease lasts after its last renewal (the bot renews at every minute tick).
LEASE_TTL = timedelta(seconds=120)
#: During a send run, the lease is renewed when it was last renewed this many seconds ago.
RENEW_EVERY = 20.0


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return True  # can't tell: assume it is alive (the lease then runs out by itself)
    return True


class SenderLease:
    """One process's claim on the right to send the outbox (``role``: ``run`` or ``tick``)."""

    def __init__(self, db: Database, role: str, *, ttl: timedelta = LEASE_TTL, renew_every: float = RENEW_EVERY,
                 host: str | None = None, pid: int | None = None, name: str = sender_lease.OUTBOX) -> None:
        self.db = db
        self.role = role
        self.ttl = ttl
        self.renew_every = renew_every
        self.host = host or socket.gethostname()
        self.pid = os.getpid() if pid is None else pid
        self.name = name
        self.holder = f"{role}:{self.host}:{self.pid}:{secrets.token_hex(4)}"
        self.held = False
        self._renewed = 0.0

    async def acquire(self) -> bool:
        """Take or renew the lease; True when this process holds it now."""
        now = clock.utcnow()
        takeover = None
        current = await sender_lease.current(self.db, self.name)
        if (current is not None and current.holder != self.holder and current.expires_at > now
                and current.host == self.host and current.pid != os.getpid() and not _alive(current.pid)):
            takeover = current.holder  # its process is gone: no need to wait for the lease to run out
            log.info("sender lease: %s (pid %s) is gone; taking over", current.role, current.pid)
        was_held = self.held
        self.held = await sender_lease.take(
            self.db, name=self.name, holder=self.holder, role=self.role, host=self.host, pid=self.pid, now=now,
            until=now + self.ttl, takeover=takeover)
        self._renewed = _time.monotonic()
        if self.held and not was_held:
            log.info("sender lease taken by %s", self.holder)
        elif was_held and not self.held:
            log.warning("sender lease lost by %s", self.holder)
        return self.held

    async def keep(self) -> bool:
        """During a send run: renew the lease when it is due for renewal; False when it is no longer ours."""
        if not self.held:
            return False
        if _time.monotonic() - self._renewed < self.renew_every:
            return True
        return await self.acquire()

    async def release(self) -> None:
        """Give the lease up (at exit), so the next sender need not wait for it to run out."""
        if self.held:
            await sender_lease.release(self.db, name=self.name, holder=self.holder)
            self.held = False

    async def holder_now(self) -> Lease | None:
        """Who holds the lease now (None when nobody does, or it has run out)."""
        current = await sender_lease.current(self.db, self.name)
        if current is None or current.expires_at <= clock.utcnow():
            return None
        return current
