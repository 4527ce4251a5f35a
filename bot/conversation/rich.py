"""The doctor's formatted text: Telegram message entities kept as spans, re-rendered safely.

Her answer arrives as plain text plus entities (bold, italic, links…). We keep the text and a
whitelist of spans (stored as JSON next to the answer) and render our own HTML from them: every
character of her text is escaped, only known tags are produced, and links only to http(s),
mailto and tg: addresses. A long answer is cut between paragraphs, lines, sentences or words,
with the tags closed and reopened around each cut, so every message is valid on its own.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from bot.models import Span

TEXT_LINK = "text_link"

# entity type -> (open tag, close tag); a text_link's tag carries its address
_TAGS: dict[str, tuple[str, str]] = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ("<tg-spoiler>", "</tg-spoiler>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
    TEXT_LINK: ("", "</a>"),
}
_SCHEMES = frozenset({"http", "https", "mailto", "tg"})
_CUTS = tuple(re.compile(p) for p in (r"\n\s*\n", r"\n", r"(?<=[.!?])\s+", r"\s+"))


def _open(span: Span) -> str:
    if span.type == TEXT_LINK:
        return f'<a href="{html.escape(span.url or "", quote=True)}">'
    return _TAGS[span.type][0]


def _close(span: Span) -> str:
    return _TAGS[span.type][1]


def _safe_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in _SCHEMES else None


def _utf16_to_index(text: str) -> list[int]:
    """Python index for every UTF-16 offset (Telegram counts offsets in UTF-16 code units)."""
    index: list[int] = []
    for i, char in enumerate(text):
        index.extend([i] * (2 if ord(char) > 0xFFFF else 1))
    index.append(len(text))
    return index


class Entity(Protocol):
    """A Telegram MessageEntity, as far as we read it (offsets in UTF-16 code units)."""

    type: str
    offset: int
    length: int
    url: str | None


def spans_of(text: str, entities: Sequence[Entity]) -> tuple[Span, ...]:
    """The spans we keep from Telegram entities (unknown kinds and unsafe links dropped)."""
    index = _utf16_to_index(text)
    spans = []
    for entity in entities:
        if entity.type not in _TAGS:
            continue
        url = None
        if entity.type == TEXT_LINK:
            url = _safe_url(entity.url)
            if url is None:
                continue
        first = min(entity.offset, len(index) - 1)
        last = min(entity.offset + entity.length, len(index) - 1)
        if index[last] > index[first]:
            spans.append(Span(str(entity.type), index[first], index[last], url))
    return tuple(spans)


def plain(text: str, spans: Sequence[Span]) -> str:
    """The text with each link's address after its label, for places without formatting
    (the terminal, the export of draft entries)."""
    links = sorted((s for s in spans if s.url), key=lambda s: s.end, reverse=True)
    for span in links:
        if span.url and span.url not in text[span.start : span.end]:
            text = f"{text[: span.end]} ({span.url}){text[span.end :]}"
    return text


def dumps(spans: Sequence[Span]) -> str | None:
    if not spans:
        return None
    return json.dumps([[s.type, s.start, s.end, s.url] for s in spans], ensure_ascii=False)


def loads(raw: str | None) -> tuple[Span, ...]:
    """Spans from the database; anything malformed is dropped (the text still shows)."""
    if not raw:
        return ()
    try:
        data: Any = json.loads(raw)
        spans = []
        for kind, start, end, url in data:
            valid = kind in _TAGS and isinstance(start, int) and isinstance(end, int)
            if valid and end > start and (kind != TEXT_LINK or _safe_url(url)):
                spans.append(Span(str(kind), start, end, url))
        return tuple(spans)
    except (ValueError, TypeError):
        return ()


def to_html(text: str, spans: Sequence[Span], start: int = 0, end: int | None = None) -> str:
    """HTML for `text[start:end]`: escaped text, spans clipped to the slice and nested
    properly (a span crossing another's end is closed and reopened around it)."""
    end = len(text) if end is None else end
    piece = text[start:end]
    clipped = sorted(
        (
            (max(s.start, start) - start, min(s.end, end) - start, s)
            for s in spans
            if s.start < end and s.end > start
        ),
        key=lambda c: (c[0], -c[1]),
    )
    points = sorted({0, len(piece), *(a for a, _, _ in clipped), *(b for _, b, _ in clipped)})
    out: list[str] = []
    stack: list[tuple[int, Span]] = []
    todo = 0
    for i, point in enumerate(points):
        if any(stop <= point for stop, _ in stack):
            reopen = []
            while any(stop <= point for stop, _ in stack):
                stop, span = stack.pop()
                out.append(_close(span))
                if stop > point:
                    reopen.append((stop, span))
            for stop, span in reversed(reopen):
                out.append(_open(span))
                stack.append((stop, span))
        while todo < len(clipped) and clipped[todo][0] == point:
            _, stop, span = clipped[todo]
            todo += 1
            if stop > point:
                out.append(_open(span))
                stack.append((stop, span))
        if i + 1 < len(points):
            out.append(html.escape(piece[point : points[i + 1]], quote=False))
    out.extend(_close(span) for _, span in reversed(stack))
    return "".join(out)


def split_html(text: str, spans: Sequence[Span], limit: int) -> list[str]:
    """HTML pieces of at most `limit` characters each, cut at the best boundary that fits."""
    pieces: list[str] = []
    start = 0
    while start < len(text):
        fits_all = len(to_html(text, spans, start)) <= limit
        end = len(text) if fits_all else _best_cut(text, spans, start, limit)
        chunk = to_html(text, spans, start, end)
        if len(chunk) > limit:  # so many tags that not even one character fits: drop them
            chunk = html.escape(text[start:end], quote=False)
        if text[start:end].strip():
            pieces.append(chunk.strip("\n"))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    return pieces


def _best_cut(text: str, spans: Sequence[Span], start: int, limit: int) -> int:
    def fits(cut: int) -> bool:
        return len(to_html(text, spans, start, cut)) <= limit

    for pattern in _CUTS:
        cuts = [m.start() for m in pattern.finditer(text, start) if m.start() > start]
        fitting = _last_fitting(cuts, fits)
        if fitting is not None:
            return fitting
    # one enormous word: the longest prefix that fits (at least one character)
    positions = list(range(start + 1, len(text) + 1))
    return _last_fitting(positions, fits) or start + 1


def _last_fitting(cuts: list[int], fits: Callable[[int], bool]) -> int | None:
    """The last cut that fits (rendered length grows with the cut, so bisect)."""
    low, high, found = 0, len(cuts) - 1, None
    while low <= high:
        mid = (low + high) // 2
        if fits(cuts[mid]):
            found, low = cuts[mid], mid + 1
        else:
            high = mid - 1
    return found
