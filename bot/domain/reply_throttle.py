"""How often the bot answers what it does not understand, per chat (issue 14, items 6 and 7).

An unknown user's "halo", a registered user's ``/perintahsalah`` or a command typed in a group gets a short
answer, but a flood of them must not be echoed message for message (and Telegram allows 20 messages a minute
in a group). :class:`ReplyThrottle` allows :attr:`limit` answers per chat in any :attr:`window`; the rest are
dropped silently. Pure: the caller passes ``now``; the state is a small dict pruned as it grows.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: answers per chat in one window
REPLY_LIMIT = 2
REPLY_WINDOW = timedelta(minutes=1)


@dataclass
class ReplyThrottle:
    limit: int = REPLY_LIMIT
    window: timedelta = REPLY_WINDOW
    #: past this many chats, those with nothing in the window are forgotten
    max_chats: int = 10_000
    _answers: dict[int, deque[datetime]] = field(default_factory=dict)

    def allow(self, chat_id: int, now: datetime) -> bool:
        """True (and counted) when the chat may get an answer at ``now``; False when it had :attr:`limit`
        answers in the last :attr:`window`."""
        times = self._answers.setdefault(chat_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        if len(self._answers) > self.max_chats:
            self._prune(now)
        return True

    def _prune(self, now: datetime) -> None:
        for chat_id in [c for c, t in self._answers.items() if not t or now - t[-1] >= self.window]:
            del self._answers[chat_id]
