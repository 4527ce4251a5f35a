"""Send a `Reply` to Telegram: HTML messages from `bot.render`, no link previews, the buttons
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
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot import render
from bot.models import Reply
from bot.telegram.callbacks import encode

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_DELAY = 0.5  # seconds; doubles up to MAX_DELAY (getUpdates, start-up calls)
MAX_DELAY = 30.0
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


async def with_retry(call: Callable[[], Awaitable[T]], what: str, patience: float = PATIENCE) -> T:
    """Await `call()`, retrying 429s, timeouts, network errors, 5xx and unreadable answers
    with backoff, until `patience` seconds have passed; then the last error is raised.

    A BadRequest (it is a NetworkError subclass in PTB), Forbidden, an invalid token...: a bug,
    a gone message or a blocked bot, never retried. A timed-out send may have been delivered,
    and so may one whose answer could not be read (PTB's bare `TelegramError` "Invalid server
    response": a body cut short or replaced by a proxy's page); a retry then sends it twice,
    which is better than not at all.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    delay = FIRST_DELAY
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except BadRequest:
            raise
        except RetryAfter as exc:
            error: TelegramError = exc
            wait = retry_after_seconds(exc) + 0.1
            reason = "got 429 (Telegram asks to wait)"
        except (TimedOut, NetworkError) as exc:
            error, reason = exc, f"failed ({exc})"
            wait, delay = delay, min(delay * 2, SEND_MAX_DELAY)
        except TelegramError as exc:
            if type(exc) is not TelegramError:  # Forbidden, InvalidToken, Conflict...
                raise
            error, reason = exc, f"failed ({exc})"  # the answer was not JSON
            wait, delay = delay, min(delay * 2, SEND_MAX_DELAY)
        if loop.time() + wait > deadline:
            raise error
        log.warning("%s %s; retry %d in %.1fs", what, reason, attempt, wait)
        await asyncio.sleep(wait)


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
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.label, callback_data=encode(button)) for button in row]
            for row in reply.buttons
        ]
    )


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
