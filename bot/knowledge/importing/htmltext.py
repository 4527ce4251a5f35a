"""A blog post's HTML as blocks of plain text, with the parts that are not the post removed.

Standard library only (html.parser): a tolerant tree is built (unclosed `<p>` and `<li>` close
themselves, stray end tags are ignored, entities are decoded), then whole elements that are not
the post are dropped — navigation, headers and footers, sidebars, comments, shop and product
blocks, share buttons, "Ask the doctor" boxes, forms, scripts — by their tag, by the words of
their class or id, and, for content without classes (a WordPress export's post body), by a
heading that names such a block ("Shop the post", "Comments"): the heading and what follows it
up to the next heading of the same or a higher level. What is left becomes `Block`s: paragraphs,
list items, headings and quotes, in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# elements that end an open <p> when they start (HTML's implied end tags)
_CLOSES_P = frozenset(
    "address article aside blockquote div dl fieldset figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr main nav ol p pre section table ul".split()
)
_BLOCK = _CLOSES_P | frozenset("li dd dt tr td th caption figcaption body html".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# never part of a post's text
NOISE_TAGS = frozenset(
    "script style noscript nav header footer aside form iframe button svg template select "
    "textarea figure figcaption video audio canvas object".split()
)
# words of a class or id that mark an element as not the post
NOISE_WORDS = frozenset(
    """
    nav navigation navbar menu breadcrumb breadcrumbs sidebar widget widgets comment comments
    respond reply replies share sharing sharedaddy social shop product products cart basket
    woocommerce store buy related newsletter subscribe subscription signup advert advertisement
    ad ads banner cta ask askme disclaimer pagination postnav author byline meta tags tag categories
    category cookie cookies popup modal promo sponsored jp footer header masthead skip
    """.split()
)
# a heading (or a short line standing alone) that names a block that is not the post
NOISE_HEADING = re.compile(
    r"^\W*(?:shop\b|buy\s+(?:it|the|this|now)|products?\s+(?:i|we)\s+(?:love|use|recommend)|"
    r"my\s+picks|get\s+the\s+look|in\s+my\s+(?:shop|store)|"
    r"comments?\b|\d+\s+(?:comments?|responses?|replies)|leave\s+a\s+(?:reply|comment)|"
    r"(?:\d+\s+)?(?:thoughts?|responses?)\s+on\b|"
    r"ask\s+(?:the\s+)?(?:doctor|dr|me|a\s+question|your\s+question)|have\s+a\s+question|"
    r"(?:send|submit|email)\s+(?:me\s+|us\s+)?(?:your|a)\s+question|got\s+a\s+question|"
    r"related\s+(?:posts?|questions?|articles?|reading)|you\s+(?:may|might)\s+also\s+like|"
    r"read\s+next|more\s+(?:questions|posts)\b|share\s+(?:this|on)\b|"
    r"(?:previous|next)\s+(?:post|article|question|entry)|older\s+posts?|newer\s+posts?|"
    r"filed\s+under|tags?\s*:|categor(?:y|ies)\s*:|posted\s+in\b|subscribe\b|sign\s+up\b|"
    r"join\s+(?:my|our)\s+newsletter)",
    re.IGNORECASE,
)
# a line that is navigation: arrows and "previous / next" links
NAV_LINE = re.compile(
    r"^\s*(?:[«‹←⟵]|(?:previous|next|older|newer)\s+(?:post|article|question|entry|page)s?\b)"
    r"|[»›→⟶]\s*$|^\s*(?:home|blog)\s*[/›»>|]",
    re.IGNORECASE,
)
# the page's frame: never dropped for its classes (WordPress gives them "category-…", "tag-…",
# and body classes such as "has-sidebar")
_FRAME = frozenset("#root html body main article".split())
BR = "\u2028"  # a <br> while blocks are built (source line breaks are only spaces)
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2002-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")


@dataclass(slots=True)
class Node:
    """An element: its tag, attributes and children (elements and text)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def words(self) -> set[str]:
        """The words of its class and id ("entry-content postMeta" -> entry, content, post,
        meta)."""
        raw = f"{self.attrs.get('class', '')} {self.attrs.get('id', '')}"
        raw = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", raw).lower()
        return set(re.split(r"[^a-z0-9]+", raw)) - {""}

    def names(self) -> set[str]:
        """Its class names and id, whole."""
        raw = f"{self.attrs.get('class', '')} {self.attrs.get('id', '')}".lower()
        return set(raw.split())

    def elements(self) -> Iterator[Node]:
        """Itself and every element inside it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.elements()

    def find(self, match: Callable[[Node], bool]) -> Node | None:
        return next((n for n in self.elements() if match(n)), None)

    def text(self) -> str:
        """Its text on one line, spaces collapsed."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    if child.tag == "br":
                        parts.append(" ")
                    walk(child)

        walk(self)
        return clean_line("".join(parts))


