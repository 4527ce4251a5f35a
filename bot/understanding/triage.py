"""Triage: the rules, the reading and the learned check, decided before any matching.

1. The reading (bot/understanding/stance.py): a message that is only a question about a risk is never
   urgent, whatever its words, for every flag that may be calmed by a question (`calm_when:
   question`; not self-harm, whose messages often read as questions).
2. The rules (bot/understanding/safety.py): a flag they raise stands.
3. The learned check (bot/understanding/triage_model.py), with the meaning signal on: when the rules raise
   nothing, a message whose probability of being an emergency reaches the model's threshold
   is urgent, with the flag of its most likely category; below that threshold, a category
   whose own probability reaches its floor (self-harm: a missed one costs most) is urgent with
   its flag. Not when the reading says the message is over or already treated (the rules' own
   calm reasons cover those).
Words-only mode (EXPERTBOT_SEMANTIC=off, or no model shipped) keeps steps 1 and 2.

The learned check reads the triage vector of the text the matcher encodes (without greeting
and signature, bot/understanding/reading.py); the encoder computes it with the base vector the
matcher needs, sharing the lower layers (`encode_triage`): `assess` returns the base vector,
and `Snapshot.decide` hands it on, so the base model runs once per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.knowledge.schema import RedFlag
from bot.understanding import semantic
from bot.understanding.reading import Reading, read
from bot.understanding.safety import SafetyCheck
from bot.understanding.stance import Stance, read_stance
from bot.understanding.triage_model import TriageModel, features

if TYPE_CHECKING:
    from bot.understanding.semantic import Encoder


@dataclass(frozen=True, slots=True)
class Verdict:
    """What triage decided about one message, and why (for tests, eval and the bench)."""

    flag: RedFlag | None  # the urgent flag, or None
    rules: RedFlag | None  # what the rules alone raised
    stance: Stance
    urgency: float | None  # 1 - p(calm) from the learned check; None without it
    reading: Reading  # the message read (the matcher reuses it)
    vector: Any = None  # the message's base meaning vector, when computed


class Triage:
    """`Triage.build(knowledge.red_flags).red_flag(text)`: the urgent flag or None."""

    def __init__(
        self,
        red_flags: Sequence[RedFlag],
        *,
        encoder: Encoder | None = None,
        model: TriageModel | None = None,
        max_chars: int = 2000,
    ) -> None:
        self.rules = SafetyCheck(red_flags)
        self.encoder = encoder if model is not None else None
        self.model = model if encoder is not None else None
        has_layers = bool(getattr(encoder, "triage_layers", None))
        if self.model is not None and self.model.own_layers and not has_layers:
            raise ValueError("the triage model needs its layers: run `make train-safety`")
        self.max_chars = max_chars
        by_id = {flag.id: flag for flag in red_flags}
        # the model's categories that this knowledge has a flag for (another expert's
        # safety.yaml may not): the model names no flag the knowledge lacks
        self._flag_of = (
            {c: by_id[i] for c, i in self.model.flags.items() if i in by_id} if self.model else {}
        )

    @classmethod
    def build(
        cls, red_flags: Sequence[RedFlag], *, meaning: bool | None = None, max_chars: int = 2000
    ) -> Triage:
        """With the learned check when the meaning signal is on (`meaning`, default: the
        environment, as Snapshot.build) and a model is shipped."""
        on = semantic.enabled() if meaning is None else meaning
        model = TriageModel.load() if on else None
        encoder = semantic.shared_encoder() if model is not None else None
        return cls(red_flags, encoder=encoder, model=model, max_chars=max_chars)

    @property
    def mode(self) -> str:
        return "learned check on" if self.model is not None else "rules and reading only"

    def red_flag(self, text: str) -> RedFlag | None:
        return self.assess(text).flag

    def assess(
        self,
        text: str,
        reading: Reading | None = None,
        *,
        learned: bool = True,
        vector: Any = None,
        triage_vector: Any = None,
    ) -> Verdict:
        """The verdict on `text` (already cleaned and cut to max_chars by the caller).
        `learned=False` skips the learned check (and the encoding): for a message that is
        only small talk ("thanks!"), which the rules still read. `vector`: the reading's base
        meaning vector, and `triage_vector` the triage's, when the caller encoded them with
        others in one batch (`kb check`)."""
        reading = reading or read(text)
        stance = read_stance(text).stance
        ruled = self.rules.red_flag(text)
        risk_only = stance is Stance.RISK_QUESTION
        if ruled is not None and not (risk_only and "question" in ruled.calm_when):
            flag: RedFlag | None = ruled
        else:
            flag = None
        if self.model is None or self.encoder is None or not learned:
            return Verdict(flag, ruled, stance, None, reading)
        text_read = reading.text[: self.max_chars]
        if self.model.own_layers:  # its own top layers, over the base model's lower ones
            if triage_vector is None or vector is None:
                base, own = self.encoder.encode_triage([text_read])  # type: ignore[union-attr]
                vector, triage_vector = base[0], own[0]
            x = features(triage_vector, stance)
        else:
            if vector is None:
                vector = self.encoder.encode([text_read])[0]
            x = features(vector, stance)
        p = self.model.probabilities(x)
        urgency = float(1.0 - p[0])
        if flag is None and ruled is None:
            flag = self._learned_flag(p, stance, urgency)
        return Verdict(flag, ruled, stance, urgency, reading, vector)

    def _learned_flag(self, p: Any, stance: Stance, urgency: float) -> RedFlag | None:
        """At the model's threshold, the flag of the most likely emergency category; below
        it, that of a category whose own probability reaches its floor (`TriageModel.floors`:
        self-harm). None when the knowledge has no flag for it, or the reading calms it."""
        model = self.model
        assert model is not None
        if urgency >= model.threshold:
            top = max(range(1, len(p)), key=lambda k: p[k])
        else:
            floored = [k for k, c in enumerate(model.classes) if p[k] >= model.floors.get(c, 2.0)]
            if not floored:
                return None
            top = max(floored, key=lambda k: p[k])
        flag = self._flag_of.get(model.classes[top])
        if flag is None:
            return None
        calm = flag.calm_when
        if stance is Stance.RISK_QUESTION and "question" in calm:
            return None
        if stance is Stance.PAST and "resolved" in calm:
            return None
        if stance is Stance.TREATED and "treated" in calm:
            return None
        return flag
