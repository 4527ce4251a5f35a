"""One imported post: its question, the doctor's answer as plain text, its link, alternates.

A Q&A blog post is a reader's letter, then the doctor's answer, then a sign-off. The letter is
found as a quote (`<blockquote>`, or an element whose class says letter / question / reader),
or as the paragraphs from a "Q:" / "Question:" line up to an "A:" / "Answer:" line. The
question is the letter's first real question sentence (bot/understanding/reading.py reads it like a reader's
message: greeting, thanks and signature left out), else the post's title; the title becomes the
first alternate when it says something else. The answer is what is left, with lead-ins ("Anna
writes:", "Dr Vera answers:") and the sign-off ("Warmly, Dr Vera") removed, as the knowledge
format's plain text: paragraphs separated by a blank line, list items as "- " lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.importing.htmltext import Block, Node, blocks, drop, is_noise
from bot.understanding.reading import read
from bot.understanding.text import normalise, sentences

MAX_QUESTION = 160  # a longer question sentence is a story: the title asks better
MIN_QUESTION_WORDS = 5  # "Is this normal?" means nothing without the letter


class KbImportError(Exception):
    """Input the import cannot use; the message says which file or post and why."""


@dataclass(frozen=True, slots=True)
class Post:
    """What one post becomes: a draft entry's fields, and where it came from (for messages)."""

    title: str  # the post's title (the entry's id is made from it)
    question: str
    answer: str  # plain text in the knowledge format
    link: str
    alternates: tuple[str, ...] = ()
    origin: str = ""  # "export.xml, item 3", "pages/botox.html", "posts.csv, row 4"
    id: str = ""  # an id the source gives (CSV / YAML `id`), else one is made from the title


_LETTER_WORDS = frozenset(
    "letter question reader readers query submission reader-question ask-letter".split()
)
_Q_LINE = re.compile(
    r"^\s*(?:q|question|reader'?s?\s+question|the\s+question|query)\s*[:.)–—-]\s*", re.IGNORECASE
)
_A_LINE = re.compile(
    r"^\s*(?:a|answer|my\s+answer|the\s+answer|reply|response)\s*[:.)–—-]\s*", re.IGNORECASE
)
# a short line introducing the letter or the answer: "Anna from Leeds writes:", "Dr Vera answers:"
_LEAD_IN = re.compile(
    r"^[^.!?]{0,80}\b(?:writes|wrote|asks|asked|answers|replies|responds|says)\s*:?\s*$",
    re.IGNORECASE,
)
# the start of a letter written as paragraphs: "Anna from Leeds writes:" (the letter may follow
# on the same line), and the start of the answer after it: "Dr Vera answers:"
_ASKS = re.compile(r"^[^.!?:]{0,60}\b(?:writes|wrote|asks|asked)\s*:\s*", re.IGNORECASE)
_ANSWERS = re.compile(r"^[^.!?:]{0,60}\b(?:answers|replies|responds|says)\s*:?\s*$", re.IGNORECASE)
# headings that open the letter and the answer: "Reader question" … "My answer"
_Q_HEADING = re.compile(
    r"^\W*(?:the\s+|a\s+|this\s+week'?s\s+)?(?:reader'?s?\s+|your\s+)?(?:question|letter|query)\W*$"
    r"|^\W*you\s+asked\W*$",
    re.IGNORECASE,
)
_A_HEADING = re.compile(
    r"^\W*(?:my|the|our|dr\.?\s+\w+'?s?)?\s*(?:answer|reply|response)\W*$", re.IGNORECASE
)
# after the answer: a P.S. or the site's disclaimer
_AFTERWORD = re.compile(
    r"^\W*(?:p\.?\s?s\b|disclaimer\b|this\s+(?:answer|post|article|blog)\s+is\s+(?:for\s+)?"
    r"general|(?:this\s+is\s+)?not\s+(?:a\s+substitute|medical\s+advice))",
    re.IGNORECASE,
)
# a closing line: "Warmly, Dr Vera", "— Dr. Vera", "Best wishes", "xx Vera"
_SIGN_OFF = re.compile(
    r"^\W*(?:(?:dr|doctor)\.?\s+[A-Z]\w*|warmly|warm\s+wishes|best\s+wishes|all\s+the\s+best|"
    r"best|kind\s+regards|regards|yours|take\s+care|with\s+love|love|cheers|good\s+luck|"
    r"until\s+next\s+time|xx+|hugs|stay\s+safe|speak\s+soon)\b",
    re.IGNORECASE,
)
# a question that means nothing without the letter around it: "Is this normal?"
_VAGUE = re.compile(
    r"^(?:is\s+(?:this|that|it)\s+\w+|what\s+(?:should|do|can)\s+i\s+do|"
    r"any\s+(?:advice|ideas|tips|thoughts)|what\s+do\s+you\s+(?:think|recommend|suggest)|"
    r"(?:can|could)\s+you\s+help(?:\s+me)?|help)(?:\s+[\w']+){0,3}\W*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•·–—]|\d+[.)])\s+")


