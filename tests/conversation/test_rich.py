"""The doctor's formatting: Telegram entities kept as spans, rendered back as Telegram HTML that
is always escaped, balanced and cut under the message limit."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation import rich
from bot.models import Span
from tests.e2e.fake_telegram import parse_html

TYPES = ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link"]


@dataclass
class Entity:
    type: str
    offset: int
    length: int
    url: str | None = None


def test_entities_become_spans_with_utf16_offsets() -> None:
    text = "😀 Wait 48 hours, see the guide"  # the emoji is 2 UTF-16 units, 1 character
    entities = [Entity("bold", 3, 13), Entity("text_link", 26, 5, "https://example.org/g")]
    spans = rich.spans_of(text, entities)
    assert [text[s.start : s.end] for s in spans] == ["Wait 48 hours", "guide"]
    assert rich.to_html(text, spans) == (
        '😀 <b>Wait 48 hours</b>, see the <a href="https://example.org/g">guide</a>'
    )


def test_unknown_kinds_and_unsafe_links_are_dropped() -> None:
    text = "call me javascript"
    entities = [
        Entity("phone_number", 0, 4),
        Entity("text_link", 8, 10, "javascript:alert(1)"),
        Entity("mention", 0, 4),
    ]
    assert rich.spans_of(text, entities) == ()
    assert rich.loads('[["text_link", 0, 4, "data:text/html,x"], ["bogus", 0, 1, null]]') == ()
    assert rich.loads("not json") == ()


def test_text_is_escaped_and_links_quoted() -> None:
    text = '<script>alert("x")</script> & more'
    spans = (Span("text_link", 0, 8, 'https://x.org/?a=1&b="2"'),)
    rendered = rich.to_html(text, spans)
    assert rendered.startswith(
        '<a href="https://x.org/?a=1&amp;b=&quot;2&quot;">&lt;script&gt;</a>'
    )
    plain, _ = parse_html(rendered)
    assert plain == text


def test_crossing_spans_are_nested_properly() -> None:
    text = "bold and italic"
    spans = (Span("bold", 0, 8), Span("italic", 5, 15))
    assert rich.to_html(text, spans) == "<b>bold <i>and</i></b><i> italic</i>"


def test_a_long_answer_is_cut_between_paragraphs_with_tags_reopened() -> None:
    paragraph = "Sunscreen matters. " * 40
    text = "\n\n".join([paragraph.strip()] * 12)
    spans = (Span("bold", 0, len(text)),)
    pieces = rich.split_html(text, spans, 4096)
    assert len(pieces) > 1
    for piece in pieces:
        assert len(piece) <= 4096
        assert piece.startswith("<b>") and piece.endswith("</b>")
        parse_html(piece)
    joined = "\n\n".join(parse_html(p)[0] for p in pieces)
    assert joined == text


def test_plain_text_keeps_link_addresses() -> None:
    text = "See the guide."
    spans = (Span("text_link", 8, 13, "https://example.org/g"),)
    assert rich.plain(text, spans) == "See the guide (https://example.org/g)."
    assert rich.loads(rich.dumps(spans)) == spans
    assert rich.dumps(()) is None


@st.composite
def formatted(draw: st.DrawFn) -> tuple[str, tuple[Span, ...]]:
    text = draw(st.text(min_size=1, max_size=400))
    spans = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        kind = draw(st.sampled_from(TYPES))
        url = "https://example.org/?q=<&>" if kind == "text_link" else None
        spans.append(Span(kind, start, end, url))
    return text, tuple(spans)


@settings(max_examples=300, deadline=None)
@given(formatted(), st.integers(60, 600))
def test_any_formatting_renders_valid_html_under_the_limit(
    case: tuple[str, tuple[Span, ...]], limit: int
) -> None:
    text, spans = case
    pieces = rich.split_html(text, spans, limit)
    shown = ""
    for piece in pieces:
        assert len(piece) <= limit
        plain, _ = parse_html(piece)  # Telegram would accept it
        shown += plain
    # nothing the doctor wrote is lost, apart from the whitespace at the cuts
    assert "".join(shown.split()) == "".join(text.split())
