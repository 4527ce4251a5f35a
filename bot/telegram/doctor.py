"""Handlers for the doctor (DOCTOR_IDS) and admins (ADMIN_IDS): the buttons on question cards,
the replies that answer them, /queue, /stats (its text, then the chart: bot/telegram/charts.py),
/cancel, /reload and /proposals (its cards and buttons: bot/telegram/proposals.py).

Thin glue over `ReviewService`, which `expertbot queue …` uses too. Which queue item a card,
a prompt or an entry list is about is looked up in SQLite by (chat, message), never taken from
the button's data, so it survives restarts and a forged tap reaches nothing the bot did not
post. Anyone who is not a doctor gets one plain sentence and learns nothing about the queue.

How the doctor answers a card:
- reply to it (a Telegram reply), or tap ✍️ Reply and send the answer as her next message
  in that chat: her formatting and links are kept;
- 📚 It's entry…: the closest entries as buttons, or words typed to search; a tap answers with
  that entry, and the reader's words become a proposed alternate for it;
- Dismiss, or Dismiss + kind note (bot.yaml `dismissed_note` goes to the reader).
In her private chat, a message that is none of these is a question like any reader's (so she
can try the bot); in a review group, the doctors' other messages are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import Bot, BotCommand, BotCommandScopeChat, CallbackQuery, Message, Update, User
from telegram.constants import ChatType
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.conversation import rich
from bot.conversation.service import AnswerService
from bot.models import Reply, ReviewAction, number
from bot.review import replies as review_replies
from bot.review.service import Resolution, ReviewError, ReviewService
from bot.storage import Store, StoreError
from bot.telegram import callbacks
from bot.telegram.charts import Charts
from bot.telegram.outbox import Outbox, Roles
from bot.telegram.reader import COMMANDS, Reader
from bot.telegram.sending import (
    answer_query,
    drop_buttons,
    edit_or_send,
    send_reply,
    with_retry,
)

if TYPE_CHECKING:
    from bot.telegram.proposals import Proposals

log = logging.getLogger(__name__)

DOCTOR_COMMANDS = (
    ("queue", "Questions waiting for you"),
    ("stats", "What readers asked lately"),
    ("cancel", "Stop answering or searching"),
)
ADMIN_COMMANDS = (
    ("proposals", "Add what readers taught the bot to the knowledge"),
    ("reload", "Reload the knowledge files now"),
)
REFUSAL = "Sorry, that is only for the doctor."
ADMIN_REFUSAL = "Sorry, only an admin can do that."
SAVE_FAILED = "⚠️ That could not be saved ({error}). Nothing was sent; please try again."

Reload = Callable[[str], Awaitable[Reply]]


async def set_doctor_commands(bot: Bot, roles: Roles) -> None:
    """Doctor and admin commands show only in their own menus (scoped setMyCommands), and in
    the review group. Telegram won't let a bot write first to someone who never opened a chat
    with it: each such doctor gets a warning in the log, since questions can't reach them."""
    readers = [BotCommand(c, d) for c, d in COMMANDS]
    doctor = [BotCommand(c, d) for c, d in DOCTOR_COMMANDS]
    admin = [BotCommand(c, d) for c, d in ADMIN_COMMANDS]
    for user_id in sorted(roles.doctors | roles.admins):
        try:
            await with_retry(lambda u=user_id: bot.get_chat(u), "getChat")
        except Exception as exc:  # (never fatal: the bot serves readers without it)
            role = "doctor" if roles.is_doctor(user_id) else "admin"
            log.warning(
                "%s %d has never opened a chat with @%s (%s): Telegram won't let the bot "
                "write first, so ask them to open t.me/%s and press Start",
                role,
                user_id,
                bot.username,
                exc,
                bot.username,
            )
            continue
        menu = readers + (doctor if roles.is_doctor(user_id) else [])
        menu += admin if roles.is_admin(user_id) else []
        await _set_commands(bot, menu, user_id)
    if roles.review_chat is not None:
        await _set_commands(bot, doctor + admin, roles.review_chat)


async def _set_commands(bot: Bot, commands: list[BotCommand], chat_id: int) -> None:
    try:
        await with_retry(
            lambda: bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id)),
            "setMyCommands",
        )
    except Exception as exc:  # (never fatal, as above)
        log.warning("could not set the command menu in chat %d: %s", chat_id, exc)


