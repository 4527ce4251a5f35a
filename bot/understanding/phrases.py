"""The phrase syntax of knowledge/safety.yaml (signs, context, ignore and cues), compiled to
regular expressions, and `Phrases`: many phrases indexed by the words they can start with.

Words match whole words of the normalised
message (lowercase, no punctuation: "can't" is "cant"); `word*` matches any ending; `a|b|c`
is one word out of several (for several words, use a term); `{name}` is any entry of the
`terms` list `name`; `...` allows up to four other words in between ("is ... white" matches
"is a bit white").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from bot.understanding.text import normalise

GAP_WORDS = 4
_GAP = rf"(\s+(?:\w+\s+){{0,{GAP_WORDS}}})"  # captured: a negation may hide in it
_TERM = re.compile(r"^\{([A-Za-z0-9_]+)\}$")


class PhraseError(ValueError):
    pass


def _word(alt: str) -> str:
    star = alt.endswith("*")
    core = alt[:-1] if star else alt
    if "*" in core:
        raise PhraseError(f"'*' may only end a word: {alt!r}")
    words = normalise(core).split()
    if not words:
        raise PhraseError(f"an empty word in {alt!r}" if alt else "an empty word")
    body = r"\s+".join(re.escape(w) for w in words)
    return body + r"\w*" if star else body


def _slot(token: str, terms: Mapping[str, Sequence[str]], *, term: bool) -> str:
    """One word of a phrase: `word`, `word*`, `{term}`, or several of these joined by `|`."""
    alternatives = []
    for alt in token.split("|"):
        found = _TERM.match(alt)
        if found:
            if term:
                raise PhraseError(f"a term cannot use another term: {alt!r}")
            name = found.group(1)
            if name not in terms:
                known = ", ".join(sorted(terms)) or "none defined"
                raise PhraseError(f"unknown term {alt!r} (terms: {known})")
            if not terms[name]:
                raise PhraseError(f"term {alt!r} is empty")
            alternatives += [_term_entry(entry) for entry in terms[name]]
        elif "{" in alt or "}" in alt:
            raise PhraseError(f"write a term as {{name}}: {alt!r}")
        else:
            alternatives.append(_word(alt))
    return "(?:" + "|".join(alternatives) + ")"


def _term_entry(entry: str) -> str:
    return _phrase_body(entry, {}, term=True)


def _phrase_body(phrase: str, terms: Mapping[str, Sequence[str]], *, term: bool) -> str:
    tokens = phrase.split()
    if not tokens:
        raise PhraseError("an empty phrase")
    if tokens[0] == "..." or tokens[-1] == "...":
        raise PhraseError("'...' goes between two words, not at an end")
    parts: list[str] = []
    gap = False
    for token in tokens:
        if token == "...":
            if term:
                raise PhraseError("'...' cannot be used in a term")
            if gap:
                raise PhraseError("two '...' in a row")
            gap = True
            continue
        if parts:
            parts.append(_GAP if gap else r"\s+")
        parts.append(_slot(token, terms, term=term))
        gap = False
    return "".join(parts)


def phrase_regex(phrase: str, terms: Mapping[str, Sequence[str]]) -> str:
    """The regular expression for one phrase (raises PhraseError with a readable reason)."""
    return rf"\b{_phrase_body(phrase, terms, term=False)}\b"


def phrase_error(
    phrase: str, terms: Mapping[str, Sequence[str]], *, term: bool = False
) -> str | None:
    """Why a phrase (or, with term=True, an entry of `terms`) cannot be used, or None."""
    try:
        body = _phrase_body(phrase, terms, term=term)
        re.compile(body)
    except PhraseError as exc:
        return str(exc)
    except re.error as exc:  # (cannot happen with escaped words; kept as a last guard)
        return f"cannot be compiled: {exc}"
    return None


def _first_words(token: str, terms: Mapping[str, Sequence[str]]) -> list[tuple[str, bool]]:
    """The words a phrase whose first token is `token` can start with: (word, is a prefix)."""
    found: list[tuple[str, bool]] = []
    for alt in token.split("|"):
        term = _TERM.match(alt)
        if term:
            for entry in terms[term.group(1)]:
                found += _first_words(entry.split()[0], {})
            continue
        star = alt.endswith("*")
        words = normalise(alt.rstrip("*")).split()
        found.append((words[0], star and len(words) == 1))
    return found


class Phrases:
    """Phrases compiled one by one and indexed by the words a match can start with, so a
    message is read word by word and a phrase's pattern is tried only where it can start
    (one alternation of hundreds of phrases, tried at every character, costs ten times more).
    Each phrase carries a tag (the flag it belongs to). Texts must be normalised."""

    __slots__ = ("_cache", "_exact", "_lengths", "_prefix")
    CACHE = 50_000  # words remembered with their patterns (readers' vocabulary is small)

    def __init__(
        self, phrases: Sequence[tuple[str, int]], terms: Mapping[str, Sequence[str]]
    ) -> None:
        exact: dict[str, list[tuple[re.Pattern[str], int]]] = {}
        prefix: dict[str, list[tuple[re.Pattern[str], int]]] = {}
        for phrase, tag in phrases:
            pattern = re.compile(phrase_regex(phrase, terms))
            for word, is_prefix in _first_words(phrase.split()[0], terms):
                (prefix if is_prefix else exact).setdefault(word, []).append((pattern, tag))
        self._exact = {w: tuple(dict.fromkeys(ps)) for w, ps in exact.items()}
        self._prefix = {w: tuple(dict.fromkeys(ps)) for w, ps in prefix.items()}
        self._lengths = sorted({len(w) for w in prefix})
        self._cache: dict[str, tuple[tuple[re.Pattern[str], int], ...]] = {}

    def _patterns(self, word: str) -> tuple[tuple[re.Pattern[str], int], ...]:
        patterns = self._exact.get(word, ())
        for length in self._lengths:
            if length > len(word):
                break
            more = self._prefix.get(word[:length])
            if more:
                patterns = (*patterns, *more)
        if len(self._cache) >= self.CACHE:
            self._cache.clear()
        self._cache[word] = patterns
        return patterns

    def finditer(self, text: str) -> Iterator[tuple[re.Match[str], int]]:
        """Every match and its tag, at every word where one starts (overlaps included)."""
        pos = 0
        cache = self._cache
        for word in text.split(" "):
            patterns = cache.get(word)
            if patterns is None:
                patterns = self._patterns(word)
            for pattern, tag in patterns:
                found = pattern.match(text, pos)
                if found:
                    yield found, tag
            pos += len(word) + 1

    def search(self, text: str) -> bool:
        return next(self.finditer(text), None) is not None

    def overlaps(self, text: str, span: tuple[int, int]) -> bool:
        """A match in `text` overlaps `span`."""
        a, b = span
        return any(m.start() < b and a < m.end() for m, _ in self.finditer(text))


def compile_any(
    phrases: Sequence[str], terms: Mapping[str, Sequence[str]]
) -> re.Pattern[str] | None:
    """One pattern matching any of the phrases (None for none): a list of cues."""
    if not phrases:
        return None
    return re.compile("|".join(f"(?:{phrase_regex(p, terms)})" for p in phrases))
