"""Red flags: decided before any matching, because an FAQ is the wrong reply to an emergency.

Triage reads like a clinician (design.md §5): a *sign* described as happening to the writer
now is urgent; the same words in a general question, a negated sign, an episode that is over
or already being treated, or a long-known stable state are not. The words live in
knowledge/safety.yaml (knowledge/README.md explains them); the mechanism is here:

1. split the message into sentences, each sentence into segments at `breaks` ("but",
   "however"), and each segment into clauses at a comma or "and" before one of the
   `subjects` ("no pain, my lip is white" is two clauses);
2. find every flag's signs (`phrases`) in each clause; a flag with `context` counts only when
   the message mentions one as something that happened (not after a `planned` cue: "is it ok
   to get botox next week?"); a sign overlapped by one of the flag's `ignore` is skipped;
3. a sign counts unless one of the flag's `calm_when` reasons holds for it:
   - negated: a `negation` cue before it in its clause ("no fever", "not painful"), unless a
     `scope_ends` word comes between ("I don't know why my lip is white"), or one inside
     the sign's `...` ("the redness is not spreading");
   - question: a `question` cue before it in its clause or earlier in its segment (a general
     question, a fear, a risk read about, a procedure only planned), not overlapped by a
     `not_question` ("as if"), and no `current` cue in its clause ("since", "today", "I'm
     having");
   - resolved: a `resolved` cue in its clause, in the next clause when that one points back
     ("… but it went away"), or in another clause where the same sign is over ("the pus
     is no longer present");
   - long_standing: a `long_standing` cue in its clause ("for 8 weeks", "for years"), and no
     `recent` cue in its sentence ("had botox 3 days ago and I'm seeing double in the
     evenings" is new, whatever the evenings say);
   - treated: a `treated` cue anywhere in the message ("my surgeon is treating it");
   - not_recent (only for the flags that list it): a `long_ago` cue anywhere ("filler a
     month ago") and no `recent` one ("today", "suddenly");
   `still` cues in the sign's clause ("still", "again") cancel resolved, long_standing and
   treated; `failing` cues ("getting worse", "not working") cancel resolved and
   long_standing in the sign's clause, and treated anywhere in the message.
The first flag (in file order) with a sign that counts is the answer (`red_flag`); `signs` lists
the signs found with the reason that calms each (for tests and experiments). Phrases are compiled once and indexed
by the words they can start with, so a message is read word by word and costs well under a
millisecond (bench/bench_safety.py).

The phrase syntax (signs, context, ignore and cues) is in bot/understanding/phrases.py; small talk, the
other message decided before matching, in bot/understanding/smalltalk.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from bot.knowledge.schema import Cues, RedFlag
from bot.understanding.phrases import Phrases, compile_any, phrase_regex
from bot.understanding.text import normalise, sentences, stem

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
# words too common to say what a sign is about (for "the pus is gone" resolving "pus draining")
_TOPIC_STOP = frozenset(
    """have has had been went gone turned turning getting got really very bit kind feel
    feels felt look looks looking seem seems that this with from and the are was were its
    into trouble hard difficulty difficult cant cannot not unable able some like more much
    make made just also""".split()
)
# a clause that starts with one of these is about the clause before ("… but it went away")
_BACK_REFERENCE = frozenset("it its that this which they those these both all everything".split())

_URL = re.compile(r"https?://\S+|www\.\S+")
_NON_WORD = re.compile(r"[^\w]+")


def _prepare(text: str) -> str:
    """Casefolded, no links, apostrophes dropped, punctuation kept (clauses split on commas):
    the first half of `normalise`, done once per sentence; `_words` is the second half."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return _URL.sub(" ", text).replace("'", "")


def _words(prepared: str) -> str:
    return " ".join(_NON_WORD.sub(" ", prepared).replace("_", " ").split())


