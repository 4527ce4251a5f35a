"""What the doctor sees in the review chat, as `Reply` values: question cards, /queue pages,
the entry picker, /stats, and short confirmations. Pure: no I/O, no Telegram.

The doctor's side is in English whatever the readers' texts in bot.yaml say: it is the
admins' and the doctor's tool. Readers' words are shown as quotes (escaped by the renderer)
next to a pseudonymous label, never a name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from bot.conversation.replies import Page
from bot.models import Block, BlockKind, Button, Entry, QueueItem, Reply, ReviewAction
from bot.review.service import (
    PART_CLOSE,
    PART_OPEN,
    Group,
    Resolution,
    choices_of,
    duration,
    marked,
    unmarked_parts,
)
from bot.runtime.reload import ReloadResult

CARD_CHARS = 3000  # of the reader's text on a card (a card must fit one message)
OTHER_CHARS = 200  # of each similar question listed under it
CONTEXT_CHARS = 600  # of the question a follow-up came after
OTHERS_SHOWN = 5
QUEUE_PAGE = 8
LINE_CHARS = 90
GROUP_MARK = "The others:"  # introduces a group card's list of similar questions
GROUP_SCOPE = "group"  # in a group card's header, before the lead's id: "… · group #12 · …"
# A card's header (its first line) names its item and its scope. The doctor's handlers parse it
# to recognise a card the bot sent but did not get to record (a crash right after sending); the
# header holds only the bot's own words, never the reader's, so a reader cannot forge a scope.
CARD_HEAD = re.compile(rf" · (?:({GROUP_SCOPE}) )?#(\d+) · Reader [0-9A-F]{{6}} · ")

_KINDS = {
    "urgent": "🔴 URGENT",
    "unmatched": "❓ New question",
    "asked": "🙋 Asked for you (after suggestions)",
    "held": "❓ New question (none of the offered answers was opened)",
    "part": "❓ Part of a message left unanswered",
    "feedback": "👎 Feedback",
}


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _line(text: str, limit: int = LINE_CHARS) -> str:
    return _cut(" ".join(text.split()), limit)


def when(stamp: str) -> str:
    """'27 Nov 07:12 UTC' from a stored ISO time."""
    try:
        value = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return value.strftime("%d %b %H:%M UTC").lstrip("0")


def card(
    item: QueueItem,
    label: str,
    *,
    others: Sequence[QueueItem] = (),
    entry: Entry | None = None,
    similar_pending: int = 0,
) -> Reply:
    """One question (with `others`: a group) for the doctor, with her buttons. She answers by
    replying to it; a group card's answer reaches every reader in the group."""
    kind = _KINDS.get(item.kind, "❓ Question")
    readers = len({item.chat_id, *(o.chat_id for o in others)})
    head = card_head(kind, item.id, label, when(item.created_at), group=bool(others))
    blocks = [Block(BlockKind.TITLE, head), Block(BlockKind.QUOTE, _cut(marked(item), CARD_CHARS))]
    blocks += _context(item)
    if item.kind == "feedback" and item.entry_id:
        about = f"“{entry.question}” ({item.entry_id})" if entry else item.entry_id
        blocks.append(Block(BlockKind.TEXT, f"The reader tapped 👎 on the answer {about}."))
    if others:
        times = f"Asked {len(others) + 1}× by {readers} reader{'s' if readers > 1 else ''}"
        lines = [f"- {_line(o.text, OTHER_CHARS)}" for o in others[:OTHERS_SHOWN]]
        if len(others) > OTHERS_SHOWN:
            lines.append(f"- … and {len(others) - OTHERS_SHOWN} more")
        blocks.append(Block(BlockKind.TEXT, f"{times}. {GROUP_MARK}\n" + "\n".join(lines)))
        how = "Reply to this message to answer all of them (each reader gets it once)."
    else:
        how = "Reply to this message to answer (your formatting and links are kept)."
        if similar_pending:
            how += f" {similar_pending} similar question(s) are waiting too: see /queue."
    blocks.append(Block(BlockKind.NOTE, how))
    buttons = (
        (Button("✍️ Reply", ReviewAction.REPLY), Button("📚 It's entry…", ReviewAction.ENTRIES)),
        (
            Button("Dismiss", ReviewAction.DISMISS),
            Button("Dismiss + kind note", ReviewAction.DISMISS_NOTE),
        ),
    )
    return Reply(None, tuple(blocks), buttons)


