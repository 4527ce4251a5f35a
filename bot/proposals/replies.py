"""What an admin sees in Telegram for /proposals, as `Reply` values: one card per proposal with
its buttons, the topic picker for a new entry, the card once decided, and the pages. Pure: no
I/O, no Telegram.

In English whatever the readers' texts in bot.yaml say, like the doctor's side
(bot/review/replies.py): it is the admins' tool. The reader's words are shown as a quote
(escaped by the renderer), never with a name or a label.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.replies import Page
from bot.models import Block, BlockKind, Button, Reply, ReviewAction
from bot.proposals.listing import Proposal

PAGE_SIZE = 5  # cards per /proposals page
WORDS_CHARS = 1000  # of the reader's words on a card
ANSWER_CHARS = 600  # of the doctor's answer on a new entry's card
TOPIC_CHARS = 40  # of a topic's title on its button
NONE_WAITING = "No proposals waiting."
GONE = (
    "Proposal #{id} is no longer waiting: the knowledge already has these words, or its"
    " entry is gone."
)

SOURCES = {
    "tap": "readers tapped its question under “Did you mean”",
    "link": "the doctor linked a reader's question to it",
    "answer": "the doctor answered it in her own words",
}


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _times(p: Proposal) -> str:
    """'Asked 4× (counted in readers): …where it came from.'"""
    return f"Asked {p.count}× (counted in readers): {SOURCES.get(p.source, p.source)}."


def _blocks(p: Proposal) -> list[Block]:
    """What the card says about the proposal, whatever its state."""
    if p.kind == "alternate":
        title = f"💡 Proposal #{p.id}: a new way to ask an answered question"
        about = f"“{p.question}” ({p.entry_id})" if p.question else p.entry_id
        where = f", in {p.file}" if p.file else ""
        lines = [f"As an alternate of: {about}{where}.", _times(p)]
        return [
            Block(BlockKind.TITLE, title),
            Block(BlockKind.QUOTE, _cut(p.text, WORDS_CHARS)),
            Block(BlockKind.TEXT, "\n".join(lines)),
        ]
    title = f"💡 Proposal #{p.id}: a new entry, from the doctor's answer"
    blocks = [
        Block(BlockKind.TITLE, title),
        Block(BlockKind.QUOTE, _cut(p.text, WORDS_CHARS)),
    ]
    if p.alternates:
        also = "\n".join(f"- {_cut(' '.join(a.split()), 200)}" for a in p.alternates[:5])
        more = f"\n- … and {len(p.alternates) - 5} more" if len(p.alternates) > 5 else ""
        blocks.append(Block(BlockKind.TEXT, f"Also asked as:\n{also}{more}"))
    answer = _cut(" ".join(p.answer.split()), ANSWER_CHARS) or "(no answer text)"
    blocks.append(Block(BlockKind.TEXT, f"Her answer: {answer}"))
    blocks.append(Block(BlockKind.TEXT, f"{_times(p)} Its id would be {p.entry_id}."))
    return blocks


def card(p: Proposal) -> Reply:
    """A pending proposal with its buttons."""
    arg = str(p.id)
    if p.kind == "alternate":
        note = "✅ Add writes it into the topic file; the bot then answers these words directly."
        add = Button("✅ Add", ReviewAction.ADD, arg)
    else:
        note = (
            "📝 Add as draft writes it at the end of a topic file you pick, marked draft: true"
            " — not served until an admin adds link and reviewed and deletes the mark."
        )
        add = Button("📝 Add as draft", ReviewAction.DRAFT, arg)
    blocks = (*_blocks(p), Block(BlockKind.NOTE, note))
    return Reply(None, blocks, ((add, Button("❌ Reject", ReviewAction.REJECT, arg)),))


def topic_picker(p: Proposal, topics: Sequence[tuple[str, str]]) -> Reply:
    """Which topic file a new entry goes to. `topics`: (file name without .yaml, title)."""
    if not topics:
        return refused(p, "there is no topic file in the knowledge folder")
    rows: list[tuple[Button, ...]] = []
    buttons = [
        Button(_cut(title or name, TOPIC_CHARS), ReviewAction.ADD_TO, f"{name}:{p.id}")
        for name, title in topics
    ]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((Button("‹ Back", ReviewAction.BACK, str(p.id)),))
    ask = Block(BlockKind.TEXT, "📝 Which topic file should the draft go to?")
    return Reply(None, (*_blocks(p), ask), tuple(rows))


def added(p: Proposal, files: Sequence[str]) -> Reply:
    """The card once written (no buttons)."""
    where = ", ".join(files) or p.file
    if p.kind == "alternate":
        done = f"✅ Added to {where}."
    else:
        done = (
            f"📝 Added as a draft to {where}. To serve it: add link and reviewed, delete"
            " draft: true, and run expertbot kb check --strict."
        )
    return Reply(None, (*_blocks(p), Block(BlockKind.TEXT, done)))


def checking(p: Proposal) -> Reply:
    """The card while its change is checked and written (seconds with the meaning signal):
    no buttons, so a second tap cannot start a second write."""
    return Reply(
        None, (*_blocks(p), Block(BlockKind.TEXT, "⏳ Checking the knowledge and writing…"))
    )


def refused(p: Proposal, reason: str) -> Reply:
    """The card with why it was not written (read-only folder, a failing check...); the
    buttons stay, to try again or reject."""
    shown = card(p)
    why = Block(BlockKind.TEXT, f"⚠️ Not added: {reason}")
    return Reply(None, (*shown.blocks, why), shown.buttons)


def rejected(p: Proposal) -> Reply:
    return Reply(None, (*_blocks(p), Block(BlockKind.TEXT, "❌ Rejected.")))


def already(p: Proposal) -> str:
    """A tap on a proposal decided before (a toast, and the last line of its card)."""
    if p.state == "accepted":
        where = f" (into {p.file})" if p.file else ""
        return f"Proposal #{p.id} was already accepted{where}."
    return f"Proposal #{p.id} was already {p.state}."


def decided(p: Proposal) -> Reply:
    """The card of a proposal decided before (elsewhere, by someone else, or from the
    terminal): no buttons."""
    return Reply(None, (*_blocks(p), Block(BlockKind.TEXT, already(p))))


def gone(proposal_id: int) -> Reply:
    return message(GONE.format(id=proposal_id))


def page(proposals: Sequence[Proposal], number: int) -> tuple[Reply, list[Reply], Reply | None]:
    """/proposals: a heading, one card per proposal of page `number`, and the ‹ Back / More ›
    buttons when there are more pages (None on a single page)."""
    if not proposals:
        return message(NONE_WAITING), [], None
    shown = Page.of(proposals, number, PAGE_SIZE)
    total = len(proposals)
    head = f"💡 {total} proposal{'s' if total != 1 else ''} waiting"
    if shown.pages > 1:
        head += f" — page {shown.page + 1} of {shown.pages}"
    intro = (
        "What readers and the doctor taught the bot, one card each. ✅ Add writes into the"
        " knowledge files (lines are only added); ❌ Reject keeps the words out for good."
    )
    heading = Reply(None, (Block(BlockKind.TITLE, head), Block(BlockKind.NOTE, intro)))
    nav = shown.nav(ReviewAction.PROPOSALS, "", "‹ Back", "More ›")  # (English: see above)
    footer = None
    if nav:
        first = shown.page * PAGE_SIZE + 1
        last = first + len(shown.items) - 1
        text = f"Proposals {first}–{last} of {total}."
        footer = Reply(None, (Block(BlockKind.TEXT, text),), (nav,))
    return heading, [card(p) for p in shown.items], footer


def message(text: str) -> Reply:
    return Reply(None, (Block(BlockKind.TEXT, text),))
