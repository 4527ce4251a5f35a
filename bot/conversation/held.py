"""The sweeper of held questions: a question shown choices waits for the reader (see
bot/storage/held.py); when its grace period is over, this queues it for the doctor, with the
choices the reader did not take. One background task in the bot (bot/runtime/aio.py `Background`):
at start it queues the ones that fell due while the bot was down, then sleeps until the next
one is due (or a new one is held)."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.conversation.service import AnswerService
from bot.runtime.aio import sleep_or_stop
from bot.storage import StoreError

log = logging.getLogger(__name__)

LONGEST_WAIT = 60.0  # seconds between looks when nothing is held (the terminal shares the db)
SOONEST_WAIT = 0.05  # …and at least this, so a clock that jumps cannot spin the loop


class HeldSweeper:
    def __init__(self, service: AnswerService) -> None:
        self.service = service
        self._wake = asyncio.Event()

    def nudge(self) -> None:
        """A question was just held: look at the due times again."""
        self._wake.set()

    async def sweep(self) -> float:
        """Queue what is due; returns the seconds until the next held question is due. (A
        look that finds nothing due only reads: no write lock on every new held question.)"""
        store = self.service.store
        if store is None:
            return LONGEST_WAIT
        try:
            due = await store.next_held_due()
            if due is not None and due <= time.time():
                await self.service.release_held()
                due = await store.next_held_due()
        except StoreError as exc:
            log.error("held questions: %s", exc)
            return LONGEST_WAIT / 6
        if due is None:
            return LONGEST_WAIT
        return min(max(due - time.time(), SOONEST_WAIT), LONGEST_WAIT)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                wait = await self.sweep()
            except Exception:  # never let it die: it carries readers' questions to the doctor
                log.exception("held questions sweep failed; trying again shortly")
                wait = LONGEST_WAIT / 6
            await sleep_or_stop(wait, stop, wake=self._wake)
