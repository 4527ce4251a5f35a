"""Inline mode, pure of Telegram: `@bot query` in any chat lists the entries that fit the query;
choosing one sends that entry's card (question, answer, link, disclaimer) into the chat.

The ranking reuses the matcher's lexical ranking (no meaning model: a list that follows the
reader's typing must come in milliseconds), then adds the entries whose question or alternates
have every word of the query as a word or a word's beginning ("bot" while typing "botox"), so a
short or half-typed query still lists sensible entries. An empty query lists the first entries
of the knowledge. A query with a red flag (bot/understanding/safety.py) lists no entries: its one result is
the safety text. Nothing is decided or stored here (the service counts the query).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.conversation import render
from bot.conversation.replies import entry_card
from bot.models import Block, BlockKind, Entry, Reply
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import clean, normalise

MAX_RESULTS = 10
MAX_QUERY = 256  # Telegram's limit for an inline query
DESCRIPTION_CHARS = 120
URGENT_ID = "urgent"  # the result id of the safety text (never an entry id: those are slugs)


@dataclass(frozen=True, slots=True)
class InlineItem:
    """One result: its id (≤ 64 bytes), title and description in the list, and the message it
    sends (one Telegram message, HTML, ≤ 4,096 characters)."""

    id: str
    title: str
    description: str
    html: str
    entry: Entry | None = None  # None for the safety text


@dataclass(frozen=True, slots=True)
class InlineAnswer:
    items: tuple[InlineItem, ...]
    urgent: bool = False


def first_line(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The first non-empty line of an answer, without its bullet, cut to `limit`."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = line.removeprefix("- ").strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def one_message(reply: Reply, limit: int = render.TELEGRAM_LIMIT) -> str:
    """The reply as one HTML message: a card too long for one is shortened in its answer
    (cut between sentences or words, with "…"); its link still leads to the whole."""
    texts = render.telegram_html(reply, limit)
    if len(texts) == 1:
        return texts[0]
    long = max(
        (i for i, b in enumerate(reply.blocks) if b.kind is BlockKind.TEXT),
        key=lambda i: len(reply.blocks[i].text),
        default=None,
    )
    if long is None:
        return texts[0]
    block = reply.blocks[long]
    keep = len(block.text)
    while keep > 0:
        keep = int(keep * 0.9)
        cut = block.text[:keep].rsplit(" ", 1)[0].rstrip() + " …"
        blocks = list(reply.blocks)
        blocks[long] = dataclasses.replace(block, text=cut)
        texts = render.telegram_html(dataclasses.replace(reply, blocks=tuple(blocks)), limit)
        if len(texts) == 1:
            return texts[0]
    return texts[0]


def card_html(snapshot: Snapshot, entry: Entry) -> str:
    """The card inline mode sends: the entry's card without its buttons (votes and related
    questions belong to the reader's own chat with the bot)."""
    return one_message(entry_card(snapshot.knowledge, entry, outcome=None))


def _item(snapshot: Snapshot, entry: Entry) -> InlineItem:
    return InlineItem(
        id=result_id(entry.id),
        title=entry.question,
        description=first_line(entry.answer),
        html=card_html(snapshot, entry),
        entry=entry,
    )


def result_id(entry_id: str) -> str:
    """An inline result id is at most 64 bytes; entry ids are slugs, longer ones are cut
    (the id only names the result; the card is in the result itself)."""
    raw = entry_id.encode("utf-8")
    return entry_id if len(raw) <= 64 else raw[:64].decode("utf-8", "ignore")


def rank(snapshot: Snapshot, query: str, limit: int = MAX_RESULTS) -> list[Entry]:
    """The served entries for a query, best first, at most `limit`."""
    knowledge = snapshot.knowledge
    query = clean(query)[:MAX_QUERY]
    words = normalise(query).split()
    if not words:
        return list(knowledge.entries.values())[:limit]
    exact = knowledge.get(query.strip())
    if exact is not None:
        return [exact]  # the Share button's query: that entry's card, nothing else
    found: list[Entry] = []
    same = _same_question(snapshot, query)
    if same is not None:
        found.append(same)
    for scored in snapshot.matcher.closest(query, limit):
        if scored.entry not in found:
            found.append(scored.entry)
    if len(found) < limit:
        for entry in knowledge.entries.values():
            if entry not in found and _prefixes(words, entry):
                found.append(entry)
                if len(found) >= limit:
                    break
    return found[:limit]


def _same_question(snapshot: Snapshot, query: str) -> Entry | None:
    norm = normalise(query)
    return next(
        (e for e in snapshot.knowledge.entries.values() if normalise(e.question) == norm), None
    )


def _prefixes(words: list[str], entry: Entry) -> bool:
    """Every query word begins a word of the entry's question or alternates."""
    text = " ".join((entry.question, *entry.alternates))
    have = normalise(text).split()
    return all(any(w.startswith(q) for w in have) for q in words)


def answer(snapshot: Snapshot, query: str, limit: int = MAX_RESULTS) -> InlineAnswer:
    """What inline mode shows for a query: the entries (≤ `limit`), or for a red flag the
    safety text alone."""
    text = clean(query)[:MAX_QUERY]
    flag = snapshot.safety.red_flag(text) if text else None
    if flag is not None:
        s = snapshot.knowledge.settings
        title = s.text("urgent")
        reply = Reply(
            None,
            (Block(BlockKind.TITLE, title), Block(BlockKind.TEXT, flag.advice.strip())),
        )
        item = InlineItem(URGENT_ID, title, first_line(flag.advice), one_message(reply))
        return InlineAnswer((item,), urgent=True)
    return InlineAnswer(tuple(_item(snapshot, e) for e in rank(snapshot, text, limit)))
