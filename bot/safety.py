"""Red flags and small talk: decided before any matching, because an FAQ is the wrong reply to both.

A red-flag phrase is matched on normalised words; a trailing `*` matches any ending
("breath*" matches breathe, breathing). A flag with `context` fires only when one of its
context phrases is in the message as well (vision changes *after filler*).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.schema import RedFlag
from bot.text import normalise


def _phrase_pattern(phrase: str) -> str:
    wildcard = phrase.strip().endswith("*")
    words = normalise(phrase.rstrip("*")).split()
    if not words:
        return r"(?!x)x"
    body = r"\s+".join(re.escape(w) for w in words)
    return rf"\b{body}\w*" if wildcard else rf"\b{body}\b"


def _compile(phrases: Sequence[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    return re.compile("|".join(_phrase_pattern(p) for p in phrases))


class SafetyCheck:
    def __init__(self, red_flags: Sequence[RedFlag]) -> None:
        self._flags = [(flag, _compile(flag.phrases), _compile(flag.context)) for flag in red_flags]

    def red_flag(self, text: str) -> RedFlag | None:
        norm = normalise(text)
        for flag, phrases, context in self._flags:
            if (phrases is not None and phrases.search(norm)) and (
                context is None or context.search(norm)
            ):
                return flag
        return None


_SMALLTALK: dict[str, frozenset[str]] = {
    "greeting": frozenset(
        """
            hi hello hey hiya heya howdy yo greetings morning afternoon evening good gm
            hallo hola there everyone all doc doctor dr bot
            """.split()
    ),
    "thanks": frozenset(
        """
            thanks thank thx ty tysm cheers appreciate appreciated it so much very lot a you
            many great helpful that was is this really super awesome amazing perfect
            brilliant lovely wonderful for your the answer answers help info reply
            """.split()
    ),
    "bye": frozenset(
        """
            bye goodbye byebye cya see ya later night goodnight take care
                for now have a nice good day you soon
        """.split()
    ),
    "ack": frozenset(
        """
            ok okay k kk cool nice great got it alright sure yes yeah yep fine good noted
            understood sounds makes sense lol haha wow oh ah i see
            """.split()
    ),
}
_KIND_TRIGGERS = {
    "thanks": {"thanks", "thank", "thx", "ty", "tysm", "cheers", "appreciate", "appreciated"},
    "bye": {"bye", "goodbye", "byebye", "cya", "goodnight", "later", "care", "night", "see", "day"},
    "greeting": {
        "hi",
        "hello",
        "hey",
        "hiya",
        "heya",
        "howdy",
        "yo",
        "greetings",
        "morning",
        "afternoon",
        "evening",
        "gm",
        "hallo",
        "hola",
    },
}
_ALL_SMALLTALK = frozenset().union(*_SMALLTALK.values())


def smalltalk_kind(text: str) -> str | None:
    """'greeting' / 'thanks' / 'bye' / 'ack' for a message that is only that, else None."""
    norm = normalise(text)
    if "?" in text and len(norm.split()) > 3:
        return None
    tokens = norm.split()
    if not tokens:
        # emoji or punctuation only: a friendly nod, nothing to answer
        return "ack" if text.strip() and len(text.strip()) <= 12 else None
    if len(tokens) > 8 or any(t not in _ALL_SMALLTALK for t in tokens):
        return None
    for kind in ("thanks", "bye", "greeting"):
        if _KIND_TRIGGERS[kind] & set(tokens):
            return kind
    return "ack"
