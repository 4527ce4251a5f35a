"""The admins' /proposals (ADMIN_IDS; by default the doctors): what readers and the doctor taught
the bot, one card per pending proposal, to add into the knowledge files or reject in one tap.

Thin glue over `ProposalService` (bot/proposals/service.py), which `expertbot kb proposals|accept|
reject` uses too; every word shown comes from bot/proposals/replies.py. A button's data names
the proposal (or the page, or the topic file), never who may act: each tap is checked against
ADMIN_IDS, and anyone else gets the same plain refusal as for /reload and learns nothing.

✅ Add writes the alternate into its entry's topic file; 📝 Add as draft asks which topic file
a new entry goes to. After a write the knowledge is reloaded at once (as /reload does), so the
next reader with those words is answered directly; the file watcher would pick it up within
seconds anyway. A refusal (a failing check, a read-only folder) is shown on the card, plainly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import Bot, CallbackQuery, Message, Update, User
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot.conversation.service import AnswerService
from bot.models import Reply, ReviewAction, number
from bot.proposals import replies as proposal_replies
from bot.proposals.listing import Proposal, ProposalError
from bot.proposals.service import ProposalService
from bot.storage import StoreError
from bot.telegram import callbacks
from bot.telegram.outbox import Roles
from bot.telegram.sending import answer_query, drop_buttons, edit_or_send, send_reply

log = logging.getLogger(__name__)

RELOAD_REASON = "/proposals"  # the reload after a write (app.py tells no one of a good one)
NO_LONGER = "This button no longer works."

Reload = Callable[[str], Awaitable[object]]


class Proposals:
    def __init__(
        self,
        bot: Bot,
        proposals: ProposalService,
        service: AnswerService,
        roles: Roles,
        knowledge_dir: Path,
        refusal: str,
        reload: Reload | None = None,
    ) -> None:
        """`refusal`: what anyone who is not an admin is told (doctor.ADMIN_REFUSAL);
        `reload`: serves the knowledge folder now (app.py's /reload), after a write."""
        self.bot = bot
        self.proposals = proposals
        self.service = service
        self.roles = roles
        self.knowledge_dir = Path(knowledge_dir)
        self.refusal = refusal
        self.reload = reload
        self._writing = asyncio.Lock()  # one decision at a time: two taps never both write

    def handlers(self) -> list[BaseHandler]:
        """The buttons on its cards (the /proposals command is the doctor module's)."""
        return [CallbackQueryHandler(self.button, pattern=callbacks.PROPOSAL_PATTERN)]

    async def command(self, chat_id: int) -> None:
        """/proposals from an admin (the caller checked): the first page."""
        await self._page(chat_id, 0)

    async def _page(self, chat_id: int, page: int) -> None:
        heading, cards, footer = proposal_replies.page(await self.proposals.list(), page)
        for reply in (heading, *cards, *([footer] if footer else [])):
            await send_reply(self.bot, chat_id, reply)

    # --- buttons ----------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if not self.roles.is_admin(query.from_user.id):
            log.info("refused a proposal button from someone who is not an admin")
            await answer_query(query, self.refusal)
            return
        decoded = callbacks.decode(
            query.data or "", self.service.knowledge, callbacks.REVIEW_ACTIONS
        )
        message = query.message if isinstance(query.message, Message) else None
        if decoded is None or message is None:
            await answer_query(query, NO_LONGER)
            return
        action, arg = ReviewAction(decoded[0]), decoded[1]
        try:
            if action is ReviewAction.PROPOSALS:
                await answer_query(query, None)
                await drop_buttons(self.bot, message.chat_id, message.message_id)
                await self._page(message.chat_id, number(arg) or 0)
                return
            topic, _, tail = arg.rpartition(":")
            proposal_id = number(tail)
            if proposal_id is None:
                await answer_query(query, NO_LONGER)
                return
            await self._press(query, message, action, proposal_id, topic)
        except StoreError as exc:
            await answer_query(query, None)
            text = f"⚠️ That could not be saved ({exc}). Please try again."
            await send_reply(self.bot, message.chat_id, proposal_replies.message(text))

    async def _press(
        self,
        query: CallbackQuery,
        message: Message,
        action: ReviewAction,
        proposal_id: int,
        topic: str,
    ) -> None:
        proposal = await self.proposals.get(proposal_id)
        if proposal is None:
            await answer_query(query, proposal_replies.GONE.format(id=proposal_id))
            await edit_or_send(message, proposal_replies.gone(proposal_id))
            return
        if proposal.state != "pending":
            await answer_query(query, proposal_replies.already(proposal))
            await edit_or_send(message, proposal_replies.decided(proposal))
            return
        if action is ReviewAction.BACK:
            await answer_query(query, None)
            await edit_or_send(message, proposal_replies.card(proposal))
        elif action is ReviewAction.DRAFT:
            await answer_query(query, None)
            picker = proposal_replies.topic_picker(proposal, self._topics())
            await edit_or_send(message, picker)
        elif action is ReviewAction.REJECT:
            await answer_query(query, None)
            async with self._writing:
                done = await self.proposals.reject([proposal_id], by=_by(query.from_user))
            await edit_or_send(message, proposal_replies.rejected(done[0] if done else proposal))
        elif action in (ReviewAction.ADD, ReviewAction.ADD_TO):
            # (checking and writing take a moment: the tap is answered first)
            await answer_query(query, None)
            chosen = topic if action is ReviewAction.ADD_TO else None
            await edit_or_send(
                message, await self._accept(message, proposal, chosen, query.from_user)
            )
        else:
            await answer_query(query, NO_LONGER)

    async def _accept(
        self, message: Message, proposal: Proposal, topic: str | None, user: User
    ) -> Reply:
        if proposal.kind == "entry" and not topic:
            return proposal_replies.topic_picker(proposal, self._topics())
        await edit_or_send(message, proposal_replies.checking(proposal))  # seconds, no buttons
        async with self._writing:
            try:
                result = await self.proposals.accept(
                    [proposal.id], self.knowledge_dir, topic=topic, by=_by(user)
                )
            except ProposalError as exc:  # (ReadOnlyKnowledge: the plain read-only message)
                log.info("proposal #%d not accepted: %s", proposal.id, exc)
                return proposal_replies.refused(proposal, str(exc))
            if result.refused:
                reason = result.refused[0][1]
                log.info("proposal #%d not accepted: %s", proposal.id, reason)
                now = await self.proposals.get(proposal.id)
                if now is not None and now.state != "pending":
                    return proposal_replies.decided(now)
                return proposal_replies.refused(proposal, reason)
            if not result.written:
                return proposal_replies.gone(proposal.id)
            log.info("proposal #%d accepted into %s", proposal.id, ", ".join(result.files))
            if self.reload is not None:  # served now, not at the watcher's next look
                await self.reload(RELOAD_REASON)
        return proposal_replies.added(result.written[0], result.files)

    # --- helpers ----------------------------------------------------------------------------

    def _topics(self) -> list[tuple[str, str]]:
        """(file name without .yaml, its title as served) for each topic file."""
        titles = {t.id: t.title for t in self.service.knowledge.topics}
        return [
            (name, titles.get(name, name)) for name in self.proposals.topics(self.knowledge_dir)
        ]


def _by(user: User) -> str:
    return f"{user.full_name} ({user.id})"