def _context(item: QueueItem) -> list[Block]:
    """Under the reader's message: the question a follow-up came after, which part no entry
    answered, and what they were offered."""
    blocks = []
    if item.context:  # a follow-up: it means little without the question before it
        blocks.append(Block(BlockKind.TEXT, "A follow-up. The reader had just asked:"))
        blocks.append(Block(BlockKind.QUOTE, _cut(item.context, CONTEXT_CHARS)))
    if item.part:
        lines = [f"No vetted answer for the part marked {PART_OPEN.strip()} … {PART_CLOSE.strip()}"]
        lines += [f"- {_line(p, OTHER_CHARS)}" for p in unmarked_parts(item)]
        lines[0] += "; the rest was answered from the knowledge."
        blocks.append(Block(BlockKind.TEXT, "\n".join(lines)))
    choices = choices_of(item)
    if choices:
        lines = ["Offered to the reader, not opened:"]
        lines += [f"- {_line(c, OTHER_CHARS)}" for c in choices]
        blocks.append(Block(BlockKind.TEXT, "\n".join(lines)))
    return blocks


def card_head(kind: str, item_id: int, label: str, at: str, *, group: bool) -> str:
    """A card's first line: "❓ New question · #12 · Reader 3FA2C1 · 27 Nov 07:12 UTC", with
    "group #12" on a group card (see `CARD_HEAD`, which reads it back)."""
    scope = f"{GROUP_SCOPE} " if group else ""
    return f"{kind} · {scope}#{item_id} · {label} · {at}"


def card_scope(text: str) -> tuple[int, str] | None:
    """(item id, "group" or "item") from a card's rendered text, read from its header only."""
    found = CARD_HEAD.search(text.split("\n", 1)[0])
    if found is None:
        return None
    return int(found[2]), "group" if found[1] else "item"


def digest_header(items: int, groups: int, since: str | None) -> Reply:
    span = f" since {when(since)}" if since else ""
    noun = "question" if items == 1 else "questions"
    text = f"🗂 Digest: {items} new {noun}{span}, in {groups} group(s). One card per group below."
    return Reply(None, (Block(BlockKind.TITLE, text),))


def reply_prompt(item: QueueItem, readers: int) -> Reply:
    who = "the reader" if readers == 1 else f"all {readers} readers"
    text = (
        f"✍️ Write your answer to #{item.id} as your next message here (or reply to this "
        f"message); it goes to {who}. /cancel to stop."
    )
    return Reply(None, (Block(BlockKind.TEXT, text),))


def entry_picker(item: QueueItem, entries: Sequence[Entry], query: str | None = None) -> Reply:
    """The closest entries as buttons; typing words searches again."""
    if query is None:
        intro = f"📚 Which entry answers #{item.id}? The closest ones:"
    else:
        intro = f"📚 Entries for “{_line(query, 60)}”:"
    if not entries:
        intro = f"📚 No entry comes close{' to that' if query else ''}."
    blocks = (
        Block(BlockKind.TEXT, intro),
        Block(BlockKind.NOTE, "Or type a few words to search. /cancel to stop."),
    )
    rows = [(Button(_line(e.question, 60), ReviewAction.LINK, e.id),) for e in entries]
    rows.append((Button("Cancel", ReviewAction.CANCEL),))
    return Reply(None, blocks, tuple(rows))


def resolved(result: Resolution, verb: str) -> Reply:
    """What an answer, link or dismissal did (or that it was done before)."""
    item = result.item
    if result.already:
        by = f" by {item.answered_by}" if item.answered_by else ""
        at = f" at {when(item.answered_at)}" if item.answered_at else ""
        text = f"#{item.id} was already {result.already}{by}{at}: nothing was sent again."
        return Reply(None, (Block(BlockKind.TEXT, text),))
    ids = ", ".join(f"#{i.id}" for i in result.changed)
    text = f"✅ {verb} {ids}."
    if result.recipients:
        n = len(result.recipients)
        text += f" Sending to {n} reader{'s' if n > 1 else ''}."
    return Reply(None, (Block(BlockKind.TEXT, text),))


def undeliverable(item: QueueItem, label: str, reason: str) -> Reply:
    text = (
        f"⚠️ The answer to #{item.id} ({label}) could not be delivered: {reason}. "
        "It stays answered; nothing else to do."
    )
    return Reply(None, (Block(BlockKind.TEXT, text),))