def is_letter(node: Node) -> bool:
    return node.tag == "blockquote" or bool(
        node.names() & _LETTER_WORDS or (node.words() & {"letter", "reader"})
    )


def from_html(title: str, link: str, content: Node, origin: str) -> Post:
    """A post from its title, link and content element (the page's article or a WXR body)."""
    title = " ".join(title.split())
    if not title:
        raise KbImportError(f"{origin}: the post has no title")
    found = blocks(_letters_as_quotes(drop(content, _not_post)))
    letter, found = _leading_letter(found)
    if not letter:
        letter, found = _letter_by_lines(found)
    answer = answer_text(_trim(found))
    if not answer:
        raise KbImportError(
            f"{origin}: '{title}' has no answer text left once the reader's letter, navigation, "
            "shop blocks, comments and boxes are taken out"
        )
    question = letter_question(letter) or title
    return make_post(title, question, answer, link, origin)


def make_post(
    title: str, question: str, answer: str, link: str, origin: str, extra: tuple[str, ...] = ()
) -> Post:
    """A Post with its question tidied and the title (when it differs) as the first alternate."""
    question = _tidy_question(question)
    if len(question) < 3:
        raise KbImportError(f"{origin}: the post has no question")
    if not re.match(r"^https?://\S+$", link or ""):
        raise KbImportError(f"{origin}: '{title}' has no web address (link) of its own")
    seen = {normalise(question)}
    alternates = []
    for text in (title, *extra):
        text = " ".join(text.split())
        if text and normalise(text) not in seen:
            seen.add(normalise(text))
            alternates.append(text)
    return Post(title, question, answer, link, tuple(alternates), origin)


def letter_question(letter: list[Block]) -> str:
    """The letter's first question sentence that stands on its own, or ''."""
    if not letter:
        return ""
    text = " ".join(_Q_LINE.sub("", b.text) for b in letter).replace("\n", " ")
    reading = read(text)
    asked = [q for q in reading.questions if "?" in q] or list(reading.questions)
    for sentence in asked:
        sentence = _tidy_question(sentence)
        words = normalise(sentence).split()
        long_enough = len(words) >= MIN_QUESTION_WORDS and len(sentence) <= MAX_QUESTION
        if long_enough and not _VAGUE.match(sentence):
            return sentence
    return ""


def answer_text(found: list[Block]) -> str:
    """Blocks as the knowledge's plain text: a blank line between paragraphs, a list's items
    as consecutive "- " lines."""
    parts: list[str] = []
    for block in found:
        if block.kind == "li":
            item = "- " + " ".join(_BULLET.sub("", block.text).split())
            if parts and parts[-1].startswith("- "):
                parts[-1] += "\n" + item
            else:
                parts.append(item)
        else:
            parts.append(_paragraph(block.text))
    return "\n\n".join(p for p in parts if p.strip())


def plain_answer(text: str) -> str:
    """A plain-text answer (CSV, YAML) in the knowledge format: paragraphs kept, "*", "•" and
    numbered items written as "- " bullets, spaces tidied."""
    found: list[Block] = []
    for piece in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [" ".join(line.split()) for line in piece.split("\n")]
        lines = [line for line in lines if line]
        para: list[str] = []
        for line in lines:
            if _BULLET.match(line):
                if para:
                    found.append(Block("p", "\n".join(para)))
                    para = []
                found.append(Block("li", line))
            else:
                para.append(line)
        if para:
            found.append(Block("p", "\n".join(para)))
    return answer_text(found)


def _paragraph(text: str) -> str:
    """One paragraph: its lines kept (a <br>), but a line that would read as a bullet is
    joined to the one before."""
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        if out and line.startswith("- "):
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)


