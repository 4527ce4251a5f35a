"""The answer service: one reader message in, one `Reply` out. Knows nothing of Telegram.

The console chat, the CLI and the Telegram handlers all call this, so they give the same
answers. The question is logged (and queued when nobody could answer it) before the reply is
returned; when the database fails, the reader still gets whatever the knowledge can give, and
an unmatched reply does not pretend the question was queued.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from bot.conversation import inline, links, replies
from bot.knowledge.loading import Knowledge
from bot.models import Action, Button, Entry, Outcome, Reply, number
from bot.runtime import logs
from bot.storage import INLINE_CHOSEN, INLINE_QUERY, Store, StoreError
from bot.understanding import followup
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import clean

log = logging.getLogger(__name__)


class AnswerService:
    def __init__(
        self,
        snapshot: Snapshot,
        store: Store | None,
        on_queued: Callable[[], None] | None = None,
        on_storage: Callable[[StoreError | None], None] | None = None,
        *,
        choices_grace: float | None = None,
        on_held: Callable[[], None] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.store = store
        self.on_queued = on_queued  # the bot wakes its outbox: the doctor sees it at once
        self.on_storage = on_storage  # saving a question failed (or works again): the bot
        # tells the doctors, once per outage
        self._grace = choices_grace  # seconds (EXPERTBOT_CHOICES_GRACE); None: bot.yaml's
        self.on_held = on_held  # a question is held: the sweeper looks at its due time

    @property
    def choices_grace(self) -> float:
        """Seconds a question shown choices waits for the reader before it goes to the doctor."""
        if self._grace is not None:
            return self._grace
        return self.knowledge.settings.choices_grace * 60

    def _queued(self) -> None:
        if self.on_queued is not None:
            self.on_queued()

    def _storage(self, error: StoreError | None) -> None:
        if self.on_storage is not None:
            self.on_storage(error)

    @property
    def knowledge(self) -> Knowledge:
        return self.snapshot.knowledge

    def swap(self, snapshot: Snapshot) -> None:
        """Serve new knowledge from the next message on; messages in flight keep theirs."""
        self.snapshot = snapshot

    async def ask(self, chat_id: int, text: str) -> Reply:
        snapshot = self.snapshot
        text = clean(text)
        if not text:
            return replies.message(snapshot.knowledge.settings.text("empty"))
        last = await self._last_turn(chat_id)
        started = time.perf_counter()
        reading = followup.read_in_context(snapshot, text, last)
        decision, flag = reading.decision, reading.flag
        elapsed_ms = (time.perf_counter() - started) * 1000
        question_id: int | None = None
        queued = False
        held = False
        if self.store is not None and decision.outcome is not Outcome.SMALLTALK:
            entry_id = decision.entry.id if decision.entry else None
            hold = None
            if decision.outcome is Outcome.SUGGEST and decision.suggestions:
                # held for the reader: a tap on an offered answer settles it, else the doctor
                choices = [s.entry.question for s in decision.suggestions]
                hold = (choices, time.time() + self.choices_grace)
            try:
                question_id, queued = await self.store.log_question(
                    chat_id,
                    text,
                    decision.outcome.value,
                    entry_id,
                    decision.score,
                    elapsed_ms,
                    hold=hold,
                    open_parts=decision.open_parts,  # the whole message, the parts marked
                    context=reading.context,
                )
            except StoreError as exc:
                log.error("question not stored: %s", exc)
                self._storage(exc)
            else:
                self._storage(None)
                held = hold is not None
            if queued:
                self._queued()
            if held and self.on_held is not None:
                self.on_held()
        if decision.outcome is Outcome.ANSWER and decision.entry is not None:
            await self._remember(chat_id, decision.entry, reading.text)
        fields = {
            "outcome": decision.outcome.value,
            "entry_id": decision.entry.id if decision.entry else None,
            "score": round(decision.score, 3),
            "match_ms": round(elapsed_ms, 1),
            "queued": queued,
            "followup": reading.context is not None,
        }
        log.debug("question from chat %s: %r -> %s", chat_id, text, fields)  # DEBUG only: text
        if not logs.note(**fields):  # in a Telegram update, its one log line carries these
            log.info(
                "question outcome=%s entry=%s score=%.3f ms=%.1f queued=%s",
                decision.outcome.value,
                decision.entry.id if decision.entry else "-",
                decision.score,
                elapsed_ms,
                queued,
            )
        return replies.for_decision(
            snapshot.knowledge,
            decision,
            question_id=question_id,
            queued=queued,
            red_flag=flag,
            held=held,
        )

    async def release_held(self, *, chat_id: int | None = None) -> int:
        """Queue for the doctor the held questions whose grace period is over (or every one
        of `chat_id`: the console chat ending). Returns how many were queued."""
        if self.store is None:
            return 0
        try:
            queued = await self.store.release_held(chat_id=chat_id)
        except StoreError as exc:
            log.error("held questions not queued: %s", exc)
            return 0
        if queued:
            log.info("%d held question(s) passed to the doctor", queued)
            self._queued()
        return queued

    async def show_entry(
        self, chat_id: int, entry_id: str, question_id: int | None = None
    ) -> Reply:
        """A tap on an entry button. From a suggestion, the reader's words become a proposed
        alternate for admins to review (the bot never learns at run time)."""
        knowledge = self.knowledge
        entry = knowledge.get(entry_id)
        if entry is None:
            return replies.message(knowledge.settings.text("answer_changed"))
        if question_id and self.store is not None:
            try:
                await self.store.settle_held(question_id, chat_id)  # an offered answer fit
                text = await self.store.question_text(question_id, chat_id)
                if text:
                    await self.store.add_alternate(chat_id, entry_id, text)
            except StoreError as exc:
                log.error("alternate not stored: %s", exc)
        await self._remember(chat_id, entry)
        return replies.entry_card(knowledge, entry)

    # --- the conversation -------------------------------------------------------------------

    async def _remember(self, chat_id: int, entry: Entry, question: str | None = None) -> None:
        """The chat's last answer, for the follow-ups of the next minutes: the question as
        the decision read it, or for an answer opened from a button or a link the entry's
        own question (the words before the tap may have been a follow-up themselves). A
        failure costs only the context."""
        if self.store is not None and self.knowledge.settings.followup_window:
            try:
                await self.store.remember_answer(chat_id, question or entry.question, entry.id)
            except StoreError as exc:
                log.warning("last answer not remembered: %s", exc)

    async def _last_turn(self, chat_id: int) -> followup.Turn | None:
        """The last answer of this chat, while a follow-up may still lean on it."""
        window = self.knowledge.settings.followup_window
        if self.store is None or not window:
            return None
        try:
            last = await self.store.last_answer(chat_id)
        except StoreError as exc:
            log.warning("last answer not read: %s", exc)
            return None
        if last is None or last.age() > dt.timedelta(minutes=window):
            return None
        entry = self.knowledge.get(last.entry_id)
        return followup.Turn(last.question, entry) if entry is not None else None

    async def ask_doctor(self, chat_id: int, question_id: int | None) -> Reply:
        settings = self.knowledge.settings
        queued = False
        if question_id and self.store is not None:
            try:
                queued = await self.store.queue_question(question_id, chat_id)
            except StoreError as exc:
                log.error("question not queued: %s", exc)
        if queued:
            self._queued()
        text = (
            settings.text("queued_from_suggest")
            if queued
            else settings.text("unmatched_not_queued")
        )
        return replies.message(text)

    async def vote(self, chat_id: int, entry_id: str, value: int) -> Reply:
        """A 👍/👎 on an answer. A 👎 also brings the reader's question to the doctor as
        feedback: she sees which answer disappointed whom, and may answer them herself."""
        knowledge = self.knowledge
        if self.store is not None:
            try:
                await self.store.vote(chat_id, entry_id, value)
                if value < 0:
                    entry = knowledge.get(entry_id)
                    fallback = entry.question if entry is not None else entry_id
                    await self.store.feedback(chat_id, entry_id, fallback)
                    self._queued()
            except StoreError as exc:
                log.error("vote not stored: %s", exc)
        return replies.message(knowledge.settings.text("vote_thanks"))

    async def forget(self, chat_id: int) -> Reply:
        settings = self.knowledge.settings
        if self.store is not None:
            try:
                await self.store.forget(chat_id)
            except StoreError as exc:
                log.error("forget failed: %s", exc)
                return replies.message(settings.text("forget_failed"))
        return replies.message(settings.text("forgotten"))

    async def press(self, chat_id: int, action: Action, arg: str = "") -> Reply:
        """A button was pressed (a Telegram tap or a number in the console)."""
        head, _, tail = arg.partition(":")
        if action is Action.ENTRY:
            return await self.show_entry(chat_id, head, number(tail))
        if action is Action.ASK_DOCTOR:
            return await self.ask_doctor(chat_id, number(head))
        if action in (Action.VOTE_UP, Action.VOTE_DOWN):
            if self.knowledge.get(head) is None:
                return replies.message(self.knowledge.settings.text("answer_changed"))
            return await self.vote(chat_id, head, 1 if action is Action.VOTE_UP else -1)
        if action is Action.TOPICS:
            return self.topics(number(head) or 0)
        if action is Action.TOPIC:
            return self.topic(head, number(tail) or 0)
        if action is Action.HOW_TO_ASK:
            return self.how_to_ask()
        if action is Action.FORGET:
            return await self.forget(chat_id)
        if action is Action.CANCEL:
            return replies.message(self.knowledge.settings.text("cancelled"))
        if action is Action.SHARE:  # (in Telegram the button opens inline mode instead)
            return replies.message(self.knowledge.settings.text("share_elsewhere"))
        return replies.message(self.knowledge.settings.text("answer_changed"))

    def notice(self, name: str) -> Reply:
        """One of bot.yaml's texts as a reply, e.g. `non_text` or `rate_limited`."""
        return replies.message(self.knowledge.settings.text(name))

    def forget_confirm(self) -> Reply:
        s = self.knowledge.settings
        buttons = (
            (
                Button(s.text("forget_button"), Action.FORGET),
                Button(s.text("cancel_button"), Action.CANCEL),
            ),
        )
        return Reply(None, replies.message(s.text("forget_confirm")).blocks, buttons)

    async def start(self, chat_id: int, payload: str = "") -> Reply:
        """/start, or a start link (`/start <entry-id>`, bot/conversation/links.py): that answer; an
        unknown payload gets the normal greeting."""
        knowledge = self.knowledge
        entry = links.entry_for_payload(knowledge, payload) if payload else None
        if entry is None:
            return replies.start(knowledge)
        await self._remember(chat_id, entry)
        return replies.entry_card(knowledge, entry)

    def greeting(self) -> Reply:
        return replies.start(self.knowledge)

    # --- inline mode ------------------------------------------------------------------------

    async def inline(self, query: str) -> inline.InlineAnswer:
        """`@bot query` in any chat: the entries that fit, or the safety text. Only counted
        (per hour, for /stats): who asked and what is not stored."""
        await self._count(INLINE_QUERY)
        return inline.answer(self.snapshot, query)

    async def inline_chosen(self) -> None:
        """A card was sent from inline mode (Telegram tells only when inline feedback is on)."""
        await self._count(INLINE_CHOSEN)

    async def _count(self, name: str) -> None:
        if self.store is not None:
            try:
                await self.store.count(name)
            except StoreError as exc:
                log.warning("inline query not counted: %s", exc)

    def how_to_ask(self) -> Reply:
        return replies.message(self.knowledge.settings.text("how_to_ask"))

    def privacy(self) -> Reply:
        return replies.message(self.knowledge.settings.text("privacy"))

    def topics(self, page: int = 0) -> Reply:
        return replies.topics(self.knowledge, page)

    def topic(self, topic_id: str, page: int = 0) -> Reply:
        found = replies.topic(self.knowledge, topic_id, page)
        return found or replies.message(self.knowledge.settings.text("answer_changed"))
