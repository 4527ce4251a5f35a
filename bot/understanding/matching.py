"""Find the entry that answers a reader's message — or decide that none clearly does.

A message and every entry's question and alternates are reduced to terms (bot/understanding/analysis.py),
terms are weighted by how rare they are in the knowledge (IDF), and each sentence is scored
as well as the whole.

An entry's score for a piece of text is the geometric mean of two coverages: how much of the
entry's question the text mentions (precision) and how much of the text the entry explains
(recall). The second one is what refuses near-misses: in "does Botox cause hair loss?", the
words *hair loss* are not explained by the Botox-atrophy entry, so it is not answered. With
the meaning signal on, closeness blends in the best cosine to an entry's phrasings; the
evidence goes to the calibrated decision (bot/understanding/decision.py).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.knowledge.schema import Matching
from bot.models import Decision, Entry, Outcome, Scored
from bot.understanding import decision
from bot.understanding.analysis import Analyzer, question_kinds
from bot.understanding.meaning import MeaningIndex, blend, second_best
from bot.understanding.reading import Reading, read
from bot.understanding.text import normalise, sentences

if TYPE_CHECKING:
    from bot.understanding.semantic import Encoder, TunedView


@dataclass(slots=True)
class _Variant:
    entry: int
    terms: frozenset[str]
    weight: float
    kinds: frozenset[str]
    enough: float = 0.0  # the shared weight that counts as mentioning all of it


@dataclass(slots=True)
class _Unit:
    """A piece of the message scored on its own: a sentence, two adjacent ones, or all."""

    terms: frozenset[str]
    kinds: frozenset[str]
    weights: dict[str, float]  # the weight of each term, looked up once
    total: float


class Matcher:
    """An index over the served entries. Built once per knowledge version; read-only after."""

    # Tuned with `expertbot eval tests/data/dev_cases.yaml`; see README "Matching quality".
    CANDIDATES = 20  # entries scored in full, after the inverted-index prefilter
    MAX_SENTENCES = 12  # of a long message, the first sentences are scored one by one
    UNKNOWN_WEIGHT = 2.2  # a word the knowledge never uses: maybe chatter, maybe the real topic
    ANSWER_WORDS_CREDIT = 0.7  # a term only the entry's answer mentions explains 70 % as much
    ENOUGH_WEIGHT = 7.5  # two or three telling words of a long question are enough to name it
    MIN_VARIANT_WEIGHT = 4.5  # a one-word variant ("Botox?") is weak evidence however it matches
    MISSING_WEIGHT = 1.0  # how much a variant's unmentioned words count against it
    RECALL_EXP = 0.5  # recall (is all of the message explained?) against precision
    KIND_WEIGHT = 2.5  # the kind of question (how long, cost, ...) counts as one telling term
    AGREEMENT = 0.4  # share of the score from the entry's second-best phrasing
    # A short question (at most VETO_MAX_TERMS terms) is never answered by an entry that leaves
    # one of its words unexplained: a rare knowledge word (idf >= VETO_WEIGHT), or a word the
    # knowledge never uses at all ("does minoxidil grow a *beard*?").
    MAX_PARTS = 4  # questions of one message looked at on their own
    PART_UNEXPLAINED = 0.4  # a question with this share of its words new to the answer is a part
    MEANING_SHARE = 0.8  # of closeness, with meaning on: ranks best on real messages
    # of the meaning part of closeness, the tuned model's share (the rest the base model's):
    # measured held aside with bench/calibrate.py, README "Training the meaning model"
    TUNED_SHARE = 0.5
    VETO_MAX_TERMS = 4
    VETO_WEIGHT = 3.0
    UNKNOWN_VETO = 4.0

    def __init__(
        self,
        entries: Sequence[Entry],
        synonyms: dict[str, list[str]] | None = None,
        settings: Matching | None = None,
        encoder: Encoder | TunedView | None = None,
    ) -> None:
        self.entries = list(entries)
        self._index = {e.id: i for i, e in enumerate(self.entries)}
        self.settings = settings or Matching()
        self.analyzer = Analyzer(synonyms or {})
        raw_variants: list[tuple[int, list[str], frozenset[str]]] = []
        answer_terms: list[frozenset[str]] = []
        kinds: list[frozenset[str]] = []
        for i, entry in enumerate(self.entries):
            texts = [entry.question, *entry.alternates]
            for text in texts:
                found = question_kinds(text)
                terms = self.analyzer.terms(text, correct=False) + [f"#{k}" for k in found]
                raw_variants.append((i, terms, found))
            answer_terms.append(frozenset(self.analyzer.terms(entry.answer, correct=False)))
            kinds.append(frozenset().union(*(question_kinds(t) for t in texts)))
        self._answer_terms = answer_terms
        self._kinds = kinds

        entry_terms: list[set[str]] = [set() for _ in self.entries]
        for i, terms, _ in raw_variants:
            entry_terms[i].update(terms)
        df: dict[str, int] = defaultdict(int)
        for terms in entry_terms:
            for t in terms:
                df[t] += 1
        n = max(len(self.entries), 1)
        self.idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        vocab = set(df)
        for terms in answer_terms:
            vocab.update(terms)
        self.analyzer.set_vocabulary(vocab)
        # answer-only words are known vocabulary but rarer as question words
        self._answer_idf = math.log((n + 1) / 0.5)

        self._variants = [
            _Variant(i, frozenset(terms), sum(self.weight(t) for t in set(terms)), kinds)
            for i, terms, kinds in raw_variants
            if terms
        ]
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, terms in enumerate(entry_terms):
            for t in terms:
                self._postings[t].append(i)
        self._entry_variants: list[list[_Variant]] = [[] for _ in self.entries]
        for v in self._variants:
            v.enough = min(max(v.weight, self.MIN_VARIANT_WEIGHT), self.ENOUGH_WEIGHT)
            self._entry_variants[v.entry].append(v)
        self._entry_terms = [frozenset(terms) for terms in entry_terms]
        # A message that is, word for word, one entry's question or alternate needs no scoring.
        exact: dict[str, set[int]] = defaultdict(set)
        for i, e in enumerate(self.entries):
            for t in (e.question, *e.alternates):
                exact[normalise(t)].add(i)
        self._exact = {k: next(iter(v)) for k, v in exact.items() if len(v) == 1}
        self.encoder = encoder
        self.meaning = MeaningIndex(self.entries, encoder) if encoder is not None else None

    def weight(self, term: str) -> float:
        if term[0] == "#":
            return self.KIND_WEIGHT
        w = self.idf.get(term)
        if w is not None:
            return w
        return self.UNKNOWN_WEIGHT

    def _veto_weight(self, term: str) -> float:
        if term in self.idf:
            return self.idf[term]
        return self.UNKNOWN_VETO

    # --- scoring --------------------------------------------------------------------------

    def _units(self, text: str) -> list[_Unit]:
        text = text[: self.settings.max_chars]
        pieces = sentences(text)[: self.MAX_SENTENCES]
        texts = list(pieces)
        texts += [f"{a} {b}" for a, b in itertools.pairwise(pieces)]
        if len(pieces) > 2:
            texts.append(text)
        seen: set[frozenset[str]] = set()
        units = []
        for piece in texts or [text]:
            kinds = question_kinds(piece)
            terms = frozenset(self.analyzer.terms(piece) + [f"#{k}" for k in kinds])
            if terms and terms not in seen:
                seen.add(terms)
                weights = {t: self.weight(t) for t in terms}
                units.append(_Unit(terms, kinds, weights, sum(weights.values())))
        return units

    def _candidates(self, units: list[_Unit]) -> list[int]:
        """The entries worth scoring: most shared weight first. A term that a quarter of the
        knowledge shares says little and would make this step grow with the knowledge."""
        terms = frozenset().union(*(u.terms for u in units))
        common = max(50, len(self.entries) // 4)
        postings = [(self.idf[t], self._postings[t]) for t in terms if t in self._postings]
        rare = [(w, p) for w, p in postings if len(p) <= common]
        bound: dict[int, float] = defaultdict(float)
        for w, entries in rare or postings:
            for i in entries:
                bound[i] += w
        return heapq.nlargest(self.CANDIDATES, bound, key=bound.__getitem__)

    def _score_unit(self, unit: _Unit, entry: int) -> tuple[float, float]:
        """(score, weight of the heaviest known term in the unit that the entry leaves unexplained)"""
        if unit.total <= 0:
            return 0.0, 0.0
        if unit.terms.isdisjoint(self._entry_terms[entry]):
            return 0.0, 0.0
        weights = unit.weights
        answer_terms = self._answer_terms[entry]
        best = (0.0, 0.0)
        scores: list[float] = []
        for variant in self._entry_variants[entry]:
            shared = unit.terms & variant.terms
            if not shared:
                continue
            got = sum(weights[t] for t in shared)
            enough = variant.enough
            missing = max(enough - got, 0.0)
            precision = got / (got + self.MISSING_WEIGHT * missing) if got else 0.0
            rest = unit.terms - shared
            explained = got + self.ANSWER_WORDS_CREDIT * sum(
                weights[t] for t in rest if t in answer_terms
            )
            recall = min(explained / unit.total, 1.0)
            score = recall**self.RECALL_EXP * precision ** (1 - self.RECALL_EXP)
            scores.append(score)
            if score > best[0]:
                # Only a short, focused question is vetoed by one unexplained word; in a long
                # message such words are mostly the reader's story around the question.
                unexplained = 0.0
                if len(unit.terms) <= self.VETO_MAX_TERMS:
                    unexplained = max(
                        (self._veto_weight(t) for t in rest if t not in answer_terms),
                        default=0.0,
                    )
                best = (score, unexplained)
        if len(scores) > 1:
            # an entry whose several phrasings agree is a safer answer than one stray phrasing
            scores.sort(reverse=True)
            agreement = (scores[0] + scores[1]) / 2
            best = ((1 - self.AGREEMENT) * best[0] + self.AGREEMENT * agreement, best[1])
        return best

    def _rank(self, text: str, limit: int) -> tuple[list[tuple[Scored, float]], float]:
        """Entries best first with their veto weights, and the runner-up's score on the unit
        that made the winner (a long message gives every entry many chances; the margin is
        only meaningful when both are judged on the same words)."""
        units = self._units(text)
        if not units:
            return [], 0.0
        per_unit: dict[int, list[tuple[float, float]]] = {}
        for entry in self._candidates(units):
            per_unit[entry] = [self._score_unit(u, entry) for u in units]
        best_of = {e: max(range(len(units)), key=lambda k: s[k][0]) for e, s in per_unit.items()}
        # ties: the entry listed first in the knowledge wins, the same in every process
        ranked = sorted(per_unit, key=lambda e: (-per_unit[e][best_of[e]][0], e))
        out = []
        for e in ranked[:limit]:
            score, veto = per_unit[e][best_of[e]]
            if score > 0:
                out.append((Scored(self.entries[e], round(score, 4)), veto))
        runner_up = 0.0
        if len(ranked) > 1:
            unit = best_of[ranked[0]]
            runner_up = max(per_unit[e][unit][0] for e in ranked[1:])
        return out, runner_up

    def closest(self, text: str, limit: int = 5) -> list[Scored]:
        """The best entries for a text, however low they score (the doctor picks among them)."""
        ranked, _ = self._rank(text[: self.settings.max_chars], limit)
        return [scored for scored, _ in ranked]

    def decide(
        self, text: str, reading: Reading | None = None, vector: Any = None, tuned: Any = None
    ) -> Decision:
        """answer when one entry surely answers, suggest when some are close, else unmatched.
        `reading`: the message already read (bot/understanding/reading.py), when the caller has it;
        `vector`: its text's meaning vector from this matcher's encoder, when already
        computed (the triage computes it first: bot/understanding/triage.py); `tuned`: the
        tuned model's, when encoded in a batch (`Snapshot.decide_all`)."""
        text = text[: self.settings.max_chars]
        exact = self.exact(text)
        if exact is not None:
            return Decision(Outcome.ANSWER, entry=exact, score=1.0)
        reading = reading or read(text)
        evidence = self.evidence(text, reading, vector, tuned)
        found = decision.decide(evidence, self.settings)
        if found.outcome is not Outcome.ANSWER and decision.each_question_answered(
            self.settings.tuned, evidence, reading.questions[: self.MAX_PARTS], self.evidence
        ):
            return Decision(Outcome.ANSWER, entry=evidence.best.entry, score=found.score)  # type: ignore[union-attr]
        return found

    def exact(self, text: str) -> Entry | None:
        """The entry whose question or alternate the text is, word for word (answered with
        no meaning vector needed)."""
        i = self._exact.get(normalise(text[: self.settings.max_chars]))
        return None if i is None else self.entries[i]

    def evidence(
        self, text: str, reading: Reading | None = None, vector: Any = None, tuned: Any = None
    ) -> decision.Evidence:
        """The entries ranked by closeness to the message, and the signals about the best one
        that the calibrated decision weighs (bot/understanding/decision.py)."""
        reading = reading or read(text[: self.settings.max_chars])
        words: dict[int, float] = {}  # sparse: only the lexical candidates score
        vetoes: dict[int, float] = {}
        pieces = [reading.text] if reading.focus == reading.text else [reading.text, reading.focus]
        for piece in pieces:
            ranked, _ = self._rank(piece, self.CANDIDATES)
            for scored, veto in ranked:
                i = self._index[scored.entry.id]
                if scored.score > words.get(i, 0.0):
                    words[i], vetoes[i] = scored.score, veto
        meaning, tuned = self._meaning(reading.text, vector, tuned)
        if meaning is not None:
            ranking = meaning
            if tuned is not None and self.TUNED_SHARE > 0:
                ranking = (1 - self.TUNED_SHARE) * meaning + self.TUNED_SHARE * tuned
            order, closeness = blend(ranking, words, self.MEANING_SHARE)
        else:
            closeness = words
            order = sorted((i for i in words if words[i] > 0), key=lambda i: (-words[i], i))
        if not order:
            return decision.Evidence((), meaning=meaning is not None)
        top = order[0]
        known = self._known_terms(reading.text)
        features = {
            "words": words.get(top, 0.0),
            "words_lead": words.get(top, 0.0)
            - max((x for i, x in words.items() if i != top), default=0.0),
            "unexplained": self._unexplained(known, top),
            "specific": min(len(known), 5) / 5,
            "veto": min(vetoes.get(top, 0.0), 5.0) / 5.0,
        }
        if meaning is not None:
            features["meaning"] = float(meaning[top])
            features["meaning_lead"] = float(meaning[top]) - second_best(meaning, top)
            best_words = min(words, key=lambda i: (-words[i], i)) if words else None
            features["agree"] = float(best_words == top)
        if tuned is not None:
            features["tuned"] = float(tuned[top])
            features["tuned_lead"] = float(tuned[top]) - second_best(tuned, top)
        candidates = tuple(
            decision.Candidate(self.entries[i], round(float(closeness[i]), 4)) for i in order[:5]
        )
        return decision.Evidence(candidates, features, meaning=meaning is not None)

    def other_parts(
        self, reading: Reading, answered: Entry
    ) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
        """A message of several questions, answered from one entry: the questions that entry
        leaves open, each either answered by another entry (offered too) or by none (it goes
        to the doctor on its own). A question mostly in the answered entry's words ("is this
        normal?", "how long will it last?") belongs to it."""
        if len(reading.questions) < 2:
            return (), ()
        answered_index = self._index[answered.id]
        also: list[Entry] = []
        open_parts: list[str] = []
        for part in reading.questions[: self.MAX_PARTS]:
            if self._unexplained(self._known_terms(part), answered_index) < self.PART_UNEXPLAINED:
                continue
            found = decision.decide(self.evidence(part), self.settings)
            # an entry sure or likely to answer the part is offered as a button: one tap
            offered = found.entry or (found.suggestions[0].entry if found.likely else None)
            if offered is not None:
                if offered.id != answered.id and offered not in also:
                    also.append(offered)
            elif found.outcome is Outcome.UNMATCHED:
                open_parts.append(part)
        return tuple(also), tuple(open_parts)

    def _known_terms(self, text: str) -> set[str]:
        """The message's words that the knowledge's questions use: its telling words. Words
        the knowledge never uses are chatter here ("horrible", "desperate")."""
        return {t for t in self.analyzer.terms(text) if t in self.idf}

    def phrasing_terms(self, entry_id: str) -> frozenset[str]:
        """The terms of an entry's own phrasings (question and alternates)."""
        return self._entry_terms[self._index[entry_id]]

    def _unexplained(self, known: set[str], entry: int) -> float:
        """The share of the telling words (by weight) that the entry neither asks nor
        answers: "hair loss" in a Botox question that the atrophy entry cannot explain."""
        total = sum(self.idf[t] for t in known)
        if total <= 0:
            return 0.0
        explained = self._entry_terms[entry] | self._answer_terms[entry]
        return sum(self.idf[t] for t in known if t not in explained) / total

    def similarity(self, text: str, vector: Any = None) -> Any:
        """Per entry (a numpy array): the best cosine between the message and any of the
        entry's phrasings, by the base model. Needs the encoder; `vector`: the text's base
        vector, when already encoded (the triage's)."""
        assert self.encoder is not None
        return self._meaning(text, vector)[0]

    def _meaning(self, text: str, vector: Any = None, tuned: Any = None) -> tuple[Any, Any]:
        """(base, tuned) cosines per entry, as `similarity`; tuned is None without the tuned
        model, both None without the meaning signal (`vector`: the base vector, when already
        encoded)."""
        if self.meaning is None:
            return None, None
        return self.meaning.cosines(text[: self.settings.max_chars], vector, tuned)
