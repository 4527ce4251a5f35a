"""Send a `Reply` to Telegram: HTML messages from `bot.conversation.render`, no link previews, the buttons
under the last message, and retries with backoff for what Telegram or the network may throw.

Telegram's own rate limits are kept by PTB's AIORateLimiter (configured in `app.py`), which
also waits out a 429 `RetryAfter` a couple of times itself; `with_retry` adds the timeouts,
network errors, 5xx and unreadable answers, and more patience for a `RetryAfter` the limiter
gave up on. It is patient by time, not by a number of attempts: updates are handled one at a
time and acknowledged after, so waiting out a storm of failures delays the other readers but
loses nothing, while giving up loses this reader's reply for good.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.conversation import render
from bot.models import Action, Button, Reply
from bot.runtime.aio import Backoff, Stopped, sleep_or_stop, until_stopped
from bot.telegram.callbacks import encode

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_DELAY = 0.5  # seconds; doubles up to MAX_DELAY (getUpdates, start-up calls)
MAX_DELAY = 30.0  # (sends: SEND_MAX_DELAY)
# with_retry: a failing call is tried again for this long before its error is raised (a
# Telegram outage of a couple of minutes costs a delay, not a reply); a reader is waiting, so
# it is tried at least every SEND_MAX_DELAY seconds — a few requests a minute, not a busy loop.
PATIENCE = 120.0
SEND_MAX_DELAY = 4.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


# python-telegram-bot logs these at ERROR, with a traceback, just before it raises the error
# that `with_retry` (and the start-up and getUpdates loops) retry: the retry's own WARNING line
# says what is retried. An ERROR in the log is for what a person must look at.
_RETRIED_BY_US = {
    "telegram.request.BaseRequest": "Can not load invalid JSON data",  # then TelegramError
    "telegram.ext.AIORateLimiter": "Rate limit hit after maximum",  # then RetryAfter
}


class _Retried(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


def quiet_retried_failures() -> None:
    """Drop PTB's ERROR lines about failures the bot retries (idempotent)."""
    for name, prefix in _RETRIED_BY_US.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Retried) for f in logger.filters):
            logger.addFilter(_Retried(prefix))


