"""Handlers for readers: commands, questions, button taps, everything else they may send.

Thin glue: each handler turns a Telegram update into one `AnswerService` call and sends the
`Reply` it gets (rendered by `bot.conversation.render`). The console (`expertbot chat`) makes the same calls,
so both give the same answers.

Behaviour worth knowing:
- Group chats: the bot answers only messages that mention it (@username, also as
  /command@username) or reply to one of its messages; the mention is removed from the question.
  Its replies in groups are threaded under the question.
- Edited messages are ignored (and not even requested from Telegram, see `app.py`): the
  reader already has an answer to the first version, and answering an edit would log and queue
  the question twice. To ask again, the reader sends a new message.
- Forwarded messages are questions like any other text.
- Photos, voice notes, stickers, files, locations...: a note that the bot reads text only.
- A per-chat limit on questions (bot.yaml `rate_limit_per_minute`, or EXPERTBOT_RATE_LIMIT):
  over it, the question is not processed at all and the reader is told once per minute.
- The reader's text is never logged (the service logs the outcome, not the words).
"""

from __future__ import annotations

import logging
import re

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.conversation import render
from bot.conversation.service import AnswerService
from bot.models import Action, Reply
from bot.runtime import logs
from bot.telegram import callbacks
from bot.telegram.ratelimit import ChatRateLimit, Verdict
from bot.telegram.sending import answer_query, edit_reply, send_reply

log = logging.getLogger(__name__)

# Commands in the menu (setMyCommands), with their descriptions.
COMMANDS = (
    ("start", "What this bot does"),
    ("topics", "Browse the answers by topic"),
    ("help", "How to ask a question"),
    ("privacy", "What is stored about you"),
    ("forget", "Delete your questions and votes"),
)

# Button taps that change the tapped message instead of sending a new one: paging through
# topics (on a browsing message), and /forget's confirmation.
_BROWSE = frozenset({Action.TOPICS.value, Action.TOPIC.value, Action.ENTRY.value})
_CONFIRM = frozenset({Action.FORGET, Action.CANCEL})
_VOTES = frozenset({Action.VOTE_UP, Action.VOTE_DOWN})

NON_TEXT = (
    filters.PHOTO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.VOICE
    | filters.AUDIO
    | filters.Document.ALL
    | filters.Sticker.ALL
    | filters.LOCATION
    | filters.VENUE
    | filters.CONTACT
    | filters.POLL
    | filters.Dice.ALL
)


def mentions_bot(message: Message, bot: Bot) -> bool:
    """Does the message (or caption) @mention this bot, or use /command@thisbot?"""
    username = (bot.username or "").lower()
    found = {
        **message.parse_entities(
            [
                MessageEntityType.MENTION,
                MessageEntityType.BOT_COMMAND,
                MessageEntityType.TEXT_MENTION,
            ]
        ),
        **message.parse_caption_entities(
            [MessageEntityType.MENTION, MessageEntityType.TEXT_MENTION]
        ),
    }
    for entity, text in found.items():
        if entity.type == MessageEntityType.TEXT_MENTION:
            if entity.user is not None and entity.user.id == bot.id:
                return True
        elif username and text.lower().endswith("@" + username):
            return True
    text = message.text or message.caption or ""
    return bool(username) and _mention_re(username).search(text) is not None


def _mention_re(username: str) -> re.Pattern[str]:
    return re.compile(rf"@{re.escape(username)}\b", re.IGNORECASE)


