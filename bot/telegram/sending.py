"""Send a `Reply` to Telegram: HTML messages from `bot.render`, no link previews, the buttons
under the last message, and retries with backoff for what Telegram or the network may throw.

Telegram's own rate limits are kept by PTB's AIORateLimiter (configured in `app.py`), which
also waits out a 429 `RetryAfter` a couple of times itself; `with_retry` adds the timeouts and
network errors, and a last chance for a `RetryAfter` the limiter gave up on.
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
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot import render
from bot.models import Reply
from bot.telegram.callbacks import encode

log = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 5
FIRST_DELAY = 0.5  # seconds; doubles up to MAX_DELAY
MAX_DELAY = 30.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def retry_after_seconds(exc: RetryAfter) -> float:
    """`RetryAfter.retry_after` is an int or a timedelta depending on PTB settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def with_retry(call: Callable[[], Awaitable[T]], what: str) -> T:
    """Await `call()`, retrying 429s, timeouts and network errors with backoff.

    A BadRequest (it is a NetworkError subclass in PTB) is a bug or a gone message: never
    retried. A timed-out send may have been delivered; a retry then sends it twice, which is
    better than not at all.
    """
    delay = FIRST_DELAY
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await call()
        except BadRequest:
            raise
        except RetryAfter as exc:
            if attempt == ATTEMPTS:
                raise
            wait = retry_after_seconds(exc) + 0.1
            log.warning("%s: Telegram asks to wait %.1fs (429); retrying", what, wait)
        except (TimedOut, NetworkError) as exc:
            if attempt == ATTEMPTS:
                raise
            wait, delay = delay, min(delay * 2, MAX_DELAY)
            log.warning("%s failed (%s); retry %d in %.1fs", what, exc, attempt, wait)
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.label, callback_data=encode(button)) for button in row]
            for row in reply.buttons
        ]
    )


async def typing(bot: Bot, chat_id: int) -> None:
    """Show "typing…" while the answer is prepared. Cosmetic: failures are ignored."""
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:
        log.debug("typing action failed: %s", exc)


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
