"""Follow-ups in context: "and for lips?" right after the Botox-duration answer asks about lips
*and* Botox duration, not about lips alone.

A step before the decision, kept apart from it: it decides whether a message is a follow-up (a
short message within bot.yaml's `followup_window` after an answer, that does not stand on its
own: at most four words, or it starts with "and", "what about", "also", "is that", "does
it"… (after an "ok thanks"), or it points back with "it", "that", "them", "then"; or,
nothing in the knowledge close to it alone, its words are the last answer's or it only asks
a kind of question: "how long until I see anything?"), and if so builds the text the
decision reads — the follow-up, then the last question. The same calibrated decision
(`Snapshot.decide`) decides on that text; what it finds is never answered outright:

- an entry found only by reading both messages is offered as "I think you're asking: …"
  (one tap): the reader sees how the bot read them, and a reading of two messages never
  gives an answer nobody asked for;
- that entry must name the follow-up's own words in its own phrasings, and the previous
  entry again must be asked something new ("how about Jeuveau?" is, to the knowledge, the
  same Botox again), else it is one of the "did you mean" choices;
- the message read alone still answers when that answer agrees with the reading in context
  (a new question about IPL after a rosacea answer is about IPL; in the words-only mode the
  reading in context must answer it too, not only list it);
- when neither reading answers, the places left among the choices go to the entries that
  name the follow-up's new words (its new kind of question too; the previous answer's
  `related` ones first) and to the previous entry: the previous question's words outweigh a
  short follow-up's; the entry the new words name first always gets a place;
- when nothing is close, the follow-up goes to the doctor *with* the previous question.

Safety reads the message alone, then with the last question: "and now it's turning white?"
after a lip-filler answer is urgent. Small talk reads it alone. Nothing here writes: the
service remembers the last answer per chat (bot/storage/conversation.py) and queues with the
context.
Measured on tests/data/followup_cases.yaml and followup_cases2.yaml (bench/bench_followups.py;
README).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from bot.knowledge.schema import RedFlag
from bot.models import Decision, Entry, Outcome, Scored
from bot.understanding.analysis import question_kinds
from bot.understanding.decision import decide, without_tuned
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import clean, normalise

SHORT = 4  # a message of at most this many words has no subject of its own to stand on
MAX_WORDS = 12  # longer messages carry their own subject: read alone
DEFAULT_WINDOW = dt.timedelta(minutes=10)

# Openings that lean on what came before (matched on the normalised message).
_CUES = re.compile(
    r"^(?:(?:ok|okay|ok thx|ok thanks|thx|thanks|thank you|cool|great|got it|i see|right|"
    r"hmm|oh|ah) )?(?:and|also|plus|but|or|so|then|what about|how about|what if|same for|same with|"
    r"same goes for|is that|is it|are they|does it|does that|do they|will it|would it|"
    r"can it|could it|did it|is this|and if|even|ok and|okay and|and what about)\b"
)
# Words that point back instead of naming a subject.
_POINTERS = frozenset(
    "it its it's that this these those they them their there one ones same then between either"
    " instead".split()
)


@dataclass(frozen=True, slots=True)
class Turn:
    """What the chat was last answered: the question (as the decision should read it) and
    the entry that answered it."""

    question: str
    entry: Entry


@dataclass(frozen=True, slots=True)
class Reading:
    """How a message was read: the decision, the red flag if any, and the previous question
    it was read with (None: read alone)."""

    decision: Decision
    flag: RedFlag | None
    context: str | None = None  # the previous question, when read as a follow-up
    text: str = ""  # what the decision read


def looks_like_followup(text: str) -> bool:
    """A short message that leans on the one before: a cue at its start, or a pointer word
    ("it", "that", "them") and nothing else to name what it is about."""
    norm = normalise(text)
    words = norm.split()
    if not words or len(words) > MAX_WORDS:
        return False
    if _CUES.match(norm):
        return True
    if len(words) <= SHORT:
        return True
    return bool(_POINTERS & set(words))


def contextual_text(text: str, previous: str) -> str:
    """The follow-up with the previous question after it: the decision reads both, the
    follow-up's own words first."""
    return f"{clean(text).rstrip()} {clean(previous)}"


