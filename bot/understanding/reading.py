"""Read a real reader's message before matching it: what is the question, and what is chatter?

Real messages are a site title then a body, a long story with the question buried, a greeting
and a signature, "(photo)" mentions, several questions at once, or another language. This turns
one into a `Reading`: the title, the question sentences, the story, and flags the reply needs.
Pure text work, no knowledge: the matcher decides what the pieces mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.text import normalise, sentences

_OPENING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|hiya|dear|good\s+(?:morning|afternoon|evening)|greetings)\b"
    r"(?:\s+(?:dr|doctor|mr|mrs|ms|miss|prof)\b\.?)?"
    r"[^.!?,:\n]{0,40}?[,.!:\n]+|(?:q|question|query)\s*[:.)-]\s*)",
    re.IGNORECASE,
)
# Whole sentences that carry no question: thanks, praise for the blog, sign-offs.
_CHATTER = re.compile(
    r"^(?:thanks?|thank\s+you|many\s+thanks|thx|cheers|regards|best|kind\s+regards|"
    r"warm\s+regards|sincerely|love|xx+|i\s+look\s+forward|looking\s+forward|any\s+help|"
    r"please\s+help|help\s*!|i(?:'|’)?ve\s+been\s+(?:following|reading)|i\s+love\s+your|"
    r"long[- ]time\s+reader|first\s+time\s+(?:poster|writing)|sorry\s+for|"
    r"hope\s+you\s+can|hoping\s+you\s+can|appreciate)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:how|what|whats|what's|which|why|when|where|who|is|are|am|can|could|should|shall|"
    r"would|will|do|does|did|has|have|any|anyone|i\s+(?:want|would\s+like|need)\s+to\s+know|"
    r"i(?:'|’)?m\s+wondering|i\s+am\s+wondering|i\s+was\s+wondering|i\s+wonder|wondering|"
    r"please\s+(?:advise|tell|let)|advice|recommend|suggestions?)\b",
    re.IGNORECASE,
)
_PHOTO = re.compile(
    r"\(\s*photos?\s*\)|\b(?:photos?|pictures?|pics?|images?)\s+(?:attached|included|below|above)\b|"
    r"\b(?:attached|see)\s+(?:a\s+|the\s+|my\s+)?(?:photos?|pictures?|pics?|images?)\b",
    re.IGNORECASE,
)
# Common English function words: a message with almost none of them is in another language.
_ENGLISH = frozenset(
    """
    the a an and or but is are was were be been am i you my me we it this that to of in on
    for with at by from as have has had do does did not no can will would should could what
    how why when which who your our there their they she he her his so if about after
    """.split()
)
# A short question that only points back at what was said before ("is it true?", "is that
# normal?", "what about the other one?", "should I be worried?") asks about the sentence before
# it: it is not a question of its own, and never reaches the doctor alone.
_BACK_WORDS = frozenset(
    """it its it's that that's this these those they them so true normal ok okay right real
    possible common safe bad serious dangerous worth other one ones the a an is are was were
    do does did can could should would will be about what how why really also then or and
    i me my am worried concerned fine too much there something wrong""".split()
)
_POINTERS = frozenset("it its it's that that's this these those they them so other".split())
BACK_MAX_WORDS = 7
_SIGNATURE = re.compile(r"^[\W_]*[A-Z][\w.'’-]*(?:[ ,]+[A-Z][\w.'’-]*){0,3}[\W_]*$")


@dataclass(frozen=True, slots=True)
class Reading:
    text: str  # the message without greeting, sign-off and signature
    title: str | None  # a first line that stands apart from the body (a site's title)
    questions: tuple[str, ...]  # the question sentences, in order (the title first if any)
    photo: bool  # the reader mentions a photo the bot cannot see
    foreign: bool  # not written in English

    @property
    def focus(self) -> str:
        """The words that ask: title and question sentences, else the whole message."""
        return " ".join(self.questions) or self.text


def read(message: str) -> Reading:
    lines = [line.strip() for line in message.strip().splitlines()]
    title = _title(lines)
    body_lines = lines[1:] if title else lines
    body_lines = _drop_signature(body_lines)
    body = "\n".join(body_lines).strip()
    body = _OPENING.sub("", body, count=1).strip() if body else body
    pieces = [p for p in sentences(body) if not _CHATTER.match(p)]
    last = pieces[-1] if pieces else ""
    if (
        len(pieces) > 1
        and _SIGNATURE.match(last)
        and len(last.split()) <= 3
        and last[-1] not in "?."
    ):
        pieces = pieces[:-1]  # "… Thanks again! Jessica" on one line
    questions = _questions(pieces)
    if title:
        title = _OPENING.sub("", title, count=1).strip() or None
    parts = ([title] if title else []) + pieces
    text = "\n".join(parts) or message.strip()
    return Reading(
        text=text,
        title=title,
        questions=tuple(([title] if title else []) + questions),
        photo=bool(_PHOTO.search(message)),
        foreign=_foreign(message),
    )


def _title(lines: list[str]) -> str | None:
    """A short first line, then a blank line or a body that starts afresh: a post's title."""
    if len(lines) < 3 or not lines[0] or len(lines[0]) > 160:
        return None
    rest = [line for line in lines[1:] if line]
    if not rest or sum(len(line) for line in rest) < 40:
        return None
    first = lines[0]
    stands_apart = lines[1] == "" or first.endswith("?") or first.istitle()
    if not stands_apart or first.endswith((",", ":", ";")) or _OPENING.fullmatch(first + "\n"):
        return None
    if _CHATTER.match(first):
        return None
    return first


def _drop_signature(lines: list[str]) -> list[str]:
    """ "Tom, Colchester" or "Jessica" alone on the last line is a signature, not a question."""
    while lines and not lines[-1]:
        lines = lines[:-1]
    if len(lines) > 1 and len(lines[-1]) <= 40 and _SIGNATURE.match(lines[-1]):
        return lines[:-1]
    return lines


def _questions(pieces: list[str]) -> list[str]:
    """The question sentences; one that refers back joins the sentence before it ("I read
    that Latisse darkens the lids. Is it true?" is one question)."""
    questions: list[str] = []
    for i, piece in enumerate(pieces):
        if not is_question(piece):
            continue
        if refers_back(piece) and i > 0:
            before = pieces[i - 1]
            if questions and questions[-1] == before:
                questions.pop()
            questions.append(f"{before} {piece}")
        else:
            questions.append(piece)
    return questions


def refers_back(sentence: str) -> bool:
    """A short question made only of words that point back ("is it true?", "is that
    normal?", "what about the other one?"): it means nothing without the sentence before."""
    words = normalise(sentence).replace("’", "'").split()
    return (
        0 < len(words) <= BACK_MAX_WORDS
        and all(w in _BACK_WORDS for w in words)
        and any(w in _POINTERS for w in words)
    )


def is_question(sentence: str) -> bool:
    """A sentence that asks: a question mark, or it starts the way questions do."""
    return "?" in sentence or bool(_QUESTION_START.match(sentence))


def _foreign(message: str) -> bool:
    words = list(dict.fromkeys(normalise(message).split()))  # distinct: "blah blah" is one word
    if len(words) < 3:
        return False
    letters = [ch for ch in message if ch.isalpha()]
    non_latin = sum(not ch.isascii() for ch in letters) / max(len(letters), 1)
    english = sum(w in _ENGLISH for w in words) / len(words)
    if non_latin > 0.5:
        return True
    # accented Latin letters with few English words (Spanish, Polish, Turkish…), or a longer
    # message with next to none
    return english < 0.1 and (non_latin > 0.02 or len(words) >= 8)
