"""What the doctor or an admin sees in the terminal (`expertbot queue …`, `expertbot stats`), as
plain text lines; review_replies.py is its Telegram twin. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.models import QueueItem
from bot.review.service import Detail, Resolution, choices_of, duration, marked, unmarked_parts
from bot.storage import Delivery

DELIVERY_NAMES = {
    Delivery.OWED: "owed",
    Delivery.SENDING: "sending",
    Delivery.SENT: "sent",
    Delivery.UNDELIVERABLE: "undeliverable",
}


def one_line(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def item_summary(item: QueueItem) -> dict[str, Any]:
    """`queue list --json`: one item."""
    return {
        "id": item.id,
        "status": item.status,
        "kind": item.kind,
        "chat_id": item.chat_id,
        "text": item.text,
        "created_at": item.created_at,
    }


def item_dict(item: QueueItem) -> dict[str, Any]:
    """`queue show --json`: one item, answered or not."""
    return item_summary(item) | {
        "answer": item.answer,
        "answered_by": item.answered_by,
        "answered_at": item.answered_at,
        "answered_via": item.answered_via,
        "entry_id": item.entry_id,
        "part": item.part,  # what of `text` no entry answered (a line each), or null
        "choices": choices_of(item),  # what the reader was offered and did not open
        "delivered": item.delivered == Delivery.SENT,
        "delivery": DELIVERY_NAMES.get(item.delivered),
        "context": item.context,  # a follow-up's: the question it came after
    }


def queue_lines(items: Sequence[QueueItem]) -> list[str]:
    """`queue list`: one line per item."""
    if not items:
        return ["The queue is empty."]
    return [
        f"#{i.id:<5} {i.kind:<9} {i.status:<9} {i.created_at}  {one_line(i.text)}" for i in items
    ]


def detail_lines(detail: Detail) -> list[str]:
    """`queue show`: the item, its answer, and the pending questions like it."""
    item = detail.item
    lines = [f"#{item.id} {item.kind} {item.status}, asked {item.created_at}", marked(item)]
    if item.context:
        lines.append(f"(a follow-up; the reader had just asked: {item.context})")
    if item.part:
        lines.append("(no vetted answer for the part marked ▶ … ◀; the rest was answered)")
        lines += [f"  unanswered: {p}" for p in unmarked_parts(item)]
    choices = choices_of(item)
    if choices:
        lines.append("Offered to the reader, not opened:")
        lines += [f"  - {c}" for c in choices]
    if item.status == "answered":
        how = f" with entry {item.entry_id}" if item.answered_via == "entry" else ""
        lines.append(f"\nAnswered{how} by {item.answered_by} at {item.answered_at}")
        if item.answer:
            lines.append(item.answer)
        if item.delivered in (Delivery.OWED, Delivery.SENDING):
            lines.append("(not delivered to the reader yet)")
        elif item.delivered == Delivery.UNDELIVERABLE:
            lines.append("(could not be delivered: the reader blocked the bot or left)")
    elif item.status == "dismissed":
        lines.append(f"\nDismissed by {item.answered_by} at {item.answered_at}")
    if detail.group:
        lines.append(f"\nSimilar pending questions ({len(detail.group)}):")
        lines += [f"  #{other.id:<5} {one_line(other.text, 80)}" for other in detail.group]
    return lines


def resolution_lines(result: Resolution, verb: str, how: str = "") -> list[str]:
    """What an answer, link or dismissal changed (the sending is reported after it)."""
    item = result.item
    if result.already:
        when = f" by {item.answered_by} at {item.answered_at}" if item.answered_by else ""
        return [f"#{item.id} was already {result.already}{when}; nothing changed."]
    ids = ", ".join(f"#{i.id}" for i in result.changed)
    noun = "question" if len(result.changed) == 1 else "questions"
    return [f"{verb} {len(result.changed)} {noun}{how}: {ids}."]


def delivery_line(readers: int, sent: int | None) -> str:
    """How the answer goes to its `readers`: `sent` now through Telegram, or None (no token
    here: the running bot sends it)."""
    who = "1 reader" if readers == 1 else f"{readers} readers"
    if sent is None:
        return (
            f"Stored: {who} to receive it. The bot sends it when it runs "
            "(no TELEGRAM_BOT_TOKEN here to send it now)."
        )
    return f"Sent to {sent} of {who} through Telegram; the bot retries the rest."


def stats_lines(data: dict[str, Any]) -> list[str]:
    """`expertbot stats`: the last 24 hours and 7 days, and the top pending questions."""
    lines: list[str] = []
    for name, label in (("24h", "Last 24 hours"), ("7d", "Last 7 days")):
        window = data[name]
        lines.append(f"{label}: {window['questions']} questions")
        for outcome, value in window["outcomes"].items():
            lines.append(f"  {outcome:<10} {value['count']:>5}  {value['share'] * 100:5.1f}%")
        lines.append(f"  queued for the doctor: {window['queued']}")
        median = window["median_answer_seconds"]
        if median is not None:
            lines.append(
                f"  answered by the doctor: {window['answered_by_doctor']}, "
                f"median time {duration(median)}"
            )
        inline = window["inline"]
        lines.append(
            f"  inline searches: {inline['queries']}, answers sent from them:"
            f" {inline['cards_sent']} (counted only if inline feedback is on)"
        )
        if window["top_entries"]:
            lines.append("  top entries:")
            lines += [f"    {e['count']:>5}  {e['id']}" for e in window["top_entries"]]
        if window["votes"]:
            lines.append("  votes (👍/👎):")
            lines += [f"    {v['up']:>3}/{v['down']:<3} {v['id']}" for v in window["votes"]]
    lines.append("(small talk is not stored, so it is not counted)")
    groups = data["pending_groups"]
    lines.append(f"Top pending questions: {len(groups) or 'none'}")
    for group in groups:
        mark = "URGENT " if group["urgent"] else ""
        lines.append(
            f"  #{group['id']:<5} {mark}asked {group['count']}×  {one_line(group['text'], 70)}"
        )
    return lines