class Doctor:
    def __init__(
        self,
        service: AnswerService,
        review: ReviewService,
        outbox: Outbox,
        roles: Roles,
        reader: Reader,
        reload: Reload | None = None,
        charts: Charts | None = None,
        proposals: Proposals | None = None,
    ) -> None:
        self.service = service
        self.review = review
        self.store: Store = review.store
        self.outbox = outbox
        self.roles = roles
        self.reader = reader
        self.reload = reload
        self.charts = charts
        self.proposals = proposals

    def handlers(self) -> list[BaseHandler]:
        """Registered before the reader's: the first matching handler takes an update."""
        new = filters.UpdateType.MESSAGE
        names = [c for c, _ in DOCTOR_COMMANDS + ADMIN_COMMANDS]
        handlers: list[BaseHandler] = [
            CommandHandler(names, self.command, filters=new),
            CallbackQueryHandler(self.button, pattern=callbacks.REVIEW_PATTERN),
        ]
        if self.proposals is not None:
            handlers += self.proposals.handlers()
        if self.roles.doctors:
            doctors = filters.User(user_id=sorted(self.roles.doctors))
            handlers.append(
                MessageHandler(new & filters.TEXT & ~filters.COMMAND & doctors, self.text)
            )
        if self.roles.review_chat is not None:
            # anyone else in a review group is not a reader asking the bot
            handlers.append(MessageHandler(filters.Chat(self.roles.review_chat), _ignore))
        return handlers

    # --- commands ---------------------------------------------------------------------------

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        user = update.effective_user
        assert message is not None and message.text is not None
        name = message.text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
        user_id = user.id if user else None
        if name == "reload":
            if not self.roles.is_admin(user_id) or self.reload is None:
                await self._refuse(message, ADMIN_REFUSAL, name)
                return
            await self._say(message.chat_id, await self.reload("/reload"))
            return
        if name == "proposals":
            if not self.roles.is_admin(user_id) or self.proposals is None:
                await self._refuse(message, ADMIN_REFUSAL, name)
                return
            await self.proposals.command(message.chat_id)
            return
        if not self.roles.is_doctor(user_id):
            await self._refuse(message, REFUSAL, name)
            return
        assert user is not None
        if name == "queue":
            await self._say(message.chat_id, await self._queue_page(0))
        elif name == "stats":
            await self._say(message.chat_id, await self._stats())
            if self.charts is not None:  # then the chart as a photo, when it can be drawn
                await self.charts.after_stats(message.chat_id)
        elif name == "cancel":
            cleared = await self.store.clear_prompt(user.id, message.chat_id)
            await self._say(
                message.chat_id,
                review_replies.message("Cancelled." if cleared else "Nothing to cancel."),
            )

    async def _refuse(self, message: Message, text: str, what: str) -> None:
        log.info("refused /%s from someone who is not allowed", what)
        await self._say(message.chat_id, review_replies.message(text))

    async def _queue_page(self, page: int) -> Reply:
        groups = await self.review.pending_groups()
        labels = {g.lead.chat_id: await self.outbox.label(g.lead.chat_id) for g in groups}
        return review_replies.queue_page(groups, page, labels)

    async def _stats(self) -> Reply:
        questions = {e.id: e.question for e in self.service.knowledge.entries.values()}
        return review_replies.stats(await self.review.stats(), questions)

    # --- her messages -----------------------------------------------------------------------

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        user = update.effective_user
        assert message is not None and message.text is not None and user is not None
        target = await self._target(message, user.id)
        if target is None:
            if message.chat.type == ChatType.PRIVATE:
                await self.reader.question(update, context)  # she may try the bot too
            return
        item_id, scope, mode = target
        chat_id = message.chat_id
        item = await self.store.queue_item(item_id)
        if item is None:
            await self.store.clear_prompt(user.id, chat_id)
            await self._say(chat_id, _gone())
            return
        if mode == "search":
            entries = self.review.closest_entries(message.text)
            picker = review_replies.entry_picker(item, entries, message.text)
            await self.outbox.post(chat_id, picker, item_id, f"{scope}:entries")
            return
        spans = rich.spans_of(message.text, message.entities)
        try:
            result = await self.review.answer(
                item_id, message.text, _by(user), group=scope == "group", spans=spans
            )
        except (ReviewError, StoreError) as exc:
            await self._say(chat_id, review_replies.message(SAVE_FAILED.format(error=exc)))
            return
        await self.store.clear_prompt(user.id, chat_id)
        replied = message.reply_to_message
        await self._closed(chat_id, result, "Answered", replied.message_id if replied else None)

    async def _target(self, message: Message, user_id: int) -> tuple[int, str, str] | None:
        """(item id, scope, mode) her text is for: the card she replied to, else the prompt
        she opened with a button in this chat."""
        replied = message.reply_to_message
        if replied is not None:
            post = await self.store.review_post(message.chat_id, replied.message_id)
            if post is not None:
                item_id, scope = post
                base, _, role = scope.partition(":")
                return item_id, base, "search" if role == "entries" else "answer"
            card = _card_item(replied, message.get_bot().id)
            if card is not None:
                return card
        return await self.store.prompt(user_id, message.chat_id)

    # --- buttons ----------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if not self.roles.is_doctor(query.from_user.id):
            log.info("refused a review button from someone who is not a doctor")
            await answer_query(query, REFUSAL)
            return
        decoded = callbacks.decode(
            query.data or "", self.service.knowledge, callbacks.REVIEW_ACTIONS
        )
        message = query.message if isinstance(query.message, Message) else None
        if decoded is None or message is None:
            await answer_query(query, "This button no longer works.")
            return
        action, arg = decoded
        chat_id = message.chat_id
        try:
            await self._press(query, message, ReviewAction(action), arg)
        except (ReviewError, StoreError) as exc:
            await answer_query(query, None)
            await self._say(chat_id, review_replies.message(SAVE_FAILED.format(error=exc)))

    async def _press(
        self, query: CallbackQuery, message: Message, action: ReviewAction, arg: str
    ) -> None:
        chat_id = message.chat_id
        user = query.from_user
        if action is ReviewAction.QUEUE:
            await answer_query(query, None)
            await edit_or_send(message, await self._queue_page(number(arg) or 0))
            return
        if action is ReviewAction.OPEN:
            await self._open(query, chat_id, number(arg))
            return
        post = await self.store.review_post(chat_id, message.message_id)
        item = await self.store.queue_item(post[0]) if post else None
        if post is None or item is None:
            await answer_query(query, "This question is no longer in the queue.")
            return
        scope = post[1].partition(":")[0]
        group = scope == "group"
        if action is ReviewAction.CANCEL:
            await self.store.clear_prompt(user.id, chat_id)
            await answer_query(query, "Cancelled.")
            await drop_buttons(message.get_bot(), message.chat_id, message.message_id)
            return
        if item.status != "pending":
            await answer_query(query, f"#{item.id} was already {item.status}.")
            return
        await answer_query(query, None)
        if action is ReviewAction.REPLY:
            await self.store.set_prompt(user.id, chat_id, item.id, scope, "answer")
            readers = len({i.chat_id for i in await self.review.group_of(item.id)}) if group else 1
            prompt = review_replies.reply_prompt(item, max(readers, 1))
            await self.outbox.post(chat_id, prompt, item.id, scope)
        elif action is ReviewAction.ENTRIES:
            await self.store.set_prompt(user.id, chat_id, item.id, scope, "search")
            words = f"{item.text} {item.context}" if item.context else item.text  # a follow-up
            picker = review_replies.entry_picker(item, self.review.closest_entries(words))
            await self.outbox.post(chat_id, picker, item.id, f"{scope}:entries")
        elif action is ReviewAction.LINK:
            result = await self.review.link_to_entry(item.id, arg, _by(user), group=group)
            await self.store.clear_prompt(user.id, chat_id)
            await self._closed(chat_id, result, f"Answered with entry {arg}:", message.message_id)
        elif action in (ReviewAction.DISMISS, ReviewAction.DISMISS_NOTE):
            note = action is ReviewAction.DISMISS_NOTE
            result = await self.review.dismiss(item.id, _by(user), group=group, notify=note)
            verb = "Dismissed, with the kind note to the reader:" if note else "Dismissed"
            await self._closed(chat_id, result, verb, message.message_id)

    async def _open(self, query: CallbackQuery, chat_id: int, item_id: int | None) -> None:
        """A group from /queue as a card of its own, to answer or dismiss all of it."""
        members = await self.review.group_of(item_id) if item_id else []
        if not members:
            await answer_query(query, "That question is no longer waiting.")
            return
        await answer_query(query, None)
        await self.outbox.post_card(chat_id, members)

    # --- helpers ----------------------------------------------------------------------------

    async def _closed(
        self, chat_id: int, result: Resolution, verb: str, message_id: int | None
    ) -> None:
        """Confirm, take the buttons off the message acted on, and let the outbox deliver."""
        await self._say(chat_id, review_replies.resolved(result, verb))
        if result.changed:
            self.outbox.nudge()
            if message_id is not None:
                await drop_buttons(self.outbox.bot, chat_id, message_id)

    async def _say(self, chat_id: int, reply: Reply) -> None:
        await send_reply(self.outbox.bot, chat_id, reply)


async def _ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    return None


def _card_item(message: Message, bot_id: int) -> tuple[int, str, str] | None:
    """A card the bot posted but did not get to record (it crashed right after sending):
    its header names the item and the scope (`review_replies.card_scope`)."""
    if message.from_user is None or message.from_user.id != bot_id or not message.text:
        return None
    found = review_replies.card_scope(message.text)
    if found is None:
        return None
    return found[0], found[1], "answer"


def _by(user: User) -> str:
    return f"{user.full_name} ({user.id})"


def _gone() -> Reply:
    return review_replies.message(
        "That question is no longer in the queue (the reader may have deleted their data)."
    )