@dataclass(frozen=True, slots=True)
class Sign:
    """A sign the rules found: its flag, the words, and why it is calm (None: it counts)."""

    flag: RedFlag
    words: str
    calm: str | None


@dataclass(frozen=True, slots=True)
class _Flag:
    flag: RedFlag
    context: Phrases | None
    ignore: Phrases | None
    calm: frozenset[str]


@dataclass(slots=True)
class _Clause:
    text: str  # normalised words
    segment: int  # clauses of one segment are joined by commas or "and", not by "but"


@dataclass(slots=True)
class _Message:
    """One message, split once; the message-wide facts are worked out only when needed."""

    sentences: list[list[_Clause]]
    flat: list[_Clause]
    treated: bool | None = None
    not_recent: bool | None = None
    resolved: dict[str, list[frozenset[str]]] = field(default_factory=dict)


class SafetyCheck:
    """`SafetyCheck(knowledge.red_flags).red_flag(text)`: the first red flag whose sign the
    message describes as happening now, or None. `terms` and `cues` default to those that
    `knowledge.red_flags` carries from safety.yaml (none for a plain list of flags)."""

    def __init__(
        self,
        red_flags: Sequence[RedFlag],
        *,
        terms: Mapping[str, Sequence[str]] | None = None,
        cues: Cues | None = None,
    ) -> None:
        terms = terms if terms is not None else getattr(red_flags, "terms", None) or {}
        cues = cues if cues is not None else getattr(red_flags, "cues", None) or Cues()
        self._flags = [
            _Flag(
                flag=flag,
                context=Phrases([(p, 0) for p in flag.context], terms) if flag.context else None,
                ignore=Phrases([(p, 0) for p in flag.ignore], terms) if flag.ignore else None,
                calm=frozenset(flag.calm_when),
            )
            for flag in red_flags
        ]
        # every flag's signs in one index, tagged with the flag's position
        self._signs = Phrases(
            [(p, n) for n, flag in enumerate(red_flags) for p in flag.phrases], terms
        )
        c = {name: compile_any(getattr(cues, name), terms) for name in Cues.model_fields}
        self._negation = c["negation"]
        self._not_negation = c["not_negation"]
        self._scope_ends = c["scope_ends"]
        self._question = c["question"]
        self._planned = c["planned"]
        self._not_question = c["not_question"]
        self._current = c["current"]
        self._resolved = c["resolved"]
        self._still = c["still"]
        self._long = c["long_standing"]
        self._treated = c["treated"]
        self._failing = c["failing"]
        self._long_ago = c["long_ago"]
        self._recent = c["recent"]
        breaks = "|".join(f"(?:{phrase_regex(p, terms)})" for p in cues.breaks)
        self._breaks = re.compile(rf"[;:()\[\]]|{breaks}" if breaks else r"[;:()\[\]]")
        subjects = "|".join(f"(?:{phrase_regex(p, terms)})" for p in cues.subjects)
        self._soft = (
            re.compile(
                rf"\s*,\s*(?=(?:and\s+|so\s+)?(?:{subjects}))|\b(?:and|so)\s+(?=(?:{subjects}))"
            )
            if subjects
            else None
        )

    # --- the pipeline ----------------------------------------------------------------------

    def red_flag(self, text: str) -> RedFlag | None:
        return next((s.flag for s in self.signs(text) if s.calm is None), None)

    def signs(self, text: str, *, every: bool = False) -> Iterator[Sign]:
        """The signs found, flag by flag in file order, each with the reason that calms it
        (None: it counts). Lazy: `red_flag` stops at the first that counts; `every=True`
        goes on after one counts (the learned check reads how each sign was said)."""
        if not self._signs.search(normalise(text)):  # most messages have no sign at all
            return
        message = self._split(text)
        found: dict[int, list[tuple[list[_Clause], int, re.Match[str]]]] = {}
        for sentence in message.sentences:
            for i, clause in enumerate(sentence):
                for sign, n in self._signs.finditer(clause.text):
                    found.setdefault(n, []).append((sentence, i, sign))
        for n in sorted(found):
            f = self._flags[n]
            if f.context is not None and not self._has_context(f.context, message):
                yield Sign(f.flag, found[n][0][2].group(), "no_context")
                continue
            for sentence, i, sign in found[n]:
                clause = sentence[i].text
                if f.ignore is not None and f.ignore.overlaps(clause, sign.span()):
                    continue
                calm = self._calm(f, sign, sentence, i, message)
                yield Sign(f.flag, sign.group(), calm)
                if calm is None and not every:
                    return

    def _split(self, text: str) -> _Message:
        """Sentences; each cut at `breaks` into segments, and at a comma or "and" before one
        of the `subjects` into clauses."""
        result: list[list[_Clause]] = []
        for sentence in sentences(text):
            clauses: list[_Clause] = []
            for n, segment in enumerate(self._breaks.split(_prepare(sentence))):
                parts = self._soft.split(segment) if self._soft is not None else [segment]
                clauses += [_Clause(t, n) for part in parts if (t := _words(part))]
            if clauses:
                result.append(clauses)
        return _Message(sentences=result, flat=[c for s in result for c in s])

    def _has_context(self, context: Phrases, message: _Message) -> bool:
        """The flag's context (a procedure, say) is mentioned as something that happened: "is
        it ok to get botox next week?" plans one (a `planned` cue before it in its segment)."""
        for sentence in message.sentences:
            for i, clause in enumerate(sentence):
                for found, _ in context.finditer(clause.text):
                    if not self._hypothetical(sentence, i, found.start(), self._planned):
                        return True
        return False

    def _calm(
        self, f: _Flag, sign: re.Match[str], sentence: list[_Clause], i: int, message: _Message
    ) -> str | None:
        """The `calm_when` reason that calms this sign, or None when it counts."""
        clause = sentence[i].text
        start = sign.start()
        if "negated" in f.calm and (
            self._negated(clause, start) or self._negated_inside(clause, sign)
        ):
            return "negated"
        if "question" in f.calm and self._hypothetical(sentence, i, start, self._question):
            return "question"
        if self._still is not None and self._still.search(clause):
            return None
        failing_here = self._affirmed(self._failing, clause, sign.span())
        if (
            "resolved" in f.calm
            and not failing_here
            and self._is_resolved(f, sign, sentence, i, message)
        ):
            return "resolved"
        if (
            "long_standing" in f.calm
            and not failing_here
            and self._affirmed(self._long, clause)
            and not self._says_recent(sentence)
        ):
            return "long_standing"
        if "not_recent" in f.calm and self._not_recent(message):
            return "not_recent"
        if "treated" in f.calm and self._is_treated(message):
            return "treated"
        return None

    # --- the context checks -----------------------------------------------------------------

    def _negated(self, clause: str, start: int) -> bool:
        """A negation cue before `start` in the clause whose reach is not ended before it."""
        if self._negation is None:
            return False
        before = clause[:start]
        skip = [
            m.span() for p in (self._not_negation, self._failing) if p for m in p.finditer(before)
        ]
        last_end = -1
        for cue in self._negation.finditer(before):
            if not any(a <= cue.start() < b for a, b in skip):
                last_end = cue.end()
        if last_end < 0:
            return False
        return self._scope_ends is None or not self._scope_ends.search(before[last_end:])

    def _negated_inside(self, clause: str, sign: re.Match[str]) -> bool:
        """A negation in a phrase's `...`: "the redness is not spreading"."""
        if self._negation is None:
            return False
        for n in range(1, (sign.re.groups or 0) + 1):
            a, b = sign.span(n)
            if a < 0 or b - a < 2:
                continue
            skip = (
                [m.span() for m in self._not_negation.finditer(clause, a, b)]
                if self._not_negation
                else []
            )
            if any(
                not any(x <= cue.start() < y for x, y in skip)
                for cue in self._negation.finditer(clause, a, b)
            ):
                return True
        return False

    def _affirmed(
        self, pattern: re.Pattern[str] | None, clause: str, outside: tuple[int, int] = (0, 0)
    ) -> bool:
        """The cue is in the clause, outside the span `outside` (the sign itself), and not
        itself negated ("not spreading" is no spreading)."""
        if pattern is None:
            return False
        a, b = outside
        return any(
            not (m.start() < b and a < m.end()) and not self._negated(clause, m.start())
            for m in pattern.finditer(clause)
        )

    def _hypothetical(
        self, sentence: list[_Clause], i: int, start: int, question: re.Pattern[str] | None
    ) -> bool:
        """A `question` cue before the sign in its segment ("what are the chances of X and
        the skin going grey"), and nothing in the sign's clause saying it is happening."""
        if question is None:
            return False
        clause = sentence[i]
        asked: list[tuple[int, int]] = []
        for j in range(i, -1, -1):
            if sentence[j].segment != clause.segment:
                break
            text = sentence[j].text
            skip = (
                [n.span() for n in self._not_question.finditer(text)] if self._not_question else []
            )
            for m in question.finditer(text):
                if any(a <= m.start() < b for a, b in skip):
                    continue
                if j < i or m.start() < start:
                    asked.append(m.span() if j == i else (-1, -1))
        if not asked:
            return False
        if self._current is None:
            return True
        return all(
            any(a <= m.start() < b for a, b in asked) for m in self._current.finditer(clause.text)
        )

    def _is_resolved(
        self, f: _Flag, sign: re.Match[str], sentence: list[_Clause], i: int, message: _Message
    ) -> bool:
        if self._resolved is None:
            return False
        if self._affirmed(self._resolved, sentence[i].text, sign.span()):
            return True
        following = self._next_clause(sentence, i, message)
        if (
            following is not None
            and following.split(" ", 1)[0] in _BACK_REFERENCE
            and self._affirmed(self._resolved, following)
            and not (self._still and self._still.search(following))
        ):
            return True
        # elsewhere, the same sign said to be over: "The pus is no longer present."
        topic = _topic(sign.group())
        if not topic:
            return False
        if f.flag.id not in message.resolved:
            message.resolved[f.flag.id] = [
                _topic(other.group())
                for clause in message.flat
                if self._affirmed(self._resolved, clause.text)
                and not (self._still and self._still.search(clause.text))
                for other, n in self._signs.finditer(clause.text)
                if self._flags[n] is f
            ]
        return any(topic & words for words in message.resolved[f.flag.id])

    @staticmethod
    def _next_clause(sentence: list[_Clause], i: int, message: _Message) -> str | None:
        """The clause after clause i: in the same sentence, or the next sentence's first."""
        if i + 1 < len(sentence):
            return sentence[i + 1].text
        for n, other in enumerate(message.sentences[:-1]):
            if other is sentence:
                return message.sentences[n + 1][0].text
        return None

    def _not_recent(self, message: _Message) -> bool:
        """The message dates the procedure weeks or months back and nothing in it is recent."""
        if message.not_recent is None:
            message.not_recent = any(
                self._affirmed(self._long_ago, c.text) for c in message.flat
            ) and not self._says_recent(message.flat)
        return message.not_recent

    def _says_recent(self, clauses: list[_Clause]) -> bool:
        """A `recent` cue ("today", "days ago", "suddenly") in any of the clauses."""
        return self._recent is not None and any(self._recent.search(c.text) for c in clauses)

    def _is_treated(self, message: _Message) -> bool:
        if message.treated is None:
            message.treated = any(
                self._affirmed(self._treated, c.text) for c in message.flat
            ) and not any(self._affirmed(self._failing, c.text) for c in message.flat)
        return message.treated


def _topic(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in text.split() if len(w) >= 3 and w not in _TOPIC_STOP)
