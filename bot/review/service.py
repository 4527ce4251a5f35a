"""The doctor's review: the queue grouped, answers, dismissals, links to entries, the export of
draft entries, and statistics. One place, used by the CLI and the doctor's Telegram handlers.

Knows nothing of Telegram: `answer` and `link_to_entry` return the items whose readers must
receive the answer; sending is the caller's job (the item stays `delivered = 0` until then).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from bot.conversation import rich
from bot.models import Entry, QueueItem, Span
from bot.review import chart
from bot.review import export as review_export
from bot.storage import INLINE_CHOSEN, INLINE_QUERY, Store
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import clean, content_words, normalise

GROUP_SCORE = 85  # fuzz.token_set_ratio over normalised text, 0..100
STATS_WINDOWS = (("24h", dt.timedelta(hours=24)), ("7d", dt.timedelta(days=7)))
STORED_OUTCOMES = ("answer", "suggest", "unmatched", "urgent")  # small talk is not stored

SnapshotProvider = Callable[[], Snapshot | None]


class ReviewError(Exception):
    """A request the queue cannot satisfy (unknown item or entry); the message says which."""


@dataclass(slots=True)
class Group:
    """Pending items asking the same thing. `items[0]` is the oldest (urgent first)."""

    items: list[QueueItem]

    @property
    def lead(self) -> QueueItem:
        return self.items[0]

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def urgent(self) -> bool:
        return any(i.kind == "urgent" for i in self.items)

    @property
    def readers(self) -> int:
        return len({i.chat_id for i in self.items})

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.lead.id,
            "text": self.lead.text,
            "count": self.count,
            "readers": self.readers,
            "urgent": self.urgent,
            "items": [i.id for i in self.items],
        }


@dataclass(slots=True)
class Detail:
    item: QueueItem
    group: list[QueueItem] = field(default_factory=list)  # the other pending items like it


@dataclass(slots=True)
class Resolution:
    """What an answer, a dismissal or a link did."""

    item: QueueItem  # the item asked about, as it is now
    changed: list[QueueItem]  # the items this call closed (empty when already closed)
    recipients: list[QueueItem]  # one item per reader who must receive the answer

    @property
    def already(self) -> str | None:
        """The earlier status when this call changed nothing, e.g. 'answered'."""
        return None if self.changed else self.item.status


PART_OPEN, PART_CLOSE = "▶ ", " ◀"  # around the part of a message no entry answered


def marked(item: QueueItem) -> str:
    """The reader's whole message with the part(s) no entry answered marked inside it, so
    the doctor reads the question in its context. A part not found word for word (the
    reading tidied it) is left unmarked here; `unmarked_parts` lists it."""
    text = item.text
    for part in (item.part or "").split("\n"):
        at = text.find(part) if part else -1
        if at >= 0:
            text = f"{text[:at]}{PART_OPEN}{part}{PART_CLOSE}{text[at + len(part) :]}"
    return text


def unmarked_parts(item: QueueItem) -> list[str]:
    return [p for p in (item.part or "").split("\n") if p and p not in item.text]


def choices_of(item: QueueItem) -> list[str]:
    """The questions the reader was offered (and did not open), a line each."""
    return [c for c in (item.choices or "").split("\n") if c]


def reader_label(chat_id: int, salt: str) -> str:
    """A short pseudonym for a reader, the same for all their questions, shown to the doctor
    instead of any name (keyed with a random salt kept in the database)."""
    digest = hashlib.blake2s(str(chat_id).encode(), key=salt.encode()[:32], digest_size=3)
    return f"Reader {digest.hexdigest().upper()}"


def similar(a: str, b: str) -> bool:
    """Two normalised questions ask the same thing: a high token-set ratio, and enough telling
    words in common — at least two (or the same ones), and half of the wordier one's. Without
    that, token_set_ratio scores "botox" 100 against every question that mentions botox."""
    if a == b:
        return True
    wa, wb = content_words(a), content_words(b)
    shared = len(wa & wb)
    if wa != wb and (shared < 2 or shared * 2 < max(len(wa), len(wb))):
        return False
    return fuzz.token_set_ratio(a, b) >= GROUP_SCORE


def group_items(items: Sequence[QueueItem]) -> list[Group]:
    """Group items (in queue order: urgent first, then oldest) by similarity to any member of
    an earlier group; groups come urgent first, then by their oldest item."""
    groups: list[Group] = []
    norms: list[list[str]] = []
    for item in items:
        norm = normalise(item.text)
        for group, members in zip(groups, norms, strict=True):
            if any(similar(norm, other) for other in members):
                group.items.append(item)
                members.append(norm)
                break
        else:
            groups.append(Group([item]))
            norms.append([norm])
    for group in groups:
        group.items.sort(key=_queue_order)
    groups.sort(key=lambda g: (not g.urgent, g.items[0].created_at, g.items[0].id))
    return groups


def _queue_order(item: QueueItem) -> tuple[bool, str, int]:
    return (item.kind != "urgent", item.created_at, item.id)


class ReviewService:
    def __init__(self, store: Store, snapshot_provider: SnapshotProvider = lambda: None) -> None:
        self.store = store
        self._snapshot = snapshot_provider

    # --- reading --------------------------------------------------------------------------------

    async def pending_groups(self) -> list[Group]:
        return group_items(await self.store.queue("pending", limit=5000))

    async def show(self, item_id: int) -> Detail:
        item = await self._item(item_id)
        group: list[QueueItem] = []
        if item.status == "pending":
            found = await self.group_of(item_id)
            group = [i for i in found if i.id != item_id]
        return Detail(item, group)

    # --- acting ---------------------------------------------------------------------------------

    async def answer(
        self,
        item_id: int,
        text: str,
        by: str,
        group: bool = False,
        spans: Sequence[Span] = (),
    ) -> Resolution:
        """Answer in the doctor's words. With `spans` (her Telegram formatting) the text is
        kept exactly as sent, since the spans point into it."""
        if not spans:
            text = clean(text)
        if not text.strip():
            raise ReviewError("the answer is empty")
        return await self._close(
            item_id,
            "answered",
            by,
            group,
            answer=text,
            answer_format=rich.dumps(spans),
            via="text",
        )

    async def dismiss(
        self, item_id: int, by: str, group: bool = False, notify: bool = False
    ) -> Resolution:
        """Close without an answer; with `notify` each reader gets bot.yaml's kind note."""
        return await self._close(
            item_id, "dismissed", by, group, notify=notify, via="note" if notify else None
        )

    def closest_entries(self, text: str, limit: int = 5) -> list[Entry]:
        """The entries that best match a question or the doctor's search words."""
        snapshot = self._snapshot()
        if snapshot is None:
            return []
        return [scored.entry for scored in snapshot.matcher.closest(text, limit)]

    async def link_to_entry(
        self, item_id: int, entry_id: str, by: str, group: bool = False
    ) -> Resolution:
        """Answer with an existing entry; the question becomes a proposed alternate for it."""
        snapshot = self._snapshot()
        if snapshot is not None and snapshot.knowledge.get(entry_id) is None:
            raise ReviewError(f"no entry with id '{entry_id}' is served")
        return await self._close(
            item_id,
            "answered",
            by,
            group,
            via="entry",
            entry_id=entry_id,
            propose_alternates=True,
        )

    async def _close(
        self, item_id: int, status: str, by: str, group: bool, **kwargs: Any
    ) -> Resolution:
        item = await self._item(item_id)
        if item.status != "pending":
            return Resolution(item, [], [])
        ids = [item_id]
        if group:
            ids += [i.id for i in await self.group_of(item_id) if i.id != item_id]
        changed = await self.store.resolve(ids, status, by, **kwargs)
        recipients = [i for i in changed if i.delivered == 0]
        return Resolution(await self._item(item_id), changed, recipients)

    async def _item(self, item_id: int) -> QueueItem:
        item = await self.store.queue_item(item_id)
        if item is None:
            raise ReviewError(f"no queue item #{item_id}")
        return item

    async def group_of(self, item_id: int) -> list[QueueItem]:
        """The pending items grouped with this one (itself included; empty if not pending)."""
        for group in await self.pending_groups():
            if any(i.id == item_id for i in group.items):
                return group.items
        return []

    # --- export (bot/review/export.py) ----------------------------------------------------------

    async def export_data(self) -> dict[str, Any]:
        """Draft entries from the doctor's answers and proposed alternates, as plain data."""
        return await review_export.export_data(self.store, self._snapshot())

    async def export(self, now: dt.datetime | None = None) -> str:
        """The drafts as a topic file to complete, and the proposed alternates as comments."""
        return review_export.render_export(await self.export_data(), now)

    # --- statistics -----------------------------------------------------------------------------

    async def stats(self, now: dt.datetime | None = None) -> dict[str, Any]:
        now = now or dt.datetime.now(dt.UTC)
        result: dict[str, Any] = {"at": now.isoformat(timespec="seconds")}
        for name, span in STATS_WINDOWS:
            since = (now - span).isoformat(timespec="seconds")
            counts = await self.store.outcome_counts(since)
            total = sum(counts.values())
            times = [
                (parse_time(answered) - parse_time(asked)).total_seconds()
                for asked, answered in await self.store.answer_times(since)
            ]
            result[name] = {
                "questions": total,
                "outcomes": {
                    o: {
                        "count": counts.get(o, 0),
                        "share": round(counts.get(o, 0) / total, 4) if total else 0.0,
                    }
                    for o in STORED_OUTCOMES
                },
                "queued": await self.store.queued_count(since),
                "top_entries": [
                    {"id": e, "count": n} for e, n in await self.store.top_entries(since)
                ],
                "votes": [
                    {"id": e, "up": int(up), "down": int(down)}
                    for e, up, down in await self.store.vote_counts(since)
                ],
                "answered_by_doctor": len(times),
                "median_answer_seconds": statistics.median(times) if times else None,
                # inline mode (`@bot query` in other chats): counted per hour, nothing else kept
                "inline": {
                    "queries": await self.store.counted(INLINE_QUERY, since),
                    "cards_sent": await self.store.counted(INLINE_CHOSEN, since),
                },
            }
        result["pending_groups"] = [g.as_dict() for g in (await self.pending_groups())[:10]]
        result["not_stored"] = ["smalltalk"]
        return result

    async def chart_data(self, weeks: int = 4, now: dt.datetime | None = None) -> chart.ChartData:
        """The doctor's chart: questions per UTC day and outcome over the last `weeks` weeks
        (today included), and the pending groups most asked first (their lead's words)."""
        now = now or dt.datetime.now(dt.UTC)
        days = chart.window(now.astimezone(dt.UTC).date(), weeks)
        since = dt.datetime.combine(days[0], dt.time(), dt.UTC).isoformat(timespec="seconds")
        rows = await self.store.daily_outcomes(since)
        groups = sorted(
            await self.pending_groups(), key=lambda g: (-g.count, g.lead.created_at, g.lead.id)
        )
        return chart.aggregate(rows, days, [(g.lead.text, g.count) for g in groups])


def duration(seconds: float) -> str:
    """'40 s', '12 min', '3.5 h', '2.0 days': how long the doctor took, for people."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def parse_time(stamp: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(stamp)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
