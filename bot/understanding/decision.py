"""From evidence to a decision: answer, "I think you're asking", "did you mean", or the doctor.

Similarity alone cannot tell a right answer from a real near-miss: on real readers' messages
both score alike. So the matcher gathers several signals about its best entry (`Evidence`) and
a small logistic model, fitted on labelled real messages by `bench/calibrate.py`, turns them
into a confidence that the entry answers *this* message. The thresholds on that confidence were
chosen by the same script to keep wrong answers rare; they live in `bot.yaml` (`matching`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.knowledge.schema import Calibration, Matching
from bot.models import Decision, Entry, Outcome, Scored

# The signals, each in [0, 1] (or close): what the model may weigh.
FEATURES = (
    "meaning",  # cosine of the message with the entry's closest phrasing
    "meaning_lead",  # …minus the best cosine of any other entry
    "words",  # the lexical score (telling words shared, weighted by rarity)
    "words_lead",  # …minus the runner-up's lexical score
    "agree",  # 1 when the lexical and the meaning signals pick the same entry
    "unexplained",  # share of the message's knowledge words the entry does not explain
    "veto",  # a short question's rarest word the entry leaves unexplained (0..1)
    "specific",  # how many telling words the message has (0..1): "filler?" alone is vague
    "tuned",  # the model tuned to this knowledge (bot/understanding/tuned/): its cosine with the entry
    "tuned_lead",  # …minus its best cosine of any other entry
)
# Tried and measured held aside, not kept: a first line that is itself a question, its
# closeness to the entry (and its lead over the next entry), and the closest question
# sentence. Fitted by bench/calibrate.py, the title got a weight of 0.07 with the meaning
# signal (no effect) and cost the light mode direct answers on the team's set; see README.


# From words alone, a short question whose rare or unknown word the entry leaves unexplained
# is never answered ("does minoxidil grow a *beard*?"): nothing else can tell it is a near-miss.
# With the meaning signal, the model weighs the same feature instead.
WORDS_VETO = 0.6


@dataclass(frozen=True, slots=True)
class Candidate:
    entry: Entry
    closeness: float  # what ranks the candidates (0..1)


@dataclass(frozen=True, slots=True)
class Evidence:
    """The ranked candidates and the signals about the best one."""

    candidates: tuple[Candidate, ...]
    features: Mapping[str, float] = field(default_factory=dict)
    meaning: bool = False  # gathered with the meaning signal

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def confidence(calibration: Calibration, features: Mapping[str, float]) -> float:
    z = calibration.bias + sum(
        w * features.get(name, 0.0) for name, w in calibration.weights.items()
    )
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def tuned_gate(calibration: Calibration, features: Mapping[str, float]) -> bool:
    """The tuned model's own verdict: close to the best entry, and clearly closer to it than
    to any other. Trained to keep near-misses under a "none of them" level, its cosine and lead
    tell a right best entry from a near-miss better than the calibrated blend of signals. The
    base model must rank the entry first too ("does Botox cause hair loss?" is closest to the
    hair-thinning entry for the tuned model, to a Botox entry for the base one: a near-miss)."""
    if "tuned" not in features or features.get("meaning_lead", 0.0) < 0:
        return False
    return (
        features["tuned"] >= calibration.tuned_answer
        and features.get("tuned_lead", 0.0) >= calibration.tuned_lead
    )


def lead_lost(calibration: Calibration, features: Mapping[str, float]) -> bool:
    """The tuned gate failed on the lead alone: close enough to the best entry, but another
    entry close too. In a message of several questions that is the other question's entry
    ("Is Botox safe while breastfeeding? Also, can I use retinol while pregnant?")."""
    if "tuned" not in features or features.get("meaning_lead", 0.0) < 0:
        return False
    return (
        features["tuned"] >= calibration.tuned_answer
        and features.get("tuned_lead", 0.0) < calibration.tuned_lead
    )


def each_question_answered(
    calibration: Calibration,
    evidence: Evidence,
    questions: Sequence[str],
    weigh: Callable[[str], Evidence],
) -> bool:
    """Several questions, each clearly an entry's: the tuned gate failed on the lead alone
    (`lead_lost`), and every question (two or more), weighed alone (`weigh`: the matcher's
    evidence), passes it, one of them with the message's best entry. That entry answers, the
    others are offered beside it (`Matcher.other_parts`), as each would be answered if sent
    alone. Measured held aside on the real messages: none answered differently (their uncovered
    questions fail the gate); the gate on any one question alone added false answers (README
    "Training the meaning model"). The questions are weighed only when the lead was lost, one
    by one until one fails."""
    best = evidence.best
    if len(questions) < 2 or best is None or not lead_lost(calibration, evidence.features):
        return False
    named = False
    for question in questions:
        alone = weigh(question)
        if alone.best is None or not tuned_gate(calibration, alone.features):
            return False
        named = named or alone.best.entry.id == best.entry.id
    return named


def without_tuned(evidence: Evidence) -> Evidence:
    """The same evidence without the tuned model's signals: `decide` then applies the calibration
    fitted without them. For a follow-up's fragment read alone: the tuned model's gate was fitted
    on whole first messages, and a fragment ("when can i wear makeup?" after a Fraxel answer)
    can sit close to an entry that does not answer it."""
    features = {k: v for k, v in evidence.features.items() if not k.startswith("tuned")}
    return dataclasses.replace(evidence, features=features)


def decide(evidence: Evidence, settings: Matching) -> Decision:
    calibration = settings.words
    if evidence.meaning:  # with the tuned model's signals, the calibration fitted with them
        calibration = settings.tuned if "tuned" in evidence.features else settings.meaning
    best = evidence.best
    if best is None or best.closeness < calibration.floor:
        return Decision(Outcome.UNMATCHED, score=best.closeness if best else 0.0)
    sure = confidence(calibration, evidence.features)
    vetoed = not evidence.meaning and evidence.features.get("veto", 0.0) >= WORDS_VETO
    if (sure >= calibration.answer or tuned_gate(calibration, evidence.features)) and not vetoed:
        return Decision(Outcome.ANSWER, entry=best.entry, score=sure)
    if sure >= calibration.likely:
        return Decision(
            Outcome.SUGGEST, score=sure, suggestions=(Scored(best.entry, sure),), likely=True
        )
    # choices only when real: a list only at or above the `offer_sure` confidence, and of entries
    # at or above the `offer` closeness; else the doctor (a list that does not answer is noise)
    if sure < calibration.offer_sure:
        return Decision(Outcome.UNMATCHED, score=sure)
    if evidence.features.get("tuned", 1.0) < calibration.offer_tuned:
        return Decision(Outcome.UNMATCHED, score=sure)
    least = max(calibration.floor, calibration.offer, best.closeness - calibration.gap)
    close = [
        Scored(c.entry, round(c.closeness, 4)) for c in evidence.candidates if c.closeness >= least
    ]
    if not close:
        return Decision(Outcome.UNMATCHED, score=sure)
    return Decision(
        Outcome.SUGGEST, score=sure, suggestions=tuple(close[: settings.max_suggestions])
    )
