"""Rendering replies: Telegram HTML that Telegram accepts (escaped, balanced, ≤ 4096 characters,
split between paragraphs) and plain text with numbered buttons."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest

from bot.conversation import render, replies
from bot.conversation.render import TELEGRAM_LIMIT, telegram_html
from bot.knowledge.loading import Knowledge, load_knowledge
from bot.models import Action, Block, BlockKind, Button, Entry, Reply

NASTY = '<script>alert("x")</script> & \'quotes\' "double" <b>not bold</b> &amp; a<b'


class TelegramHTML(HTMLParser):
    """What Telegram's HTML parse mode accepts, for what the renderer uses: b, i, a href,
    blockquote, and the doctor's own formatting (u, s, code, pre, tg-spoiler); tags balanced;
    only &lt; &gt; &amp; &quot; entities."""

    ALLOWED: ClassVar[dict[str, set[str]]] = {
        "a": {"href"},
        **{tag: set() for tag in ("b", "i", "u", "s", "code", "pre", "tg-spoiler", "blockquote")},
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in self.ALLOWED, f"unsupported tag <{tag}>"
        assert {name for name, _ in attrs} <= self.ALLOWED[tag], attrs
        assert tag not in self.stack, f"nested <{tag}>"
        self.stack.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> in {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        assert "<" not in data and ">" not in data
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        assert name in {"lt", "gt", "amp", "quot"}, name
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))


def parse(message: str) -> TelegramHTML:
    """Parse one message as Telegram would; fail on anything it would reject."""
    assert len(message) <= TELEGRAM_LIMIT
    # every & starts a complete entity: nothing was cut inside an escape sequence
    assert not re.search(r"&(?!(?:lt|gt|amp|quot|#x27|#39);)", message), message
    parser = TelegramHTML()
    parser.feed(message)
    parser.close()
    assert parser.stack == [], f"unclosed {parser.stack}"
    return parser


def visible(message: str) -> str:
    return "".join(parse(message).text)


@pytest.fixture
def knowledge(kb_dir: Path) -> Knowledge:
    loaded, problems = load_knowledge(kb_dir)
    assert loaded is not None, problems
    return loaded


def entry(answer: str, question: str = "Is this a question?", **kw: object) -> Entry:
    return Entry(
        id="test-entry",
        question=question,
        answer=answer,
        link=str(kw.get("link", "https://example.org/kb/test-entry")),
        related=tuple(kw.get("related", ())),  # type: ignore[arg-type]
    )


# --- escaping ---------------------------------------------------------------------------------


def test_every_dynamic_text_is_escaped(knowledge: Knowledge) -> None:
    link = 'https://example.org/a?b=1&c="x"<y>'
    card = replies.entry_card(knowledge, entry(NASTY, question=NASTY, link=link))
    (message,) = telegram_html(card)
    assert "<script>" not in message
    assert "&lt;script&gt;" in message
    assert "&amp;amp;" in message  # a literal "&amp;" in the text stays literal
    parser = parse(message)
    assert parser.hrefs == [link]  # the href attribute is escaped too, and round-trips
    assert f'href="{html.escape(link, quote=True)}"' in message
    text = "".join(parser.text)
    assert text.count(NASTY) == 2  # the question (bold) and the answer, exactly as written
    assert f"Read more: {link}" in text


def test_the_only_tags_are_the_renderers(knowledge: Knowledge) -> None:
    card = replies.entry_card(knowledge, entry("Plain <i>answer</i>", question="Q <b>x</b>?"))
    (message,) = telegram_html(card)
    tags = re.findall(r"</?([a-z]+)", message)
    assert sorted(set(tags)) == ["a", "b", "i"]
    assert tags.count("b") == 2  # the title only: <b>…</b>
    assert message.startswith("<b>Q &lt;b&gt;x&lt;/b&gt;?</b>\n\n")
    assert message.endswith(f"<i>{html.escape(knowledge.settings.text('disclaimer'))}</i>")


@pytest.mark.parametrize("kind", list(BlockKind))
def test_every_block_kind_is_escaped(kind: BlockKind) -> None:
    block = Block(kind, NASTY, url='https://e.org/?q=<x>&r="y"' if kind is BlockKind.LINK else None)
    (message,) = telegram_html(Reply(None, (block,)))
    text = visible(message)
    assert NASTY in text
    assert "<script>" not in message


def test_texts_from_bot_yaml_are_escaped(kb_dir: Path) -> None:
    (kb_dir / "bot.yaml").write_text(
        'expert: "Dr <Who> & Co"\ntexts:\n  disclaimer: "Not <b>advice</b> & so on"\n',
        encoding="utf-8",
    )
    loaded, _ = load_knowledge(kb_dir)
    assert loaded is not None
    (message,) = telegram_html(replies.start(loaded))
    assert "Dr &lt;Who&gt; &amp; Co" in message
    assert "<i>Not &lt;b&gt;advice&lt;/b&gt; &amp; so on</i>" in message
    parse(message)


# --- the 4096 limit and clean splitting -----------------------------------------------------


def paragraphs(n: int, size: int = 400) -> list[str]:
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do"
    out = []
    for i in range(n):
        body = f"Paragraph {i} & <tag> says: "
        while len(body) < size:
            body += words + ". "
        out.append(body.strip())
    return out


def test_short_answer_is_one_message(knowledge: Knowledge) -> None:
    card = replies.entry_card(knowledge, entry("\n\n".join(paragraphs(3))))
    assert len(telegram_html(card)) == 1


def test_long_answer_is_split_between_paragraphs(knowledge: Knowledge) -> None:
    paras = paragraphs(30)  # ~12,000 characters, and more once escaped
    card = replies.entry_card(knowledge, entry("\n\n".join(paras)))
    messages = telegram_html(card)
    assert len(messages) >= 3
    for message in messages:
        parse(message)  # ≤ 4096, balanced tags, whole entities
    # every paragraph arrives whole, in one message, in order
    chunks = [visible(p) for m in messages for p in m.split("\n\n")]
    assert [c for c in chunks if c.startswith("Paragraph ")] == paras
    assert visible(messages[0]).startswith("Is this a question?")
    assert visible(messages[-1]).endswith(knowledge.settings.text("disclaimer"))
    # the link is never cut from its text
    assert sum("Read more: https://example.org/kb/test-entry" in visible(m) for m in messages) == 1
    # messages are filled: splitting does not send one paragraph per message
    assert len(messages) <= 5


def test_huge_paragraph_is_split_between_sentences(knowledge: Knowledge) -> None:
    sentence = "This sentence & that <one> end here."
    para = " ".join([sentence] * 300)  # ~11,000 characters without a blank line
    messages = telegram_html(replies.entry_card(knowledge, entry(para)))
    assert len(messages) >= 3
    pieces = []
    for message in messages:
        for chunk in message.split("\n\n"):
            text = visible(chunk)
            if "sentence" in text:
                pieces.append(text)
    for piece in pieces:
        assert piece.startswith("This sentence") and piece.endswith("end here.")
    assert " ".join(pieces) == para


def test_huge_sentence_is_split_between_words(knowledge: Knowledge) -> None:
    # a short sentence, then 9,000 characters without a full stop
    run_on = " ".join(f"word{i}&x" for i in range(1000))
    para = "A short opening sentence. " + run_on
    messages = telegram_html(replies.entry_card(knowledge, entry(para)))
    words: list[str] = []
    for message in messages:
        for chunk in message.split("\n\n"):
            words += visible(chunk).split()
    body = [w for w in words if w.startswith("word")]
    assert body == run_on.split()  # no word was cut in two


def test_huge_word_is_cut_but_not_inside_an_entity(knowledge: Knowledge) -> None:
    word = "&<>" * 3000  # 9,000 characters, 30,000 once escaped
    messages = telegram_html(replies.entry_card(knowledge, entry(word)))
    text = ""
    for message in messages:
        parse(message)
        text += "".join(visible(c) for c in message.split("\n\n") if "&" in visible(c))
    assert text == word


def test_huge_title_keeps_its_tags(knowledge: Knowledge) -> None:
    question = "Why? " * 1500  # 7,500 characters of bold title
    messages = telegram_html(replies.entry_card(knowledge, entry("Short.", question=question)))
    assert len(messages) >= 2
    for message in messages:
        parse(message)
    bold = [m for m in messages if m.startswith("<b>")]
    assert len(bold) >= 2


@pytest.mark.parametrize("limit", [200, 1000, TELEGRAM_LIMIT])
def test_no_message_over_the_limit(knowledge: Knowledge, limit: int) -> None:
    text = "\n\n".join(paragraphs(12, size=700)) + "\n\n" + "&" * 3000
    for message in telegram_html(replies.entry_card(knowledge, entry(text)), limit=limit):
        assert len(message) <= limit
        parser = TelegramHTML()
        parser.feed(message)
        assert parser.stack == []


# --- plain text -------------------------------------------------------------------------------


def test_plain_shows_numbered_buttons(knowledge: Knowledge) -> None:
    card = replies.entry_card(
        knowledge, entry("First line.\n\n- one\n- two", related=("jade-roller", "no-such-entry"))
    )
    text = render.plain(card, with_buttons=True)
    assert text.startswith("Is this a question?\n\nFirst line.\n\n• one\n• two\n\n")
    assert "Read more: https://example.org/kb/test-entry" in text
    assert text.endswith(
        "  [1] 👍\n  [2] 👎\n  [3] Related: Does a jade roller reduce puffiness?\n  [4] ↗️ Share"
    )  # the unknown related id is not offered; Share comes last
    assert "[1]" not in render.plain(card)  # buttons only when asked


def test_plain_numbers_buttons_across_rows() -> None:
    reply = Reply(
        None,
        (Block(BlockKind.TEXT, "Pick <one> & go"),),
        (
            (Button("A", Action.TOPICS), Button("B", Action.TOPICS)),
            (Button("C", Action.HOW_TO_ASK),),
        ),
    )
    assert render.plain(reply, with_buttons=True) == (
        "Pick <one> & go\n\n  [1] A\n  [2] B\n  [3] C"
    )  # plain text is not escaped
