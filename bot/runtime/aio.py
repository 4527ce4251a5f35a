"""The asyncio idioms the bot's long-running work shares, one copy each:

- `sleep_or_stop`: wait some seconds, but wake up at once when a stop is requested (or when
  there is news: an `asyncio.Event` the waiter is nudged with);
- `until_stopped`: await something unless a stop comes first (then it is cancelled);
- `Backoff`: the one backoff policy of every retry loop (doubling from `first` to `cap`);
- `Background`: the bot's background tasks (heartbeat, retention, outbox, watcher, weekly
  chart), started together and stopped together: each gets its stop event, a bounded time to
  finish what it has in hand, then is cancelled.

Periodic work runs as plain tasks built on `sleep_or_stop` (python-telegram-bot's JobQueue is
not used: the extra is not installed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Stopped(Exception):
    """A stop was requested (SIGTERM/SIGINT) while waiting."""


async def sleep_or_stop(
    seconds: float, stop: asyncio.Event, *, wake: asyncio.Event | None = None
) -> bool:
    """Sleep up to `seconds`; return early when `stop` (or `wake`) is set. True when `stop` is
    set, so loops read `while not await sleep_or_stop(every, stop): …`."""
    events = [stop] if wake is None else [stop, wake]
    if not any(event.is_set() for event in events):
        waiters = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
    return stop.is_set()


async def until_stopped(awaitable: Awaitable[T], stop: asyncio.Event) -> T:
    """Await `awaitable` unless `stop` is set first (then it is cancelled; raises Stopped)."""
    task = asyncio.ensure_future(awaitable)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):  # cancelled on purpose
        await task
    raise Stopped


class Backoff:
    """Waits that double from `first` up to `cap` seconds; `reset()` after a success."""

    def __init__(self, first: float, cap: float) -> None:
        self.first = first
        self.cap = cap
        self._next = first

    def next(self) -> float:
        wait = self._next
        self._next = min(self._next * 2, self.cap)
        return wait

    def reset(self) -> None:
        self._next = self.first


class Background:
    """Tasks that run beside the bot until it stops. `start(name, run)` calls `run(stop)` with
    an event of the task's own; `stop()` sets every event, lets the tasks finish what they have
    in hand for up to `grace` seconds, then cancels what is left."""

    def __init__(self, grace: float = 30.0) -> None:
        self.grace = grace
        self._tasks: dict[str, tuple[asyncio.Task, asyncio.Event]] = {}

    def start(
        self, name: str, run: Callable[[asyncio.Event], Coroutine[Any, Any, Any]]
    ) -> asyncio.Task:
        stop = asyncio.Event()
        task = asyncio.create_task(run(stop), name=name)
        self._tasks[name] = (task, stop)
        return task

    async def stop(self) -> None:
        for _, stop in self._tasks.values():
            stop.set()
        tasks = [task for task, _ in self._tasks.values()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.grace)
            for task in late:
                log.warning("%s did not stop within %.0fs: cancelled", task.get_name(), self.grace)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if not task.cancelled() and task.exception() is not None:
                log.error("%s failed: %s", task.get_name(), task.exception())
        self._tasks.clear()
