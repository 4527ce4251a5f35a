"""The values that flow between the layers. No I/O here, so every layer can share them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
    near_misses: tuple[str, ...] = ()  # training data only: questions it does not answer
    reviewed: dt.date | None = None
    topic: str = ""
    draft: bool = False  # marked `draft: true` in its file

    @property
    def is_draft(self) -> bool:
        return self.reviewed is None or self.draft


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
    likely: bool = False  # one suggestion the matcher thinks is meant: "I think you're asking"
    photo: bool = False  # the reader mentions a photo the bot cannot see
    foreign: bool = False  # not written in English: the doctor gets it, the reader is told
    also: tuple[Entry, ...] = ()  # other questions of the message that other entries answer
    open_parts: tuple[str, ...] = ()  # questions of the message that no entry answers


class BlockKind(StrEnum):
    TITLE = "title"  # bold in Telegram
    TEXT = "text"  # paragraphs; lines starting "- " are bullets
    LINK = "link"  # "Read more: <url>"
    NOTE = "note"  # italic: the disclaimer, small print
    RICH = "rich"  # the doctor's own text with her formatting (spans), see bot/conversation/rich.py
    QUOTE = "quote"  # a reader's words shown back (a blockquote in Telegram)


@dataclass(frozen=True, slots=True)
class Span:
    """One formatting span over `text[start:end]` (Python string indices), e.g. bold or a
    link; kept from the doctor's Telegram message (bot/conversation/rich.py)."""

    type: str
    start: int
    end: int
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str
    url: str | None = None
    spans: tuple[Span, ...] = ()


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
    SHARE = "s"  # send the answer to another chat via inline mode (arg: the entry id; in
    # Telegram a switch_inline_query button with the id as the query, never callback data)


class ReviewAction(StrEnum):
    """The doctor's buttons (capital letters: never confused with a reader's). Most act on the
    queue item of the message they are on (looked up in the database, not carried in the data),
    so a forged tap can only reach items the bot really posted in a review chat."""

    REPLY = "R"  # her next message answers the item
    ENTRIES = "L"  # "It's entry…": the closest entries as buttons
    LINK = "K"  # answer with this entry (arg: entry id)
    DISMISS = "D"
    DISMISS_NOTE = "N"  # dismiss, and send the reader the kind note from bot.yaml
    QUEUE = "Q"  # a page of /queue (arg: page)
    OPEN = "O"  # show a group from /queue as a card (arg: its first item's id)
    CANCEL = "C"  # forget a pending Reply/search
    # An admin's /proposals (bot/telegram/proposals.py): the arg is the proposal's id, which
    # is public; who may act is checked on every tap, never read from the data.
    PROPOSALS = "P"  # a page of /proposals (arg: page)
    ADD = "A"  # accept a proposed alternate (arg: proposal id)
    DRAFT = "F"  # a proposed new entry: ask which topic file (arg: proposal id)
    ADD_TO = "T"  # accept a proposed new entry as a draft (arg: "topic:proposal id")
    REJECT = "J"  # reject a proposal (arg: proposal id)
    BACK = "B"  # the proposal's card again, from the topic picker (arg: proposal id)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: Action | ReviewAction
    arg: str = ""


def number(text: str) -> int | None:
    """A row id or page from button data, which a reader can forge: plain ASCII digits only,
    and small enough for SQLite ("²" and 5,000-digit numbers are not numbers here)."""
    if text.isascii() and text.isdecimal() and len(text) <= 18:
        return int(text)
    return None


@dataclass(frozen=True, slots=True)
class Reply:
    """Everything a front end needs to show one answer; rendered by `bot.conversation.render`."""

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
    delivered: int | None = None  # store.Delivery: 0 owed, 1 sent, 2 undeliverable, -1 sending
    answer_format: str | None = (
        None  # the doctor's formatting of `answer` (bot/conversation/rich.py)
    )
    posted_at: str | None = None  # when it was shown in the review chat
    choices: str | None = None  # the questions the reader was offered and did not take, a line each
    part: str | None = None  # the part(s) of `text` no entry answered, a line each
    context: str | None = (
        None  # a follow-up's: the question it came after (bot/understanding/followup.py)
    )
