"""Getting updates reliably: handle each update once, acknowledge it only after it is handled.

python-telegram-bot's stock `Updater` acknowledges updates (advances the getUpdates offset)
before any handler runs, so a crash loses every update it had fetched but not handled. Here:

- `Poller` calls getUpdates itself and hands each update to the `UpdateGate`; the offset moves
  past an update only after it was handled, and the next getUpdates call is what acknowledges
  it to Telegram. A crash therefore loses nothing: Telegram delivers again what was not
  acknowledged.
- `UpdateGate` skips an update whose id was already handled (kept in memory and in SQLite, for
  two days: Telegram keeps an update for 24 hours), so a re-delivered update is not answered
  twice. Updates are handled one at a time, in order (one SQLite connection; correctness
  first). A handler's exception goes to the application's error handler, is logged, and
  the next update is handled as usual.

Delivery is at least once: a crash after the reply was sent but before the update id was
saved answers that update again on restart (the question's queue item stays single). The
same holds for an update a stop cuts short: a stop lets the update in hand finish, but only
for STOP_GRACE seconds (its reply may be retried through a Telegram outage, see
`sending.with_retry`); then it is abandoned unrecorded and unacknowledged, and the next
start handles it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.runtime import logs
from bot.runtime.aio import Backoff, Stopped
from bot.storage import Store, StoreError
from bot.telegram.sending import FIRST_DELAY, MAX_DELAY, with_retry

log = logging.getLogger(__name__)

# Only what the handlers use; edited messages are deliberately not requested (reader.py).
ALLOWED_UPDATES = ["message", "callback_query", "inline_query", "chosen_inline_result"]
POLL_TIMEOUT = 30  # seconds a getUpdates long poll may wait for news
STOP_GRACE = 5.0  # seconds the update in hand may still take after a stop (docker: 10 s)
_RECENT = 2000  # update ids remembered in memory
_PRUNE_EVERY = 500  # handled updates between prunes of the stored ids


class UpdateGate:
    """Hands each update to the application exactly once (as far as a crash allows)."""

    def __init__(self, application: Application, store: Store) -> None:
        self.application = application
        self.store = store
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._lock = asyncio.Lock()  # one update at a time: webhook requests may overlap
        self._handled = 0

    async def handle(self, update: Update) -> bool:
        """Process the update unless already handled; True if it was processed now."""
        async with self._lock:
            update_id = update.update_id
            if await self._seen(update_id):
                log.info("update %d was already handled; skipped", update_id)
                return False
            started = time.perf_counter()
            with logs.update_fields() as fields:
                try:
                    await self.application.process_update(update)
                except Exception:  # handler errors go to the error handler; a last resort
                    log.exception("update %d could not be processed", update_id)
                    fields.setdefault("outcome", "failed")
            _log_update(update, fields, (time.perf_counter() - started) * 1000)
            await self._remember(update_id)
            return True

    async def _seen(self, update_id: int) -> bool:
        if update_id in self._recent:
            return True
        try:
            return await self.store.update_handled(update_id)
        except StoreError as exc:
            log.error("cannot check whether update %d was handled: %s", update_id, exc)
            return False

    async def _remember(self, update_id: int) -> None:
        self._recent[update_id] = None
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)
        try:
            await self.store.mark_update_handled(update_id)
            self._handled += 1
            if self._handled % _PRUNE_EVERY == 0:
                await self.store.prune_handled_updates()
        except StoreError as exc:
            log.error("update %d handled but not recorded: %s", update_id, exc)


def _kind(update: Update) -> tuple[str, str]:
    """(kind of update, default outcome) — never the reader's text."""
    if update.callback_query is not None:
        return "button", "button"
    if update.inline_query is not None:
        return "inline", "inline"
    if update.chosen_inline_result is not None:
        return "inline_chosen", "inline_chosen"
    message = update.message
    if message is None:
        return "other", "ignored"
    if message.text is None:
        return "message", "non_text"
    if message.text.startswith("/"):
        command = message.text.split(maxsplit=1)[0].split("@", 1)[0][1:33]
        return "command", f"command:{command}" if command.isalnum() else "command"
    return "message", "-"


def _log_update(update: Update, fields: dict[str, Any], ms: float) -> None:
    """The one INFO line of a handled update: outcome, entry id, score, milliseconds."""
    kind, default = _kind(update)
    data: dict[str, Any] = {"update_id": update.update_id, "kind": kind, "outcome": default}
    data |= fields
    data["ms"] = round(ms, 1)
    score = data.get("score")
    log.info(
        "update %d %s outcome=%s entry=%s score=%s ms=%.1f",
        update.update_id,
        kind,
        data["outcome"],
        data.get("entry_id") or "-",
        f"{score:.3f}" if isinstance(score, float) else "-",
        ms,
        extra=data,
    )


class Poller:
    """Long polling with acknowledgement after handling (see the module docstring)."""

    def __init__(self, application: Application, gate: UpdateGate, stop: asyncio.Event) -> None:
        self.bot = application.bot
        self.gate = gate
        self.stop = stop
        self.offset = 0  # 0: whatever Telegram still holds; a saved offset could skip updates

    async def run(self) -> None:
        """Poll until a stop is requested; the update in hand is finished first. Raises
        InvalidToken if Telegram stops accepting the token; any other failure of getUpdates
        is retried (`sending.with_retry`, backing off up to MAX_DELAY)."""
        backoff = Backoff(FIRST_DELAY, MAX_DELAY)
        while not self.stop.is_set():
            try:
                updates = await with_retry(
                    self._get_updates,
                    "getUpdates",
                    None,
                    retry=lambda exc: not isinstance(exc, InvalidToken),
                    stop=self.stop,
                    backoff=backoff,
                )
            except Stopped:
                break
            backoff.reset()
            for update in updates:
                if self.stop.is_set():
                    break  # the rest stays unacknowledged: Telegram delivers it again
                try:
                    await self._handle(update)
                except Stopped:
                    break  # cut short: unacknowledged too
                self.offset = update.update_id + 1
        await self._acknowledge()

    async def _handle(self, update: Update) -> None:
        """Hand the update to the gate. After a stop request it gets STOP_GRACE seconds to
        finish; then it is cancelled (before the gate records it) and Stopped is raised."""
        task = asyncio.ensure_future(self.gate.handle(update))
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                await asyncio.wait({task}, timeout=STOP_GRACE)
        except asyncio.CancelledError:
            task.cancel()  # (the poller itself cancelled: the update goes with it)
            raise
        finally:
            stopper.cancel()
        if task.done():
            task.result()
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        log.warning(
            "update %d not finished %.0fs after the stop request: left for the next start",
            update.update_id,
            STOP_GRACE,
        )
        raise Stopped

    async def _get_updates(self) -> tuple[Update, ...]:
        return await self.bot.get_updates(
            offset=self.offset or None,
            timeout=POLL_TIMEOUT,
            allowed_updates=ALLOWED_UPDATES,
            read_timeout=POLL_TIMEOUT + 10,
        )

    async def _acknowledge(self) -> None:
        """On stop, tell Telegram what was handled (a getUpdates with the new offset; the
        one update it may return is left unacknowledged, for the next start)."""
        if not self.offset:
            return
        try:
            await self.bot.get_updates(
                offset=self.offset, limit=1, timeout=0, allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as exc:
            log.info(
                "could not acknowledge the last updates at stop (%s); they will be "
                "skipped as already handled on the next start",
                exc,
            )