def retry_after_seconds(exc: RetryAfter) -> float:
    """`RetryAfter.retry_after` is an int or a timedelta depending on PTB settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def transient(exc: TelegramError) -> bool:
    """What passes: 429s, timeouts, network errors, 5xx and unreadable answers. A BadRequest
    (a NetworkError subclass in PTB), Forbidden, an invalid token...: a bug, a gone message or
    a blocked bot, never retried."""
    if isinstance(exc, BadRequest):
        return False
    if isinstance(exc, RetryAfter | TimedOut | NetworkError):
        return True
    return type(exc) is TelegramError  # the answer was not JSON; not Forbidden, Conflict...


async def with_retry(
    call: Callable[[], Awaitable[T]],
    what: str,
    patience: float | None = PATIENCE,
    *,
    retry: Callable[[TelegramError], bool] = transient,
    stop: asyncio.Event | None = None,
    backoff: Backoff | None = None,
) -> T:
    """Await `call()`, retrying the errors `retry` accepts (by default `transient`) with
    backoff (by default doubling from FIRST_DELAY to SEND_MAX_DELAY; a 429 waits what
    Telegram asks), until `patience` seconds have passed (None: for ever); then the last error
    is raised. With `stop`, a stop request cancels the call or the wait and raises Stopped.
    Each retry logs one WARNING line (an ERROR for a Conflict: another copy of the bot).

    A timed-out send may have been delivered, and so may one whose answer could not be read
    (PTB's bare `TelegramError` "Invalid server response": a body cut short or replaced by a
    proxy's page); a retry then sends it twice, which is better than not at all.
    """
    loop = asyncio.get_running_loop()
    deadline = None if patience is None else loop.time() + patience
    backoff = backoff or Backoff(FIRST_DELAY, SEND_MAX_DELAY)
    attempt = 0
    while True:
        attempt += 1
        try:
            return await (call() if stop is None else until_stopped(call(), stop))
        except TelegramError as exc:
            if not retry(exc):
                raise
            error = exc
        if isinstance(error, RetryAfter):
            wait = retry_after_seconds(error) + 0.1
            reason = "got 429 (Telegram asks to wait)"
        else:
            wait = backoff.next()
            reason = f"failed ({error})"
            if isinstance(error, Conflict):
                reason = f"conflict (is another copy of the bot running?): {error}"
        if deadline is not None and loop.time() + wait > deadline:
            raise error
        level = logging.ERROR if isinstance(error, Conflict) else logging.WARNING
        log.log(level, "%s %s; retry %d in %.1fs", what, reason, attempt, wait)
        if stop is None:
            await asyncio.sleep(wait)
        elif await sleep_or_stop(wait, stop):
            raise Stopped


async def answer_query(query: CallbackQuery, text: str | None) -> None:
    """Answer a button tap (a toast when there is text). A query too old to answer must not
    stop the reply itself, and a reader is waiting: a short patience."""
    try:
        await with_retry(
            lambda: query.answer(text=text[:200] if text else None), "answerCallbackQuery", 10
        )
    except BadRequest as exc:
        log.info("callback query not answered: %s", exc)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[_button(button) for button in row] for row in reply.buttons])


def _button(button: Button) -> InlineKeyboardButton:
    if button.action is Action.SHARE:
        # Telegram asks which chat, then opens inline mode there with the entry's id as the
        # query, which lists that entry alone (bot/conversation/inline.py): one more tap sends its card
        return InlineKeyboardButton(button.label, switch_inline_query=button.arg)
    return InlineKeyboardButton(button.label, callback_data=encode(button))


async def send_reply(
    bot: Bot, chat_id: int, reply: Reply, *, reply_to: int | None = None
) -> list[Message]:
    """Send the reply as one or more HTML messages (each ≤ 4096 characters); the buttons go
    under the last one. `reply_to` threads the first message under the reader's (groups)."""
    texts = render.telegram_html(reply)
    markup = keyboard(reply)
    sent: list[Message] = []
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        thread = (
            ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to is not None and index == 0
            else None
        )
        call = functools.partial(
            bot.send_message,
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup if last else None,
            reply_parameters=thread,
        )
        sent.append(await with_retry(call, "sendMessage"))
    return sent


async def edit_reply(bot: Bot, chat_id: int, message_id: int, reply: Reply) -> bool:
    """Show the reply in place of an earlier bot message (browsing pages, /forget's confirm).

    Returns False when it cannot be edited (too long for one message, too old, deleted): the
    caller then sends it as a new message.
    """
    texts = render.telegram_html(reply)
    if len(texts) != 1:
        return False
    call = functools.partial(
        bot.edit_message_text,
        texts[0],
        chat_id=chat_id,
        message_id=message_id,
        parse_mode=ParseMode.HTML,
        link_preview_options=NO_PREVIEW,
        reply_markup=keyboard(reply),
    )
    try:
        await with_retry(call, "editMessageText")
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True  # the same page tapped twice: it already shows this
        log.info("could not edit message, sending a new one: %s", exc)
        return False
    return True


async def edit_or_send(message: Message, reply: Reply) -> None:
    """The reply in place of a card or page the bot sent; a new message when it cannot be."""
    bot = message.get_bot()
    if not await edit_reply(bot, message.chat_id, message.message_id, reply):
        await send_reply(bot, message.chat_id, reply)


async def drop_buttons(bot: Bot, chat_id: int, message_id: int) -> None:
    """Best effort: a closed card or an old page footer keeps its text but loses its buttons."""
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
    except TelegramError as exc:
        log.debug("buttons not removed from message %s: %s", message_id, exc)