class _Addressed(filters.MessageFilter):
    """Private chats always; groups only when the bot is mentioned or replied to."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        if message.via_bot is not None and message.via_bot.id == bot.id:
            return False  # a card the reader sent with inline mode (in this chat): not a question
        if message.chat.type == ChatType.PRIVATE:
            return True
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        return mentions_bot(message, bot)


class Reader:
    """The reader's side of the bot, over one AnswerService."""

    def __init__(
        self,
        service: AnswerService,
        *,
        rate_limit: int | None = None,
        limiter: ChatRateLimit | None = None,
    ) -> None:
        self.service = service
        self.rate_limit = rate_limit  # None: bot.yaml's setting (it may change on reload)
        self.limiter = limiter or ChatRateLimit()

    def handlers(self) -> list[BaseHandler]:
        # UpdateType.MESSAGE: new messages only; edits are ignored (see the module docstring).
        new = filters.UpdateType.MESSAGE & _Addressed()
        commands = [
            CommandHandler("start", self.start, filters=new),
            CommandHandler("help", self.help, filters=new),
            CommandHandler("topics", self.topics, filters=new),
            CommandHandler("privacy", self.privacy, filters=new),
            CommandHandler("forget", self.forget, filters=new),
        ]
        return [
            *commands,
            MessageHandler(new & filters.COMMAND, self.help),  # an unknown /command
            MessageHandler(new & filters.TEXT, self.question),
            MessageHandler(new & NON_TEXT, self.non_text),
            CallbackQueryHandler(self.button),
        ]

    # --- sending ---------------------------------------------------------------------------

    async def _send(self, update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
        message = update.effective_message
        assert message is not None
        thread = message.message_id if message.chat.type != ChatType.PRIVATE else None
        await send_reply(context.bot, message.chat_id, reply, reply_to=thread)

    # --- commands --------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, or a start link: t.me/<bot>?start=<entry-id> arrives as /start <entry-id>."""
        message = update.effective_message
        assert message is not None
        payload = context.args[0] if context.args else ""
        await self._send(update, context, await self.service.start(message.chat_id, payload))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._send(update, context, self.service.how_to_ask())

    async def topics(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._send(update, context, self.service.topics())

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._send(update, context, self.service.privacy())

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._send(update, context, self.service.forget_confirm())  # asks first

    # --- messages --------------------------------------------------------------------------

    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        chat_id = message.chat_id
        text = message.text
        if message.chat.type != ChatType.PRIVATE and context.bot.username:
            text = _mention_re(context.bot.username).sub(" ", text).strip()
        limit = self.rate_limit
        if limit is None:
            limit = self.service.knowledge.settings.rate_limit_per_minute
        verdict = self.limiter.check(chat_id, limit)
        if verdict is Verdict.DROP:
            if not logs.note(outcome="rate_limited_dropped"):
                log.info("rate limit: message dropped (reader already told)")
            return
        if verdict is Verdict.NOTIFY:
            if not logs.note(outcome="rate_limited"):
                log.info("rate limit: reader told to slow down")
            await self._send(update, context, self.service.notice("rate_limited"))
            return
        # no "typing…" action: the answer is ready in milliseconds, and the action would cost
        # half of Telegram's 30 requests a second (tests/e2e/test_load.py)
        reply = await self.service.ask(chat_id, text)
        await self._send(update, context, reply)

    async def non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._send(update, context, self.service.notice("non_text"))

    # --- buttons ---------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        tapped = query.message if isinstance(query.message, Message) else None
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        decoded = callbacks.decode(query.data or "", self.service.knowledge)
        if decoded is None or not isinstance(decoded[0], Action):
            await self._toast(query, self.service.notice("answer_changed"))
            return
        action, arg = decoded
        if action in _VOTES:
            # a vote gets a small toast, not a new message in the chat
            await self._toast(query, await self.service.press(chat_id, action, arg))
            return
        await self._toast(query, None)  # stop the button's spinner first
        reply = await self.service.press(chat_id, action, arg)
        in_place = tapped is not None and _edits_in_place(action, tapped)
        if in_place and await edit_reply(context.bot, chat_id, tapped.message_id, reply):
            return
        thread = tapped.message_id if tapped and tapped.chat.type != ChatType.PRIVATE else None
        await send_reply(context.bot, chat_id, reply, reply_to=thread)

    @staticmethod
    async def _toast(query: CallbackQuery, reply: Reply | None) -> None:
        """Answer the callback query (a toast when there is text). A query that is too old
        can't be answered any more; that must not stop the reply itself."""
        await answer_query(query, render.plain(reply) if reply is not None else None)


def _edits_in_place(action: Action, tapped: Message) -> bool:
    if action in _CONFIRM:
        return True
    if action not in (Action.TOPICS, Action.TOPIC):
        return False
    # only on a browsing message (topics, a topic's questions), not on /start or an answer
    markup = tapped.reply_markup
    if not isinstance(markup, InlineKeyboardMarkup):
        return False
    letters = {
        str(button.callback_data).partition(":")[0]
        for row in markup.inline_keyboard
        for button in row
        if button.callback_data is not None
    }
    return bool(letters) and letters <= _BROWSE