def read_in_context(snapshot: Snapshot, text: str, last: Turn | None) -> Reading:
    """Decide a message, reading it with the last answer when it is a follow-up."""
    text = clean(text)
    judged = snapshot.judge(text)
    alone, flag = judged.decision, judged.flag
    if last is None or alone.outcome in (Outcome.URGENT, Outcome.SMALLTALK):
        return Reading(alone, flag, text=text)
    if len(normalise(text).split()) <= MAX_WORDS:
        alone = _alone_without_tuned(snapshot, text, alone, judged.vectors)
    if not looks_like_followup(text) and not _leans_back(snapshot, text, alone, last):
        return Reading(alone, flag, text=text)
    combined = contextual_text(text, last.question)
    together, together_flag = snapshot.decide(combined)
    if together.outcome is Outcome.URGENT:
        # "and now it's turning white?" after a filler answer: a sign that is urgent only
        # with the procedure the last question named. Safety first: urgent, with the context
        return Reading(together, together_flag, context=last.question, text=combined)
    raw = together
    together = _names(snapshot, text, together, last)
    alone = _names(snapshot, text, alone, last)
    if alone.outcome is Outcome.ANSWER and _agrees(snapshot, alone, raw, together):
        return Reading(alone, flag, text=text)
    if together.outcome is Outcome.ANSWER and together.entry is not None:
        decision = _offer(together, together.entry, likely=True)
    else:
        named = _named_candidates(snapshot, text, combined, last)
        if alone.outcome is Outcome.ANSWER and alone.entry is not None:
            decision = _choices(snapshot, _offer(alone, alone.entry), together, named, last)
        else:
            decision = _choices(snapshot, together, alone, named, last)
    return Reading(decision, None, context=last.question, text=combined)


def _alone_without_tuned(
    snapshot: Snapshot, text: str, alone: Decision, vectors: tuple[Any, Any] | None = None
) -> Decision:
    """A short message right after an answer, read alone, is answered only as the decision fitted
    without the tuned model would answer it (`without_tuned`); else it is offered, one tap away.
    The tuned model's gate was fitted on whole first messages: "when can i wear makeup?" after a
    Fraxel answer stands on its own words, yet sits close to the microneedling entry.
    `vectors`: the message's (base, tuned) vectors from `Snapshot.judge`, not encoded again."""
    matcher = snapshot.matcher
    if alone.outcome is not Outcome.ANSWER or matcher.meaning is None:
        return alone
    if matcher.meaning.tuned is None:
        return alone
    base_vector, tuned = vectors if vectors is not None else (None, None)
    evidence = matcher.evidence(
        text,
        vector=None if base_vector is None else base_vector[None, :],
        tuned=None if tuned is None else tuned[None, :],
    )
    base = decide(without_tuned(evidence), matcher.settings)
    if base.outcome is Outcome.ANSWER and base.entry == alone.entry:
        return alone
    return _offer(alone, alone.entry) if alone.entry is not None else alone


LEAN = 0.5  # of a lost message's words (by weight) the previous entry must use


def _leans_back(snapshot: Snapshot, text: str, alone: Decision, last: Turn) -> bool:
    """A short message the knowledge finds nothing close to alone, whose own words are the
    previous answer's ("do I need to see a doctor?" after Latisse) or that asks only a kind
    of question ("how long before I see anything?"): it asks about that answer. A new
    question with a subject of its own uses words the previous entry does not, often words
    the knowledge never uses at all ("how do I lower my cholesterol without statins?"; such
    a word weighs as much as in the matcher's veto): read alone. Read in context a message
    gets choices at most, never an answer."""
    if alone.outcome is not Outcome.UNMATCHED or len(normalise(text).split()) > MAX_WORDS:
        return False
    matcher = snapshot.matcher
    terms = set(matcher.analyzer.terms(text)) | {f"#{k}" for k in question_kinds(text)}
    if not terms:
        return False  # a link, a string of digits: nothing to read in any context
    entry = last.entry
    used = matcher.phrasing_terms(entry.id) | set(
        matcher.analyzer.terms(entry.answer, correct=False)
    )
    known = matcher.analyzer.vocabulary

    def weight(term: str) -> float:
        return matcher.weight(term) if term in known or term[0] == "#" else matcher.UNKNOWN_VETO

    total = sum(weight(t) for t in terms)
    explained = sum(weight(t) for t in terms if t in used or t[0] == "#")
    return explained >= LEAN * total


def _offer(decision: Decision, entry: Entry, *, likely: bool = False) -> Decision:
    """An answer turned into a choice of one (likely: "I think you're asking: …")."""
    return dataclasses.replace(
        decision,
        outcome=Outcome.SUGGEST,
        entry=None,
        suggestions=(Scored(entry, decision.score),),
        likely=likely,
        also=(),
        open_parts=(),
    )


def _agrees(snapshot: Snapshot, alone: Decision, raw: Decision, together: Decision) -> bool:
    """The message read alone answers an entry that the reading in context finds too (its
    answer or one of its choices): "would an IPL photofacial do it?" after rosacea. Without
    the meaning signal (words-only mode), which cannot tell a near-miss by what it means, the
    reading in context (`raw`, as the decision made it) must answer that entry too: "could
    they have used Sculptra there instead?" after tear-trough filler names the Sculptra entry
    word for word, yet in context is only one of its choices: offered, not answered."""
    if snapshot.matcher.encoder is None:
        return raw.outcome is Outcome.ANSWER and raw.entry == alone.entry
    close = [together.entry] if together.entry else [s.entry for s in together.suggestions]
    return alone.entry in close


