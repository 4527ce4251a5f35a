"""Inline mode: `@bot query` in any chat lists up to 10 vetted answers; choosing one sends its
card into that chat. Thin glue over `AnswerService.inline` (bot/conversation/inline.py ranks the entries).

- Each result is an article whose message is the entry's card as HTML (one message, ≤ 4,096
  characters), with one URL button that opens the bot on that answer (a start link).
- Nothing about the person typing is stored: the service counts the query (per hour) for
  /stats. The answer is cached by Telegram for a short time and for everyone (`is_personal`
  false): the results depend on the words only.
- `chosen_inline_result` (only sent when inline feedback is on in BotFather) is counted too.
- Enable inline mode in BotFather: /setinline (and /setinlinefeedback for the count of cards
  sent); README "Inline mode".
"""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, ChosenInlineResultHandler, ContextTypes, InlineQueryHandler

from bot.conversation import links
from bot.conversation.inline import InlineItem
from bot.conversation.service import AnswerService
from bot.runtime import logs
from bot.telegram.sending import NO_PREVIEW, with_retry

log = logging.getLogger(__name__)

CACHE_SECONDS = 60  # a reload shows in inline mode within a minute


class Inline:
    def __init__(self, service: AnswerService) -> None:
        self.service = service

    def handlers(self) -> list[BaseHandler]:
        return [InlineQueryHandler(self.query), ChosenInlineResultHandler(self.chosen)]

    async def query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inline_query = update.inline_query
        assert inline_query is not None
        found = await self.service.inline(inline_query.query)
        username = context.bot.username or ""
        results = [self._article(item, username) for item in found.items]
        logs.note(outcome="inline_urgent" if found.urgent else "inline", results=len(results))
        try:
            await with_retry(
                lambda: inline_query.answer(results, cache_time=CACHE_SECONDS, is_personal=False),
                "answerInlineQuery",
                10,  # the person is typing: an old answer is worth nothing
            )
        except BadRequest as exc:  # e.g. the query is too old to answer
            log.info("inline query not answered: %s", exc)

    def _article(self, item: InlineItem, username: str) -> InlineQueryResultArticle:
        markup = None
        if item.entry is not None and username:
            label = self.service.knowledge.settings.text("inline_open_button")
            url = links.start_link(username, item.entry.id)
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])
        return InlineQueryResultArticle(
            id=item.id,
            title=item.title,
            description=item.description,
            input_message_content=InputTextMessageContent(
                item.html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            ),
            reply_markup=markup,
        )

    async def chosen(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.service.inline_chosen()