def _not_post(node: Node) -> bool:
    return is_noise(node) and not is_letter(node)  # "ask-letter" is the letter, not a box


def _letters_as_quotes(node: Node) -> Node:
    """A copy where an element marked as the reader's letter (class "letter", "question", …)
    is a <blockquote>, as most blogs write it."""
    children = [c if isinstance(c, str) else _letters_as_quotes(c) for c in node.children]
    tag = "blockquote" if node.tag != "blockquote" and is_letter(node) else node.tag
    return Node(tag, dict(node.attrs), children)


def _leading_letter(found: list[Block]) -> tuple[list[Block], list[Block]]:
    """The quote the post opens with (after lead-in lines such as "Anna writes:"): the
    reader's letter. A quote further down is part of the answer."""
    i = 0
    while i < len(found) and found[i].kind != "quote" and _lead_in(found[i].text):
        i += 1
    j = i
    while j < len(found) and found[j].kind == "quote":
        j += 1
    if j == i:
        return [], found
    return found[i:j], found[:i] + found[j:]


def _letter_by_lines(found: list[Block]) -> tuple[list[Block], list[Block]]:
    """A letter written as paragraphs, in the first few blocks: from a "Q:" line, a lead-in
    such as "Anna writes:" or a "Reader question" heading, up to an "A:" line, "Dr Vera
    answers:" or a "My answer" heading. A "Q:" paragraph with no answer mark after it is the
    letter by itself."""
    start = next(
        (
            i
            for i, b in enumerate(found[:4])
            if _Q_LINE.match(b.text) or _asks(b.text) or _Q_HEADING.match(b.text)
        ),
        None,
    )
    if start is None:
        return [], found
    end = next(
        (
            i
            for i in range(start + 1, len(found))
            if _A_LINE.match(found[i].text)
            or _ANSWERS.match(found[i].text)
            or _A_HEADING.match(found[i].text)
        ),
        None,
    )
    if end is None:
        if not _Q_LINE.match(found[start].text):
            return [], found
        return found[start : start + 1], found[:start] + found[start + 1 :]
    first = found[end]
    marker_only = _ANSWERS.match(first.text) or _A_HEADING.match(first.text)
    rest_of_first = "" if marker_only else _A_LINE.sub("", first.text)
    kept = [Block(first.kind, rest_of_first, first.level)] if rest_of_first else []
    letter = [b for b in found[start:end] if not _Q_HEADING.match(b.text)]
    if letter and _asks(letter[0].text):  # "Anna writes:" alone, or "Anna writes: I have…"
        head = _ASKS.sub("", letter[0].text, count=1).strip()
        letter = ([Block("quote", head)] if head else []) + letter[1:]
    return letter, found[:start] + kept + found[end + 1 :]


def _asks(text: str) -> bool:
    return bool(_ASKS.match(text))


def _trim(found: list[Block]) -> list[Block]:
    """Without lead-in lines at the start and the sign-off at the end."""
    found = [b for b in found if b.text.strip()]
    while found and found[0].kind != "li" and _lead_in(found[0].text):
        found = found[1:]
    for _ in range(4):  # "Best wishes, Dr Noor", then a P.S. or the site's disclaimer
        if (
            found
            and found[-1].kind != "li"
            and (_sign_off(found[-1].text) or _AFTERWORD.match(found[-1].text))
        ):
            found = found[:-1]
    if found and _A_LINE.match(found[0].text):
        first = _A_LINE.sub("", found[0].text)
        found = ([Block(found[0].kind, first)] if first else []) + found[1:]
    return found


def _lead_in(text: str) -> bool:
    return len(text) <= 100 and (
        bool(_LEAD_IN.match(text)) or bool(re.match(r"^\W*(?:a|answer)\s*[:.]?\s*$", text, re.I))
    )


def _sign_off(text: str) -> bool:
    """A short closing: at most two short lines, nothing asked or explained."""
    lines = text.split("\n")
    if len(text) > 80 or len(lines) > 3 or "?" in text:
        return False
    return bool(_SIGN_OFF.match(lines[0])) and len(sentences(text)) <= 3


def _tidy_question(text: str) -> str:
    text = " ".join(text.split()).strip(" \"'“”‘’")
    text = re.sub(
        r"^(?:so|and|but|also|anyway|basically|my\s+question\s+is)\s*[,:]?\s+",
        "",
        text,
        flags=re.IGNORECASE,
    )
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text
