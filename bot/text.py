"""Text normalisation shared by matching and safety: one place decides what a 'word' is."""

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
