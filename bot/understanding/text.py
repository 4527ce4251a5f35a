"""Text normalisation shared by matching, safety and the review: one place decides what a
'word' is."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_URL = re.compile(r"https?://\S+|www\.\S+")
_NON_WORD = re.compile(r"[^\w]+")
_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+|(?<=[.!?…])(?=[A-Z])|\s+[-–—]\s+|;\s*")


def clean(text: str) -> str:
    """Strip control and invisible characters; keep the reader's words and line breaks."""
    text = unicodedata.normalize("NFKC", text)
    return _CONTROL.sub("", text).strip()


def normalise(text: str) -> str:
    """Lowercase words separated by single spaces: no punctuation, apostrophes or URLs."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    text = _URL.sub(" ", text)
    text = text.replace("'", "")
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """Split a message into sentence-like pieces (a long message is scored piece by piece too)."""
    parts = [p.strip() for p in _SENTENCE.split(text)]
    return [p for p in parts if p and any(ch.isalnum() for ch in p)]


def stem(word: str) -> str:
    """A deliberately small stemmer: plural and common verb endings, same on both sides."""
    w = word
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith("sses"):
        return w[:-2]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 5 and w.endswith("ed"):
        w = w[:-2]
    elif len(w) > 6 and w.endswith(("tion", "sion")):
        w = w[:-3]
    elif len(w) > 5 and w.endswith("ly"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w


# Words that say nothing about what a question is about: greetings, fillers, pronouns, time
# words... What is left are a question's telling words (`content_words`, which groups the
# doctor's queue). The matcher drops them too, and their stems, but keeps a few as terms
# (bot/understanding/analysis.py).
STOP_WORDS = frozenset(
    """
    a about above actually advance after again against age aged ago all already also
    although always am an and any anybody anyone anything anyway appreciate appreciated are
    arent as ask asked asking at basically be because been before being below best between
    bit blog both bother boyfriend but by came can cant cheers come could couldnt dad
    daughter day days dear did didnt do doc doctor does doesnt doing dont down dr during
    each even ever everybody everyone everything fan fast feel feeling few first follow
    following for friend friends from further gave get gets getting girlfriend give go goes
    going gone got guess had hadnt haha has hasnt have havent having he hear heard hed hello
    help her here heres hers herself hes hey hi him himself his hiya holiday hope hoping how
    however hows husband i id if ill im in into is isnt it its itself ive job just keep kept
    kick kicks kind knew know last last-time lasting lasts lately let lets like literally
    little lol long long-time longtime look looking looks lot lots love made make makes many
    may maybe me might mom month months more most mother much mum must my myself never new
    next no nope nor not now of off often ok okay old omg on once one only or other ought
    our ours ourselves out over own page party peak people person please pls plz post pretty
    probably put question questions quick quickly quite r read reader reading really
    recently regards said same saw say says second see seem seemed seems seen shall shant
    she shed shes should shouldnt since sister site so some somebody someone something
    sometimes son soon sorry sort start started starting still stop stopped stuff such sure
    take taken tell telling than thank thanks that thats the their theirs them themselves
    then there theres these they theyd theyll theyre theyve thing things think this those
    though thought three through thx till time times to today told too took tried try trying
    two ty u under until up ur use used using usually vacation very want wanted wanting was
    wasnt way we wed wedding week weeks well went were werent weve what whats when whens
    where wheres which while who whom whos why whys wife will wishes with wonder wondered
    wondering wont work would wouldnt x xo xx ya yeah year years yep yes yesterday you youd
    youll your youre yours yourself yourselves youve
    """.split()
)


def content_words(norm: str) -> set[str]:
    """The telling words of a normalised text (all of its words when none is telling)."""
    words = set(norm.split())
    return (words - STOP_WORDS) or words
