"""A per-chat limit on questions: a sliding window of one minute, kept in memory.

Over the limit the question is not processed at all (not logged, not queued); the reader is
told once per window, so a flood gets one polite note rather than one per message.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

WINDOW_SECONDS = 60.0
_MAX_CHATS = 10_000  # idle chats are dropped beyond this, so memory stays flat


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # over the limit: tell the reader (first time in this window)
    DROP = "drop"  # over the limit, reader already told: say nothing


@dataclass
class _Chat:
    times: deque[float] = field(default_factory=deque)
    told_at: float | None = None


class ChatRateLimit:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._chats: dict[int, _Chat] = {}

    def check(self, chat_id: int, per_minute: int) -> Verdict:
        """Count one question from `chat_id` if allowed. `per_minute` 0 means no limit."""
        if per_minute <= 0:
            return Verdict.ALLOW
        now = self._clock()
        chat = self._chats.pop(chat_id, None) or _Chat()
        self._chats[chat_id] = chat  # most recently used last
        while chat.times and now - chat.times[0] >= WINDOW_SECONDS:
            chat.times.popleft()
        if chat.told_at is not None and now - chat.told_at >= WINDOW_SECONDS:
            chat.told_at = None
        if len(chat.times) < per_minute:
            chat.times.append(now)
            self._trim()
            return Verdict.ALLOW
        if chat.told_at is None:
            chat.told_at = now
            return Verdict.NOTIFY
        return Verdict.DROP

    def _trim(self) -> None:
        while len(self._chats) > _MAX_CHATS:
            del self._chats[next(iter(self._chats))]
