"""What the bot serves at one moment: the knowledge plus the indexes built from it (matcher,
safety check), swapped whole on reload (bot/runtime/reload.py). `decide` is the pure part of
answering a message — safety first, then small talk, then the knowledge — shared by the
answer service (bot/conversation/service.py), `expertbot ask`, `eval` and `kb check`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bot.conversation import replies
from bot.knowledge.loading import Knowledge
from bot.knowledge.schema import RedFlag
from bot.models import Decision, Outcome, Reply
from bot.understanding import semantic
from bot.understanding.matching import Matcher
from bot.understanding.reading import read
from bot.understanding.smalltalk import smalltalk_kind
from bot.understanding.text import clean
from bot.understanding.triage import Triage


@dataclass(frozen=True, slots=True)
class Judged:
    """A message decided (`Snapshot.judge`), with the (base, tuned) meaning vectors of its
    reading when they were encoded (one row each; tuned None without the tuned model)."""

    decision: Decision
    flag: RedFlag | None
    vectors: tuple[Any, Any] | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Knowledge plus the indexes built from it; swapped whole on reload."""

    knowledge: Knowledge
    matcher: Matcher
    safety: Triage

    @classmethod
    def build(
        cls, knowledge: Knowledge, *, meaning: bool | None = None, tuned: bool | None = None
    ) -> Snapshot:
        """`meaning`: use the sentence-embedding signal; default: when the extra is installed
        and EXPERTBOT_SEMANTIC is not "off". `tuned`: weigh the model tuned to the knowledge
        too (bot/understanding/tuned/, when it ships); default: yes, unless EXPERTBOT_MEANING_MODEL=base."""
        on = semantic.enabled() if meaning is None else meaning
        tuned = semantic.tuned_by_default() if tuned is None else tuned
        encoder: semantic.Encoder | semantic.TunedView | None = None
        if on:
            encoder = (semantic.tuned_encoder() if tuned else None) or semantic.shared_encoder()
        matcher = Matcher(
            list(knowledge.entries.values()),
            knowledge.synonyms,
            knowledge.settings.matching,
            encoder=encoder,
        )
        triage = Triage.build(
            knowledge.red_flags, meaning=on, max_chars=knowledge.settings.matching.max_chars
        )
        return cls(knowledge, matcher, triage)

    def decide(
        self, text: str, vectors: tuple[Any, Any, Any] | None = None
    ) -> tuple[Decision, RedFlag | None]:
        """Safety first, then small talk, then the knowledge. Pure: writes nothing.
        `vectors`: the message's (base, tuned, triage) vectors (None: not computed), when
        `decide_all` encoded them in one batch."""
        judged = self.judge(text, vectors)
        return judged.decision, judged.flag

    def judge(self, text: str, vectors: tuple[Any, Any, Any] | None = None) -> Judged:
        """`decide`, keeping the meaning vectors it encoded: a caller that weighs the same
        message again (a follow-up read alone without the tuned model's signals) needs no
        second encoding."""
        text = clean(text)[: self.knowledge.settings.matching.max_chars]
        kind = smalltalk_kind(text)  # only small talk: the rules read it, nothing else does
        base, tuned, own = vectors if vectors is not None else (None, None, None)
        verdict = self.safety.assess(text, learned=kind is None, vector=base, triage_vector=own)
        if verdict.flag is not None:
            return Judged(Decision(Outcome.URGENT, red_flag=verdict.flag.id), verdict.flag)
        if kind is not None:
            return Judged(Decision(Outcome.SMALLTALK, smalltalk=kind), None)
        reading = verdict.reading
        if reading.foreign:
            return Judged(Decision(Outcome.UNMATCHED, foreign=True, photo=reading.photo), None)
        # the triage's encoding gave the base model's vector too (semantic.shared_encoder;
        # `encode_triage` shares the lower layers), the one the matcher's base cosines read:
        # encoded once (with the tuned model on, the matcher adds only the tuned vector)
        if verdict.vector is not None:
            base = verdict.vector
        vector = base[None, :] if base is not None else None
        tuned = tuned[None, :] if tuned is not None else None
        meaning = self.matcher.meaning
        if meaning is not None and self.matcher.exact(text) is None:
            # what the matcher would encode (the reading), encoded here to be handed on
            max_chars = self.matcher.settings.max_chars
            vector, tuned = meaning.vectors(reading.text[:max_chars], vector, tuned)
        decision = self.matcher.decide(text, reading, vector, tuned)
        if decision.outcome is Outcome.ANSWER and decision.entry is not None:
            also, open_parts = self.matcher.other_parts(reading, decision.entry)
            decision = dataclasses.replace(decision, also=also, open_parts=open_parts)
        kept = (vector[0], None if tuned is None else tuned[0]) if vector is not None else None
        return Judged(dataclasses.replace(decision, photo=reading.photo), None, kept)

    def decide_all(self, texts: list[str]) -> list[tuple[Decision, RedFlag | None]]:
        """`decide` for many messages, their meaning vectors encoded in one batch (far faster
        than one by one: `kb check` decides every example and near-miss)."""
        meaning = self.matcher.meaning
        if meaning is None:
            return [self.decide(text) for text in texts]
        max_chars = self.knowledge.settings.matching.max_chars
        # what `decide` would encode: the reading of the cleaned text (triage.assess, matcher)
        read_texts = [read(clean(t)[:max_chars]).text[:max_chars] for t in texts]
        base = own = None  # the triage check's own vectors, when it has its own layers
        model, encoder = self.safety.model, self.safety.encoder
        if model is not None and model.own_layers and encoder is not None:
            # its encoding gives the base vectors too, as in `decide`: not encoded twice
            base, own = encoder.encode_triage(read_texts)  # type: ignore[union-attr]
        base, tuned = meaning.encode(read_texts, base)
        return [
            self.decide(
                text,
                (base[i], None if tuned is None else tuned[i], None if own is None else own[i]),
            )
            for i, text in enumerate(texts)
        ]

    def probe(self, text: str) -> Reply:
        """The reply a reader would get, without storing anything (`expertbot ask`)."""
        decision, flag = self.decide(text)
        queued = decision.outcome in (Outcome.UNMATCHED, Outcome.URGENT)
        held = decision.outcome is Outcome.SUGGEST  # as a reader would be told
        return replies.for_decision(
            self.knowledge, decision, question_id=None, queued=queued, red_flag=flag, held=held
        )
