"""The values that flow between the layers. No I/O here, so every layer can share them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    UNMATCHED = "unmatched"
    URGENT = "urgent"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True, slots=True)
class Entry:
    """One vetted question and answer, as an admin wrote it in `knowledge/topics/*.yaml`."""

    id: str
    question: str
    answer: str
    link: str
    alternates: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    reviewed: dt.date | None = None
    topic: str = ""

    @property
    def is_draft(self) -> bool:
        return self.reviewed is None


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    entry_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    entry: Entry
    score: float


@dataclass(frozen=True, slots=True)
class Decision:
    """What the matcher and the safety check concluded about one message (no side effects)."""

    outcome: Outcome
    entry: Entry | None = None
    score: float = 0.0
    suggestions: tuple[Scored, ...] = ()
    red_flag: str | None = None
    smalltalk: str | None = None


class BlockKind(StrEnum):
    TITLE = "title"  # bold in Telegram
    TEXT = "text"  # paragraphs; lines starting "- " are bullets
    LINK = "link"  # "Read more: <url>"
    NOTE = "note"  # italic: the disclaimer, small print


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str
    url: str | None = None


class Action(StrEnum):
    """What a button does; the Telegram layer turns (action, arg) into short callback data."""

    ENTRY = "e"  # show an entry (arg: entry id)
    ASK_DOCTOR = "q"  # queue the reader's original question (arg: question id)
    VOTE_UP = "u"  # arg: entry id
    VOTE_DOWN = "d"  # arg: entry id
    TOPICS = "t"  # list topics (arg: page)
    TOPIC = "p"  # list a topic's questions (arg: "topic:page")
    HOW_TO_ASK = "h"
    FORGET = "f"  # confirm /forget
    CANCEL = "x"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: Action
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """Everything a front end needs to show one answer; rendered by `bot.render`."""

    outcome: Outcome | None
    blocks: tuple[Block, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    entry: Entry | None = None
    score: float = 0.0
    suggestions: tuple[Scored, ...] = ()
    question_id: int | None = None
    queued: bool = False

    @property
    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass(slots=True)
class QueueItem:
    id: int
    status: str
    kind: str
    chat_id: int
    text: str
    created_at: str
    question_id: int | None = None
    answer: str | None = None
    answered_by: str | None = None
    answered_at: str | None = None
    entry_id: str | None = None
    answered_via: str | None = None  # "text" (the doctor's words) or "entry"
    answer_group: int | None = None  # the item the doctor acted on for this one
    delivered: int | None = None  # 0 owed to the reader, 1 sent, None nothing to send
    extra: dict[str, object] = field(default_factory=dict)
