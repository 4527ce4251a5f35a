"""From text to terms: the same steps for the knowledge and for readers' messages.

Readers write long, chatty, misspelt messages; entries are short questions. So a text is
reduced to its telling terms: stop words dropped (`bot.understanding.text.STOP_WORDS`, the one list the
review's grouping uses too), synonyms and brand names mapped to one term, typos corrected
against the knowledge's own vocabulary, light stemming. `question_kinds` says which kinds of
question (cost, duration, onset, difference) a text asks. The matcher (bot/understanding/matching.py)
weighs and scores the terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.understanding.text import STOP_WORDS, normalise, stem

# Kept as terms although they look like stop words: they carry the question's meaning.
_KEEP = frozenset({"safe", "work", "pregnant", "better", "difference", "why"})
_STOP_STEMS = frozenset(stem(w) for w in STOP_WORDS) | STOP_WORDS


def _is_stop(token: str) -> bool:
    return token in _STOP_STEMS and token not in _KEEP


# A message asks one of these kinds of question; an entry answers only the kinds its question
# and alternates ask. A kind in the message that the entry never asks vetoes an answer.
QUESTION_KINDS: dict[str, re.Pattern[str]] = {
    "cost": re.compile(
        r"\b(cost|costs|price|prices|pricing|expensive|cheap|cheaper|afford|insurance|"
        r"how much (is|does|do|would|will|for|money)|dollars?|pounds?|euros?)\b"
    ),
    "duration": re.compile(
        r"\b(how long|last|lasts|lasting|wear off|wears off|permanent|permanently|forever|"
        r"duration|until|till)\b"
    ),
    "onset": re.compile(
        r"\b(how soon|how quickly|how fast|start(s|ed)? (to )?work\w*|kick(s)? in|take(s)? effect|"
        r"how long( \w+){0,3} takes?|"
        r"when (will|does|do|can|should) (i|it|you) (see|notice)|see (the )?results|"
        r"(full|peak|maximum|max) effect|before (it|botox|\w+) work\w*|work\w* yet|kicked in)\b"
    ),
    "difference": re.compile(
        r"\b(difference|different|differ|vs|versus|compare|compared|comparison|better than|"
        r"which is better|which one|instead of|same as|same thing)\b"
    ),
}


class Analyzer:
    """Turns text into terms: the same steps for the knowledge and for readers' messages.

    Words are stemmed first; synonym phrases are matched on the full word sequence (so "work
    out" is exercise but "start working" is not); then stop words go and typos are corrected.
    """

    def __init__(self, synonyms: dict[str, list[str]]) -> None:
        self._phrases: dict[tuple[str, ...], str] = {}
        for canonical, variants in synonyms.items():
            target = " ".join(self._content(self._stems(canonical))) or canonical
            for phrase in [canonical, *variants]:
                key = tuple(self._stems(phrase))
                if key:
                    self._phrases[key] = target
        self._max_phrase = max((len(k) for k in self._phrases), default=1)
        self._phrase_words = {w for key in self._phrases for w in key}
        self.vocabulary: set[str] = set()
        self._vocab_list: list[str] = []
        self._corrections: dict[str, str | None] = {}

    @staticmethod
    def _stems(text: str) -> list[str]:
        return [stem(w) for w in normalise(text).split()]

    @staticmethod
    def _content(tokens: list[str]) -> list[str]:
        return [t for t in tokens if not _is_stop(t)]

    def set_vocabulary(self, vocabulary: Iterable[str]) -> None:
        self.vocabulary = set(vocabulary) | self._phrase_words
        self._vocab_list = sorted(t for t in self.vocabulary if " " not in t and len(t) >= 4)
        self._corrections.clear()

    def _correct(self, token: str) -> str:
        """Map a misspelt word to the knowledge's vocabulary ('botax' -> 'botox').

        Strict on purpose: one edit for words up to six letters (and for five letters or less
        only a swapped letter, or "beard" would become "bead"), two for longer ones; the first
        letter must agree, which readers rarely get wrong.
        """
        if token in self.vocabulary or len(token) < 5 or not token.isalpha() or _is_stop(token):
            return token
        cached = self._corrections.get(token, "")
        if cached != "":
            return cached or token
        best = None
        if len(self._corrections) < 100_000:
            max_edits = 1 if len(token) <= 6 else 2
            found = process.extract(
                token, self._vocab_list, scorer=OSA.distance, score_cutoff=max_edits, limit=5
            )
            for word, _, _ in sorted(found, key=lambda f: f[1]):
                if word[0] == token[0] and (len(token) > 5 or len(word) == len(token)):
                    best = word
                    break
            self._corrections[token] = best
        return best or token

    def terms(self, text: str, *, correct: bool = True) -> list[str]:
        tokens = self._stems(text)
        if correct:
            tokens = [self._correct(t) for t in tokens]
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._max_phrase, len(tokens) - i), 0, -1):
                key = tuple(tokens[i : i + size])
                if key in self._phrases:
                    out.append(self._phrases[key])
                    i += size
                    break
            else:
                token = tokens[i]
                if not _is_stop(token) and not token.isdigit():
                    out.append(token)
                i += 1
        return out


def question_kinds(text: str) -> frozenset[str]:
    norm = normalise(text)
    kinds = {kind for kind, pattern in QUESTION_KINDS.items() if pattern.search(norm)}
    if "onset" in kinds:
        kinds.discard("duration")  # "how long does it take to work" asks when, not how long
    return frozenset(kinds)