def _choices(
    snapshot: Snapshot,
    together: Decision,
    alone: Decision,
    named: tuple[Scored, ...] = (),
    last: Turn | None = None,
) -> Decision:
    """Neither reading answers: the entries either reading finds close, the one read in
    context first, then the entries the follow-up's own words name (`_named_candidates`) in
    the places left; when the readings fill them all without the entry those words name
    first, it takes the last place ("and botox for my 11s, that's out too?" after melasma in
    pregnancy: Botox in pregnancy, not a third melasma entry). None: the doctor."""
    seen: dict[str, Scored] = {}
    for scored in (*together.suggestions, *alone.suggestions, *named):
        seen.setdefault(scored.entry.id, scored)
    limit = snapshot.knowledge.settings.matching.max_suggestions
    suggestions = tuple(seen.values())[:limit]
    first = next((s.entry.id for s in named if last is None or s.entry != last.entry), None)
    if first and len(suggestions) == limit and first not in {s.entry.id for s in suggestions}:
        suggestions = (*suggestions[: limit - 1], seen[first])
    if not suggestions:
        return Decision(Outcome.UNMATCHED, score=together.score)
    likely = together.likely and len(suggestions) == 1
    return Decision(Outcome.SUGGEST, score=together.score, suggestions=suggestions, likely=likely)


def _names(snapshot: Snapshot, text: str, decision: Decision, last: Turn) -> Decision:
    """An answer to a follow-up must name the follow-up's own words in its own phrasings
    (question and alternates): the words are few, and an entry that only mentions "hands"
    somewhere in its answer does not answer "and sweaty hands?". A word the knowledge never
    uses is never named. The previous entry again must be asked something new as well:
    "how about Jeuveau?" (to the knowledge, one more Botox brand) adds nothing that answer
    was asked about. An answer that fails becomes a "did you mean" of one: a tap away."""
    if decision.outcome is not Outcome.ANSWER or decision.entry is None:
        return decision
    matcher = snapshot.matcher
    terms = {t for t in matcher.analyzer.terms(text) if t[0] != "#"}
    if not terms:
        return decision  # "why?", "how many units?": the previous question says what
    named = terms <= matcher.phrasing_terms(decision.entry.id)
    if named and decision.entry == last.entry:
        named = bool(terms - set(matcher.analyzer.terms(last.question)))
    if named:
        return decision
    return _offer(decision, decision.entry)


SHARE = 0.5  # of the follow-up's new words (by weight) that a candidate's phrasings must name
FLOOR = 0.5  # closeness to the two messages below which an entry is no candidate…
CANDIDATES = 8  # …and how many of the closest are searched (the related ones: all)


def _named_candidates(
    snapshot: Snapshot, text: str, combined: str, last: Turn
) -> tuple[Scored, ...]:
    """Entries worth a tap when neither reading answers, to fill the places left among the
    choices: the previous entry itself, and the entries that name the follow-up's new words
    (half of them by weight, at least) in their own phrasings — first those the previous
    answer lists as related ("can I stay on it long term?" after Tri-Luma: the hydroquinone
    entry), then the closest to the two messages read together ("and the puffiness?" after
    dark circles: the under-eye-bags entry). The previous question's words outweigh a short
    follow-up's in that reading, so its own choices are often only the previous entry again.
    Choices only, never an answer: no new false answers."""
    matcher = snapshot.matcher
    terms = {t for t in matcher.analyzer.terms(text) if t[0] != "#"}
    new = terms - set(matcher.analyzer.terms(last.question)) or terms
    new |= {f"#{k}" for k in question_kinds(text) - question_kinds(last.question)}
    # a word no phrasing uses is named by none: it does not count against the others
    total = sum(matcher.weight(t) for t in new if t[0] == "#" or t in matcher.idf)
    related = set(last.entry.related)

    def names(entry_id: str) -> bool:
        named = new & matcher.phrasing_terms(entry_id)
        return bool(named) and sum(matcher.weight(t) for t in named) >= SHARE * total

    found: list[Scored] = []
    for rank, scored in enumerate(matcher.closest(combined, len(matcher.entries))):
        close = rank < CANDIDATES and scored.score >= FLOOR
        if scored.entry == last.entry:
            wanted = close
        else:
            wanted = (close or scored.entry.id in related) and names(scored.entry.id)
        if wanted:
            found.append(scored)
    return tuple(sorted(found, key=lambda scored: scored.entry.id not in related))