def queue_page(groups: Sequence[Group], page: int, labels: dict[int, str]) -> Reply:
    """/queue: pending questions grouped, urgent first then oldest, paged."""
    if not groups:
        return Reply(None, (Block(BlockKind.TEXT, "📭 No questions are waiting."),))
    shown = Page.of(groups, page, QUEUE_PAGE)
    page, pages = shown.page, shown.pages
    total = sum(g.count for g in groups)
    head = f"📥 {total} question(s) waiting, in {len(groups)} group(s)"
    if pages > 1:
        head += f" — page {page + 1} of {pages}"
    lines = []
    rows: list[tuple[Button, ...]] = []
    first = page * QUEUE_PAGE
    for number, group in enumerate(shown.items, first + 1):
        mark = "🔴 " if group.urgent else ""
        times = f" — asked {group.count}×" if group.count > 1 else ""
        lead = group.lead
        lines.append(
            f"{number}. {mark}#{lead.id} {_line(lead.text, 70)}{times} "
            f"({labels.get(lead.chat_id, 'reader')}, {when(lead.created_at)})"
        )
        rows.append(
            (Button(f"Open {number}: {_line(lead.text, 40)}", ReviewAction.OPEN, str(lead.id)),)
        )
    nav = shown.nav(ReviewAction.QUEUE, "", "‹ Back", "More ›")  # (the doctor's side: English)
    if nav:
        rows.append(tuple(nav))
    blocks = (
        Block(BlockKind.TITLE, head),
        Block(BlockKind.TEXT, "\n".join(lines)),
        Block(BlockKind.NOTE, "Open a group to answer or dismiss every question in it."),
    )
    return Reply(None, blocks, tuple(rows))


def _share(window: dict[str, Any], outcome: str) -> str:
    data = window["outcomes"][outcome]
    return f"{data['share'] * 100:.0f} % ({data['count']})"


def stats(data: dict[str, Any], questions: dict[str, str]) -> Reply:
    """/stats: the last 24 hours and 7 days. `questions`: entry id -> its question."""
    blocks: list[Block] = [Block(BlockKind.TITLE, "📊 Statistics")]
    for name, title in (("24h", "Last 24 hours"), ("7d", "Last 7 days")):
        w = data[name]
        lines = [
            f"Questions: {w['questions']} (small talk not counted)",
            f"- answered from the knowledge: {_share(w, 'answer')}",
            f"- suggestions offered: {_share(w, 'suggest')}",
            f"- sent to you: {_share(w, 'unmatched')}",
            f"- urgent: {_share(w, 'urgent')}",
            f"Answered by you: {w['answered_by_doctor']}"
            + (
                f", median time {duration(w['median_answer_seconds'])}"
                if w["median_answer_seconds"] is not None
                else ""
            ),
        ]
        inline = w["inline"]
        if inline["queries"]:
            lines.append(
                f"Inline searches in other chats: {inline['queries']}"
                + (f", answers sent: {inline['cards_sent']}" if inline["cards_sent"] else "")
            )
        if w["top_entries"]:
            lines.append("Top answers:")
            lines += [
                f"- {_line(questions.get(e['id'], e['id']), 60)} — {e['count']}×"
                for e in w["top_entries"]
            ]
        if w["votes"]:
            lines.append("Votes:")
            lines += [
                f"- {_line(questions.get(v['id'], v['id']), 60)} — 👍 {v['up']} 👎 {v['down']}"
                for v in w["votes"][:10]
            ]
        blocks += [Block(BlockKind.TITLE, title), Block(BlockKind.TEXT, "\n".join(lines))]
    pending = data["pending_groups"]
    if pending:
        lines = [f"- {_line(g['text'], 70)} — {g['count']}×" for g in pending]
        blocks += [
            Block(BlockKind.TITLE, "Most asked, still unanswered"),
            Block(BlockKind.TEXT, "\n".join(lines)),
        ]
    return Reply(None, tuple(blocks))


PROBLEMS_SHOWN = 15


def reload_report(result: ReloadResult) -> Reply:
    """A knowledge reload for the admins: its summary line, then the problems as file:line
    (errors first), at most PROBLEMS_SHOWN of them."""
    problems = [str(p) for p in result.errors + result.warnings]
    blocks = [Block(BlockKind.TEXT, result.summary())]
    if problems:
        shown = list(problems[:PROBLEMS_SHOWN])
        if len(problems) > PROBLEMS_SHOWN:
            shown.append(f"… and {len(problems) - PROBLEMS_SHOWN} more (expertbot kb check)")
        blocks.append(Block(BlockKind.TEXT, "\n".join(f"- {p}" for p in shown)))
    return Reply(None, tuple(blocks))


def message(text: str) -> Reply:
    return Reply(None, (Block(BlockKind.TEXT, text),))
