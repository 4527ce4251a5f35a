"""Find the entry that answers a reader's message — or decide that none clearly does.

Readers write long, chatty, misspelt messages; entries are short questions. So a message is
reduced to its telling terms (stop words dropped, synonyms and brand names mapped to one term,
typos corrected against the knowledge's own vocabulary, light stemming), terms are weighted by
how rare they are in the knowledge (IDF), and each sentence is scored as well as the whole.

An entry's score for a piece of text is the geometric mean of two coverages: how much of the
entry's question the text mentions (precision) and how much of the text the entry explains
(recall). The second one is what refuses near-misses: in "does Botox cause hair loss?", the
words *hair loss* are not explained by the Botox-atrophy entry, so it is not answered.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot import decision
from bot.models import Decision, Entry, Outcome, Scored
from bot.reading import read
from bot.schema import Matching

if TYPE_CHECKING:
    from bot.semantic import Encoder
from bot.text import normalise, sentences, stem

STOP_WORDS = frozenset(
    """
        a about above after again against all am an and any are arent as at be because been
        before being below between both but by can cant could couldnt did didnt do does
        doesnt doing dont down during each few for from further had hadnt has hasnt have
        havent having he hed hes her here heres hers herself him himself his how hows i id
        ill im ive if in into is isnt it its itself lets me more most my myself no nor not
        of off on once only or other ought our ours ourselves out over own same shant she
        shed shes should shouldnt so some such than that thats the their theirs them
        themselves then there theres these they theyd theyll theyre theyve this those
        through to too under until up very was wasnt we wed well were weve werent what whats
        when whens where wheres which while who whos whom why whys with wont would wouldnt
        you youd youll youre youve your yours yourself yourselves u ur r ya also just really
        actually basically literally pretty quite lot lots much many thing things stuff
        anything something everything anyone someone everyone get gets got getting go goes
        going gone went know knew think thought want wanted wanting wondering wonder
        wondered ask asking asked question questions help please pls plz thanks thank thx ty
        hi hello hey hiya dear doc doctor dr love xx xo x lol haha omg ok okay yes yeah yep
        nope hope hoping tell telling told say said says heard hear read reading reader blog
        post site page follow following long-time longtime fan advance appreciate
        appreciated cheers regards best wishes kind sorry bother quick one two three first
        second im34 year years old age aged ago month months week weeks day days today
        yesterday recently lately now still ever never always sometimes often usually maybe
        probably sure guess feel feeling seems seem seemed look looks looking like way kind
        sort bit little new next last-time time times since already even though although
        however anyway friend friends mom mum mother dad husband wife boyfriend girlfriend
        sister daughter son someone people person everybody somebody anybody work job
        wedding party vacation holiday see saw seen make made makes let put take took taken
        give gave use used using try tried trying keep kept start started starting stop
        stopped come came would could should might must will shall may
            soon quickly quick fast kick kicks peak long last lasts lasting until till
    """.split()
)
# Kept as terms although they look like stop words: they carry the question's meaning.
_KEEP = frozenset({"safe", "work", "pregnant", "better", "difference", "why"})

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


_STOP_STEMS = frozenset(stem(w) for w in STOP_WORDS) | STOP_WORDS


def _is_stop(token: str) -> bool:
    return token in _STOP_STEMS and token not in _KEEP


def question_kinds(text: str) -> frozenset[str]:
    norm = normalise(text)
    kinds = {kind for kind, pattern in QUESTION_KINDS.items() if pattern.search(norm)}
    if "onset" in kinds:
        kinds.discard("duration")  # "how long does it take to work" asks when, not how long
    return frozenset(kinds)


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
    VETO_MAX_TERMS = 4
    VETO_WEIGHT = 3.0
    UNKNOWN_VETO = 4.0

    def __init__(
        self,
        entries: Sequence[Entry],
        synonyms: dict[str, list[str]] | None = None,
        settings: Matching | None = None,
        encoder: Encoder | None = None,
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
        if encoder is not None:
            from bot.semantic import Phrasings  # numpy only when the meaning signal is on

            texts = [
                (i, t) for i, e in enumerate(self.entries) for t in (e.question, *e.alternates)
            ]
            self._phrasings = Phrasings(
                encoder.encode_cached([t for _, t in texts]), [i for i, _ in texts]
            )

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

    def decide(self, text: str) -> Decision:
        """answer when one entry surely answers, suggest when some are close, else unmatched."""
        text = text[: self.settings.max_chars]
        exact = self._exact.get(normalise(text))
        if exact is not None:
            return Decision(Outcome.ANSWER, entry=self.entries[exact], score=1.0)
        return decision.decide(self.evidence(text), self.settings)

    def evidence(self, text: str) -> decision.Evidence:
        """The entries ranked by closeness to the message, and the signals about the best one
        that the calibrated decision weighs (bot/decision.py)."""
        reading = read(text[: self.settings.max_chars])
        n = len(self.entries)
        words = [0.0] * n
        vetoes = [0.0] * n
        pieces = [reading.text] if reading.focus == reading.text else [reading.text, reading.focus]
        for piece in pieces:
            ranked, _ = self._rank(piece, self.CANDIDATES)
            for scored, veto in ranked:
                i = self._index[scored.entry.id]
                if scored.score > words[i]:
                    words[i], vetoes[i] = scored.score, veto
        meaning = self.similarity(reading.text) if self.encoder is not None else None
        if meaning is not None:
            w = self.MEANING_SHARE
            closeness = [
                w * max(m, 0.0) + (1 - w) * lx for m, lx in zip(meaning, words, strict=True)
            ]
        else:
            closeness = words
        order = sorted((i for i in range(n) if closeness[i] > 0), key=lambda i: (-closeness[i], i))
        if not order:
            return decision.Evidence((), meaning=meaning is not None)
        top = order[0]
        known = self._known_terms(reading.text)
        features = {
            "words": words[top],
            "words_lead": words[top]
            - max((x for i, x in enumerate(words) if i != top), default=0.0),
            "unexplained": self._unexplained(known, top),
            "specific": min(len(known), 5) / 5,
            "veto": min(vetoes[top], 5.0) / 5.0,
        }
        if meaning is not None:
            others = max((x for i, x in enumerate(meaning) if i != top), default=0.0)
            features["meaning"] = meaning[top]
            features["meaning_lead"] = meaning[top] - others
            features["agree"] = float(max(range(n), key=lambda i: (words[i], -i)) == top)
        candidates = tuple(
            decision.Candidate(self.entries[i], round(closeness[i], 4)) for i in order[:5]
        )
        return decision.Evidence(candidates, features, meaning=meaning is not None)

    def other_parts(self, text: str, answered: Entry) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
        """A message of several questions, answered from one entry: the questions that entry
        leaves open, each either answered by another entry (offered too) or by none (it goes
        to the doctor on its own). A question mostly in the answered entry's words ("is this
        normal?", "how long will it last?") belongs to it."""
        reading = read(text[: self.settings.max_chars])
        if len(reading.questions) < 2:
            return (), ()
        answered_index = self._index[answered.id]
        also: list[Entry] = []
        open_parts: list[str] = []
        for part in reading.questions[: self.MAX_PARTS]:
            if self._unexplained(self._known_terms(part), answered_index) < self.PART_UNEXPLAINED:
                continue
            found = decision.decide(self.evidence(part), self.settings)
            if found.outcome is Outcome.ANSWER and found.entry is not None:
                if found.entry.id != answered.id and found.entry not in also:
                    also.append(found.entry)
            elif found.outcome is Outcome.UNMATCHED:
                open_parts.append(part)
        return tuple(also), tuple(open_parts)

    def _known_terms(self, text: str) -> set[str]:
        """The message's words that the knowledge's questions use: its telling words. Words
        the knowledge never uses are chatter here ("horrible", "desperate")."""
        return {t for t in self.analyzer.terms(text) if t in self.idf}

    def _unexplained(self, known: set[str], entry: int) -> float:
        """The share of the telling words (by weight) that the entry neither asks nor
        answers: "hair loss" in a Botox question that the atrophy entry cannot explain."""
        total = sum(self.idf[t] for t in known)
        if total <= 0:
            return 0.0
        explained = self._entry_terms[entry] | self._answer_terms[entry]
        return sum(self.idf[t] for t in known if t not in explained) / total

    def similarity(self, text: str) -> list[float]:
        """Per entry: the best cosine between the message and any of the entry's phrasings.
        Needs the encoder."""
        assert self.encoder is not None
        query = self.encoder.encode([text[: self.settings.max_chars]])
        return [float(x) for x in self._phrasings.best(query)]
