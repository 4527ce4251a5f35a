"""Build `Reply` values from decisions and the texts in bot.yaml. Pure: no I/O, no Telegram."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.conversation import rich
from bot.knowledge.loading import Knowledge
from bot.knowledge.schema import RedFlag
from bot.models import (
    Action,
    Block,
    BlockKind,
    Button,
    Decision,
    Entry,
    Outcome,
    QueueItem,
    Reply,
    ReviewAction,
)

T = TypeVar("T")
PAGE_SIZE = 6


def _text(text: str) -> Block:
    return Block(BlockKind.TEXT, text)


def entry_card(
    knowledge: Knowledge,
    entry: Entry,
    *,
    outcome: Outcome | None = Outcome.ANSWER,
    score: float = 0.0,
    question_id: int | None = None,
) -> Reply:
    """The answer card: question, answer, source link, disclaimer; vote and related buttons."""
    s = knowledge.settings
    blocks = (
        Block(BlockKind.TITLE, entry.question),
        _text(entry.answer),
        Block(BlockKind.LINK, s.text("read_more"), url=entry.link),
        Block(BlockKind.NOTE, s.text("disclaimer")),
    )
    rows: list[tuple[Button, ...]] = [
        (Button("👍", Action.VOTE_UP, entry.id), Button("👎", Action.VOTE_DOWN, entry.id))
    ]
    for rid in entry.related:
        related = knowledge.get(rid)
        if related is not None and len(rows) < 4:
            rows.append((Button(f"{s.text('related')}: {related.question}", Action.ENTRY, rid),))
    # last, so the numbers of the other buttons stay (the console numbers them)
    rows.append((Button(s.text("share_button"), Action.SHARE, entry.id),))
    return Reply(outcome, blocks, tuple(rows), entry=entry, score=score, question_id=question_id)


def for_decision(
    knowledge: Knowledge,
    decision: Decision,
    *,
    question_id: int | None,
    queued: bool,
    red_flag: RedFlag | None = None,
    held: bool = False,
) -> Reply:
    """`held`: the question shown choices waits for the reader, and goes to the doctor by
    itself unless they open an offered answer: the reply says so."""
    reply = _for_decision(
        knowledge, decision, question_id=question_id, queued=queued, red_flag=red_flag
    )
    if held and reply.outcome is Outcome.SUGGEST:
        one = len(decision.suggestions) == 1
        note = _text(knowledge.settings.text("held_one_note" if one else "held_note"))
        reply = dataclasses.replace(reply, blocks=(*reply.blocks, note))
    if decision.photo and decision.outcome is not Outcome.URGENT:
        note = Block(BlockKind.NOTE, knowledge.settings.text("photo_note"))
        reply = dataclasses.replace(reply, blocks=(*reply.blocks, note))
    return reply


def _for_decision(
    knowledge: Knowledge,
    decision: Decision,
    *,
    question_id: int | None,
    queued: bool,
    red_flag: RedFlag | None,
) -> Reply:
    s = knowledge.settings
    outcome = decision.outcome
    if outcome is Outcome.ANSWER and decision.entry is not None:
        card = entry_card(knowledge, decision.entry, score=decision.score, question_id=question_id)
        if decision.open_parts:
            key = "part_queued" if queued else "part_not_queued"
            parts = "\n".join(f"- {part}" for part in decision.open_parts)
            card = dataclasses.replace(
                card, blocks=(*card.blocks, _text(s.text(key)), _text(parts))
            )
        if decision.also:
            also = tuple(
                (Button(f"{s.text('also')}: {e.question}", Action.ENTRY, e.id),)
                for e in decision.also
            )
            offered = {e.id for e in decision.also}
            rest = tuple(
                row
                for row in card.buttons
                if not (row[0].action is Action.ENTRY and row[0].arg in offered)
            )
            card = dataclasses.replace(card, buttons=(*also, *rest))
        return card
    if outcome is Outcome.SUGGEST and decision.likely and decision.suggestions:
        entry = decision.suggestions[0].entry
        qid = f":{question_id}" if question_id else ""
        return Reply(
            outcome,
            (_text(s.text("likely_intro")), Block(BlockKind.TITLE, entry.question)),
            (
                (Button(s.text("show_answer_button"), Action.ENTRY, f"{entry.id}{qid}"),),
                (Button(s.text("not_quite_button"), Action.ASK_DOCTOR, str(question_id or "")),),
            ),
            score=decision.score,
            suggestions=decision.suggestions,
            question_id=question_id,
        )
    if outcome is Outcome.SUGGEST:
        qid = f":{question_id}" if question_id else ""
        rows = [
            (Button(sc.entry.question, Action.ENTRY, f"{sc.entry.id}{qid}"),)
            for sc in decision.suggestions
        ]
        one = len(rows) == 1  # "which of these" and "none of these" would read oddly
        rows.append(
            (
                Button(
                    s.text("not_quite_button" if one else "ask_doctor_button"),
                    Action.ASK_DOCTOR,
                    str(question_id or ""),
                ),
            )
        )
        return Reply(
            outcome,
            (_text(s.text("suggest_one_intro" if one else "suggest_intro")),),
            tuple(rows),
            score=decision.score,
            suggestions=decision.suggestions,
            question_id=question_id,
        )
    if outcome is Outcome.URGENT:
        blocks = [Block(BlockKind.TITLE, s.text("urgent"))]
        if red_flag is not None:
            blocks.append(_text(red_flag.advice.strip()))
        if queued:
            blocks.append(_text(s.text("urgent_queued")))
        return Reply(outcome, tuple(blocks), question_id=question_id, queued=queued)
    if outcome is Outcome.SMALLTALK:
        kind = decision.smalltalk or "ack"
        return Reply(outcome, (_text(s.text(f"smalltalk_{kind}")),), question_id=question_id)
    if decision.foreign and queued:
        text = s.text("foreign")
    else:
        text = s.text("unmatched") if queued else s.text("unmatched_not_queued")
    return Reply(
        Outcome.UNMATCHED,
        (_text(text),),
        score=decision.score,
        question_id=question_id,
        queued=queued,
    )


def start(knowledge: Knowledge) -> Reply:
    s = knowledge.settings
    blocks = (
        Block(BlockKind.TITLE, s.text("greeting")),
        _text(s.text("about")),
        Block(BlockKind.NOTE, s.text("disclaimer")),
        _text(s.text("privacy_short")),
    )
    rows = (
        (Button(s.text("browse_button"), Action.TOPICS, "0"),),
        (Button(s.text("how_to_ask_button"), Action.HOW_TO_ASK),),
    )
    return Reply(None, blocks, rows)


def message(text: str, *, note: str | None = None) -> Reply:
    blocks = [_text(text)] + ([Block(BlockKind.NOTE, note)] if note else [])
    return Reply(None, tuple(blocks))


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (0-based, clamped) and how many there are."""

    items: Sequence[T]
    page: int
    pages: int

    @classmethod
    def of(cls, items: Sequence[T], page: int, size: int) -> Page[T]:
        pages = max(1, -(-len(items) // size))
        page = min(max(page, 0), pages - 1)
        return cls(items[page * size : (page + 1) * size], page, pages)

    def nav(
        self, action: Action | ReviewAction, prefix: str, back: str, more: str
    ) -> tuple[Button, ...]:
        """The ‹ Back / More › buttons (none on a single page); the arg is prefix + page."""
        nav = []
        if self.page > 0:
            nav.append(Button(back, action, f"{prefix}{self.page - 1}"))
        if self.page + 1 < self.pages:
            nav.append(Button(more, action, f"{prefix}{self.page + 1}"))
        return tuple(nav)


def _nav(knowledge: Knowledge, page: Page, action: Action, prefix: str) -> tuple[Button, ...]:
    s = knowledge.settings
    return page.nav(action, prefix, s.text("back_button"), s.text("more_button"))


def topics(knowledge: Knowledge, page: int = 0) -> Reply:
    shown = Page.of(knowledge.topics, page, PAGE_SIZE)
    rows: list[tuple[Button, ...]] = [
        (Button(f"{t.title} ({len(t.entry_ids)})", Action.TOPIC, f"{t.id}:0"),) for t in shown.items
    ]
    nav = _nav(knowledge, shown, Action.TOPICS, "")
    if nav:
        rows.append(nav)
    return Reply(None, (_text(knowledge.settings.text("topics_intro")),), tuple(rows))


def topic(knowledge: Knowledge, topic_id: str, page: int = 0) -> Reply | None:
    found = next((t for t in knowledge.topics if t.id == topic_id), None)
    if found is None:
        return None
    ids = [i for i in found.entry_ids if i in knowledge.entries]
    shown = Page.of(ids, page, PAGE_SIZE)
    rows: list[tuple[Button, ...]] = [
        (Button(knowledge.entries[i].question, Action.ENTRY, i),) for i in shown.items
    ]
    nav = _nav(knowledge, shown, Action.TOPIC, f"{topic_id}:")
    rows.append((*nav, Button(knowledge.settings.text("all_topics_button"), Action.TOPICS, "0")))
    title = found.title
    if shown.pages > 1:
        of = knowledge.settings.text("page_of")
        of = of.replace("{page}", str(shown.page + 1)).replace("{pages}", str(shown.pages))
        title = f"{found.title} — {of}"
    return Reply(None, (Block(BlockKind.TITLE, title),), tuple(rows))


QUOTED_CHARS = 600  # of the reader's question, shown back above the doctor's answer


def doctor_answer(knowledge: Knowledge, item: QueueItem) -> Reply | None:
    """What the reader receives when the doctor closed their question: her own answer (with
    her formatting), the entry she picked, or the kind note of a dismissal. None when there is
    nothing to send any more (the entry she picked is no longer served)."""
    s = knowledge.settings
    question = item.text if len(item.text) <= QUOTED_CHARS else item.text[:QUOTED_CHARS] + "…"
    if item.status == "dismissed":
        return message(s.text("dismissed_note"))
    if item.answered_via == "entry":
        entry = knowledge.get(item.entry_id or "")
        if entry is None:
            return None
        card = entry_card(knowledge, entry, outcome=None)
        intro = (_text(s.text("doctor_linked")), Block(BlockKind.QUOTE, question))
        return Reply(None, intro + card.blocks, card.buttons, entry=entry)
    blocks = (
        Block(BlockKind.TITLE, s.text("doctor_answered")),
        Block(BlockKind.QUOTE, question),
        Block(BlockKind.RICH, item.answer or "", spans=rich.loads(item.answer_format)),
        Block(BlockKind.NOTE, s.text("disclaimer")),
    )
    return Reply(None, blocks)
