"""Reply -> text for a front end: Telegram HTML (escaped, split under the limit) or plain text."""

from __future__ import annotations

import html
import re

from bot.conversation import rich
from bot.models import Block, BlockKind, Reply

TELEGRAM_LIMIT = 4096
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _bullets(text: str) -> str:
    return "\n".join(
        "• " + line[2:] if line.startswith("- ") else line for line in text.splitlines()
    )


def plain(reply: Reply, *, with_buttons: bool = False) -> str:
    """What the reader sees, without formatting; buttons as numbered choices when asked."""
    parts = []
    for block in reply.blocks:
        if block.kind is BlockKind.LINK:
            parts.append(f"{block.text}: {block.url}")
        elif block.kind is BlockKind.TEXT:
            parts.append(_bullets(block.text))
        else:
            parts.append(block.text)
    text = "\n\n".join(parts)
    if with_buttons and reply.buttons:
        lines = [f"  [{i}] {b.label}" for i, b in enumerate(reply.flat_buttons, 1)]
        text += "\n\n" + "\n".join(lines)
    return text


def _segments(block: Block) -> list[tuple[str, str, str]]:
    """(open tag, plain text, close tag) pieces; a piece may be split, a tag never is."""
    if block.kind is BlockKind.TITLE:
        return [("<b>", block.text, "</b>")]
    if block.kind is BlockKind.NOTE:
        return [("<i>", block.text, "</i>")]
    if block.kind is BlockKind.QUOTE:
        return [("<blockquote>", block.text, "</blockquote>")]
    if block.kind is BlockKind.LINK:
        url = html.escape(block.url or "", quote=True)
        return [("", f"{block.text}: ", ""), (f'<a href="{url}">', block.url or "", "</a>")]
    return [("", p, "") for p in re.split(r"\n\s*\n", _bullets(block.text)) if p.strip()]


def _fit(text: str, room: int) -> list[str]:
    """Cut plain text into pieces whose escaped form fits in `room`: sentences, then words."""
    if len(html.escape(text, quote=False)) <= room:
        return [text]
    pieces: list[str] = []
    current = ""
    units = _SENTENCE_END.split(text)
    by_sentence = len(units) > 1
    if not by_sentence:
        units = text.split(" ")
    for unit in units:
        candidate = f"{current} {unit}" if current else unit
        if len(html.escape(candidate, quote=False)) <= room:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if by_sentence and len(html.escape(unit, quote=False)) > room:
            # one enormous sentence: cut it between words
            pieces.extend(_fit(unit, room))
            current = ""
        elif len(html.escape(unit, quote=False)) > room:
            # one enormous word: hard cut, but never inside an escape sequence
            step = max(1, room // 6)
            pieces.extend(unit[i : i + step] for i in range(0, len(unit), step))
            current = ""
        else:
            current = unit
    if current:
        pieces.append(current)
    return pieces


def telegram_html(reply: Reply, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """HTML messages for Telegram: every dynamic text escaped, each message at most `limit`."""
    paragraphs: list[str] = []
    for block in reply.blocks:
        if block.kind is BlockKind.RICH:
            paragraphs.extend(rich.split_html(block.text, block.spans, limit))
            continue
        segs = _segments(block)
        if block.kind is BlockKind.LINK:
            paragraphs.append("".join(o + html.escape(t, quote=False) + c for o, t, c in segs))
            continue
        for open_tag, text, close_tag in segs:
            room = limit - len(open_tag) - len(close_tag)
            for piece in _fit(text, room):
                paragraphs.append(open_tag + html.escape(piece, quote=False) + close_tag)
    messages: list[str] = []
    current = ""
    for para in paragraphs:
        candidate = f"{current}\n\n{para}" if current else para
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                messages.append(current)
            current = para
    if current:
        messages.append(current)
    return messages or [""]
