"""Small talk: a message that is only a greeting, thanks, goodbye or a nod gets a friendly
reply instead of an FAQ."""

from __future__ import annotations

from bot.understanding.text import normalise

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