class _Builder(HTMLParser):
    """A forgiving tree builder: what browsers do for the common cases of sloppy HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack: list[Node] = [self.root]
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        if tag in _CLOSES_P:
            self._close_open("p", stop=_BLOCK - {"p"})
        if tag == "li":
            self._close_open("li", stop=frozenset({"ul", "ol"}))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def _close_open(self, tag: str, stop: frozenset[str]) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return
            if self.stack[i].tag in stop:
                return


def parse(html: str) -> tuple[Node, list[str]]:
    """The document's tree and its comments (a saved page names its address in one)."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root, builder.comments


def clean_line(text: str) -> str:
    return _SPACE.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


def is_noise(node: Node) -> bool:
    """An element that is never the post: by its tag, or by the words of its class or id."""
    if node.tag in NOISE_TAGS:
        return True
    if node.attrs.get("role") in ("navigation", "complementary", "banner", "contentinfo"):
        return True
    if "hidden" in node.attrs:
        return True
    return node.tag not in _FRAME and bool(node.words() & NOISE_WORDS)


def drop(node: Node, unwanted: Callable[[Node], bool]) -> Node:
    """A copy of `node` without the elements `unwanted` picks (and what they hold)."""
    kept: list[Node | str] = []
    for child in node.children:
        if isinstance(child, str):
            kept.append(child)
        elif not unwanted(child):
            kept.append(drop(child, unwanted))
    return Node(node.tag, dict(node.attrs), kept)


# --- blocks ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph-like piece of a post: kind is 'p', 'li', 'h' (a heading) or 'quote'."""

    kind: str
    text: str
    level: int = 0  # a heading's level (1-6)


def blocks(node: Node) -> list[Block]:
    """The text of `node` as blocks, in order. Text separated by a blank line (a WordPress
    post body without <p> tags) makes separate paragraphs; <br> breaks a line."""
    out: list[Block] = []
    _walk(node, out, kind="p", level=0)
    return _drop_noise_sections(out)


def _walk(node: Node, out: list[Block], kind: str, level: int) -> None:
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            _emit("".join(buffer), kind, level, out)
            buffer.clear()

    for child in node.children:
        if isinstance(child, str):
            buffer.append(child)
            continue
        tag = child.tag
        if tag == "br":
            buffer.append(BR)
        elif tag in ("ul", "ol") or tag == "li":
            flush()
            _walk(child, out, kind="li", level=0)
        elif tag in _HEADINGS:
            flush()
            _walk(child, out, kind="h", level=int(tag[1]))
        elif tag == "blockquote":
            flush()
            _walk(child, out, kind="quote", level=0)
        elif tag in _BLOCK or tag in ("section", "article", "main"):
            flush()
            _walk(child, out, kind=kind if kind in ("li", "quote") else "p", level=level)
        else:  # inline: its text joins the current paragraph
            inner: list[Block] = []
            _walk_inline(child, buffer, inner)
            if inner:
                flush()
                out.extend(inner)
    flush()


def _walk_inline(node: Node, buffer: list[str], inner: list[Block]) -> None:
    for child in node.children:
        if isinstance(child, str):
            buffer.append(child)
        elif child.tag == "br":
            buffer.append(BR)
        elif child.tag in _BLOCK or child.tag in ("ul", "ol", "blockquote"):
            # a block inside an inline element (sloppy HTML): its own paragraphs
            _walk(Node("div", {}, [child]), inner, kind="p", level=0)
        else:
            _walk_inline(child, buffer, inner)


def _emit(raw: str, kind: str, level: int, out: list[Block]) -> None:
    # a blank line in the source text is a paragraph break (wpautop's rule), and so are two
    # <br> in a row (Blogger's); a single line break is a space, a single <br> a line break
    raw = re.sub(rf"{BR}[ \t\r\n\f\v\u00a0]*{BR}", "\n\n", raw)  # <br><br>: a new paragraph
    for piece in re.split(r"\n[ \t\r\f\v\u00a0]*\n", raw):
        lines = [clean_line(line) for line in piece.replace("\n", " ").split(BR)]
        text = "\n".join(line for line in lines if line)
        if text:
            out.append(Block(kind, text, level))


def _drop_noise_sections(found: list[Block]) -> list[Block]:
    """A heading naming a non-post block ("Shop the post", "3 comments") drops itself and what
    follows up to the next heading of its level or higher; a short paragraph naming one (no
    heading tag, as in many exports) drops itself and the list right after it; a navigation
    line ("« Previous post") drops itself."""
    kept: list[Block] = []
    skipping_level: int | None = None
    skipping_list = False
    for block in found:
        if skipping_level is not None:
            if block.kind == "h" and block.level <= skipping_level:
                skipping_level = None
            else:
                continue
        if skipping_list:
            if block.kind == "li":
                continue
            skipping_list = False
        short = len(block.text) <= 120
        if block.kind == "h" and NOISE_HEADING.match(block.text):
            skipping_level = block.level
            continue
        if short and block.kind in ("p", "li") and NOISE_HEADING.match(block.text):
            skipping_list = block.kind == "p"
            continue
        if short and block.kind in ("p", "li") and NAV_LINE.search(block.text):
            continue
        kept.append(block)
    return kept
