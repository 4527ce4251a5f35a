"""The learned triage check (bot/understanding/triage_model.py) and how bot/understanding/triage.py combines it with the
rules: the shipped weights against a reference output, a message the rules flag stays
flagged, the model's flag follows its category and the reading, words-only mode has no model,
and one encoding serves triage and matching. Needs the meaning signal (collected only when
it is installed, tests/conftest.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from bot.knowledge.loading import Knowledge
from bot.knowledge.schema import RedFlags
from bot.models import Outcome
from bot.understanding.semantic import TRIAGE_LAYERS, TunedView
from bot.understanding.snapshot import Snapshot
from bot.understanding.stance import Stance
from bot.understanding.text import clean
from bot.understanding.triage import Triage
from bot.understanding.triage_model import STANCES, WEIGHTS, TriageModel, features

DATA = Path(__file__).resolve().parents[1] / "data"
CLASSES = ("calm", "vascular", "breathing", "swallowing", "infection", "self_harm")
FLAGS = {
    "vascular": "filler-vision-or-skin-colour",
    "breathing": "breathing-or-throat",
    "swallowing": "swallowing-or-speaking-after-botox",
    "infection": "infection-after-procedure",
    "self_harm": "self-harm",
}


@pytest.fixture(scope="module")
def triage(bundled_knowledge: Knowledge) -> Triage:
    return Triage.build(bundled_knowledge.red_flags, meaning=True)


class _Encoder:
    """Counts calls; every text gets the same unit vector."""

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> Any:
        self.calls += 1
        return np.tile(np.eye(1, 384, 0, dtype=np.float32), (len(texts), 1))


def _model(category: str | None) -> TriageModel:
    """A model whose every answer is `category` (None: calm), sure of it."""
    bias = np.zeros(len(CLASSES))
    bias[CLASSES.index(category) if category else 0] = 20.0
    return TriageModel(
        classes=CLASSES,
        flags=FLAGS,
        weights=np.zeros((384 + len(STANCES), len(CLASSES))),
        bias=bias,
        threshold=0.8,
        info={},
    )


def _triage_vector(triage: Triage, text: str) -> Any:
    assert triage.encoder is not None
    return triage.encoder.encode_triage([text])[1][0]  # type: ignore[union-attr]


def test_the_shipped_model_gives_the_reference_probabilities(triage: Triage) -> None:
    """tests/data/make_triage_reference.py wrote these after `make train-safety`."""
    reference = json.loads((DATA / "triage_reference.json").read_text(encoding="utf-8"))
    assert reference["model_sha256"] == hashlib.sha256(WEIGHTS.read_bytes()).hexdigest(), (
        "the weights changed: run tests/data/make_triage_reference.py"
    )
    assert triage.model is not None and list(triage.model.classes) == reference["classes"]
    for row in reference["messages"]:
        verdict = triage.assess(row["text"])
        assert verdict.stance.value == row["stance"]
        vector = _triage_vector(triage, verdict.reading.text)
        p = triage.model.probabilities(features(vector, verdict.stance))
        assert np.allclose(p, row["probabilities"], atol=2e-3), row["text"]
        assert abs(p.sum() - 1) < 1e-9
        assert (verdict.flag.id if verdict.flag else None) == row["urgent"], row["text"]


def test_the_triage_layers_give_torchs_vectors(triage: Triage) -> None:
    """The numpy encoder's triage vectors (base layers 1-4, then the triage's top 2) match
    torch's from the shipped fp16 layers (bench/train_safety.py writes the reference)."""
    reference = json.loads((DATA / "triage_layers_reference.json").read_text(encoding="utf-8"))
    assert reference["layers_sha256"] == hashlib.sha256(TRIAGE_LAYERS.read_bytes()).hexdigest()
    assert triage.encoder is not None
    base, vectors = triage.encoder.encode_triage(reference["texts"])  # type: ignore[union-attr]
    assert np.abs(vectors - np.array(reference["vectors"])).max() < 1e-4
    assert np.allclose(base, triage.encoder.encode(reference["texts"]), atol=1e-5)
    assert np.abs(base - vectors).max() > 0.01  # its own layers: not the base vector


def test_the_model_records_the_layers_it_was_trained_with() -> None:
    """Layers changed without retraining the head (or the reverse) fail here: run
    `make train-safety`, which writes both."""
    model = TriageModel.load()
    assert model is not None and model.own_layers
    assert model.info["layers_sha256"] == hashlib.sha256(TRIAGE_LAYERS.read_bytes()).hexdigest()


def test_a_model_with_layers_needs_an_encoder_that_has_them(
    bundled_knowledge: Knowledge,
) -> None:
    model = TriageModel.load()
    assert model is not None and model.own_layers
    with pytest.raises(ValueError, match="make train-safety"):
        Triage(bundled_knowledge.red_flags, encoder=_Encoder(), model=model)


def test_the_shipped_model_is_small_and_records_its_training() -> None:
    model = TriageModel.load()
    assert model is not None
    assert model.weights.shape == (384 + len(STANCES), len(CLASSES))
    assert WEIGHTS.stat().st_size < 100_000
    assert TRIAGE_LAYERS.stat().st_size < 8_000_000  # two layers, fp16
    assert 0.5 <= model.threshold < 1.0
    # the reported rounds are never trained on
    assert {12, 13, 15, 19, 21, 22, 23, 24} <= set(model.info["held_out_rounds"])
    assert set(model.flags.values()) <= {f.id for f in _bundled_flags()}


def test_the_newest_blind_round_is_never_trained_on() -> None:
    """The protocol: the newest round is the reported figure (README "Safety")."""
    cases = yaml.safe_load((DATA / "triage_blind.yaml").read_text(encoding="utf-8"))
    model = TriageModel.load()
    assert model is not None
    assert max(c["round"] for c in cases) in model.info["held_out_rounds"]


def _bundled_flags() -> list[Any]:
    from bot.knowledge.loading import load_knowledge

    knowledge, _ = load_knowledge(Path(__file__).resolve().parents[2] / "knowledge")
    assert knowledge is not None
    return list(knowledge.red_flags)


def test_a_message_the_rules_flag_stays_flagged(bundled_knowledge: Knowledge) -> None:
    sure_calm = Triage(bundled_knowledge.red_flags, encoder=_Encoder(), model=_model(None))
    verdict = sure_calm.assess("my lip is white and really painful since the filler")
    assert verdict.urgency is not None and verdict.urgency < 0.01
    assert verdict.flag is not None and verdict.flag is verdict.rules


def test_the_learned_check_flags_what_the_rules_miss_with_its_category(
    bundled_knowledge: Knowledge,
) -> None:
    text = "since the neck injections, tea comes back out through my nose when I drink"
    swallowing = Triage(bundled_knowledge.red_flags, encoder=_Encoder(), model=_model("swallowing"))
    verdict = swallowing.assess(text)
    assert verdict.rules is None
    assert verdict.flag is not None and verdict.flag.id == "swallowing-or-speaking-after-botox"
    calm = Triage(bundled_knowledge.red_flags, encoder=_Encoder(), model=_model(None))
    assert calm.red_flag(text) is None


def _unsure_model(floors: dict[str, float]) -> TriageModel:
    """A model 60 % sure of calm and 40 % of self-harm: under its 0.8 threshold."""
    bias = np.full(len(CLASSES), -30.0)
    bias[0], bias[CLASSES.index("self_harm")] = np.log(0.6), np.log(0.4)
    return TriageModel(
        classes=CLASSES,
        flags=FLAGS,
        weights=np.zeros((384 + len(STANCES), len(CLASSES))),
        bias=bias,
        threshold=0.8,
        info={},
        floors=floors,
    )


@pytest.mark.parametrize(
    ("floors", "urgent"), [({}, False), ({"self_harm": 0.5}, False), ({"self_harm": 0.35}, True)]
)
def test_a_category_at_its_floor_is_urgent_under_the_threshold(
    bundled_knowledge: Knowledge, floors: dict[str, float], urgent: bool
) -> None:
    """Self-harm's own floor (bench/train_safety.py `choose_floor`): a missed one costs most."""
    check = Triage(bundled_knowledge.red_flags, encoder=_Encoder(), model=_unsure_model(floors))
    verdict = check.assess("I keep thinking about everything since the lip filler")
    assert verdict.rules is None and verdict.urgency is not None
    assert abs(verdict.urgency - 0.4) < 1e-6
    assert (verdict.flag.id if verdict.flag else None) == ("self-harm" if urgent else None)


def test_the_shipped_floor_round_trips(tmp_path: Path) -> None:
    model = _unsure_model({"self_harm": 0.75})
    model.save(tmp_path / "model.json")
    loaded = TriageModel.load(tmp_path / "model.json")
    assert loaded is not None and loaded.floors == {"self_harm": 0.75}


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        ("Can neck botox ever make drinks come back out through your nose?", Stance.RISK_QUESTION),
        ("Years ago tea came out of my nose after neck botox, it went away.", Stance.PAST),
        ("Drinks came out my nose after neck botox; the clinic treated me.", Stance.TREATED),
    ],
)
def test_the_reading_calms_the_learned_check(
    bundled_knowledge: Knowledge, text: str, stance: Stance
) -> None:
    swallowing = Triage(bundled_knowledge.red_flags, encoder=_Encoder(), model=_model("swallowing"))
    verdict = swallowing.assess(text)
    assert verdict.stance is stance and verdict.flag is None


def test_a_model_category_the_knowledge_has_no_flag_for_names_none(
    bundled_knowledge: Knowledge,
) -> None:
    every = bundled_knowledge.red_flags
    flags = RedFlags(
        [f for f in every if f.id != "infection-after-procedure"], every.terms, every.cues
    )  # type: ignore[attr-defined]
    other = Triage(flags, encoder=_Encoder(), model=_model("infection"))
    assert other.red_flag("my scar feels odd since the operation today") is None


def test_words_only_mode_has_no_learned_check(bundled_knowledge: Knowledge) -> None:
    assert Triage.build(bundled_knowledge.red_flags, meaning=False).model is None
    assert Triage(bundled_knowledge.red_flags, encoder=None, model=_model("vascular")).model is None


def test_real_readers_triage_with_the_learned_check(triage: Triage) -> None:
    """Real readers' messages, never trained on: every emergency caught. One calm one is urgent:
    the cost of self-harm's floor (README "Safety": a worried letter about a laser burn reads
    as self-harm at 0.91; no floor that the cross-validation picks spares it), so exactly that
    one and no other."""
    cases = yaml.safe_load((DATA / "real_triage.yaml").read_text(encoding="utf-8"))
    missed = [i for i, c in enumerate(cases) if c["urgent"] and not triage.red_flag(c["text"])]
    false = [i for i, c in enumerate(cases) if not c["urgent"] and triage.red_flag(c["text"])]
    assert (missed, false) == ([], [6])
    flag = triage.red_flag(cases[6]["text"])
    assert flag is not None and flag.id == "self-harm"


def test_no_risk_question_is_urgent_with_the_learned_check(
    triage: Triage, bundled_knowledge: Knowledge
) -> None:
    cases = yaml.safe_load((DATA / "risk_questions.yaml").read_text(encoding="utf-8"))
    max_chars = bundled_knowledge.settings.matching.max_chars
    urgent = [i for i, c in enumerate(cases) if triage.red_flag(clean(c["text"])[:max_chars])]
    assert urgent == []


class _Recording:
    """Records the texts the triage encodes (its reading of each message); zero vectors."""

    triage_layers = (None,)

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts: list[str]) -> Any:
        self.texts += texts
        return np.zeros((len(texts), 384), dtype=np.float32)

    def encode_triage(self, texts: list[str]) -> Any:
        return self.encode(texts), np.zeros((len(texts), 384), dtype=np.float32)


class _Batched:
    """The real encoder's vectors for texts encoded beforehand in one batch (the same vectors
    as one at a time, within float error): a thousand verdicts for a few batched encodings."""

    triage_layers = (None,)

    def __init__(self, encoder: Any, texts: list[str]) -> None:
        unique = sorted(set(texts), key=len)  # batches of like lengths: little padding
        self.vectors = {}
        self.triage = {}
        for i in range(0, len(unique), 32):
            batch = unique[i : i + 32]
            base, triage = encoder.encode_triage(batch)
            self.vectors |= dict(zip(batch, base, strict=True))
            self.triage |= dict(zip(batch, triage, strict=True))

    def encode(self, texts: list[str]) -> Any:
        return np.stack([self.vectors[t] for t in texts])

    def encode_triage(self, texts: list[str]) -> Any:
        return self.encode(texts), np.stack([self.triage[t] for t in texts])


def test_ordinary_questions_of_the_knowledge_stay_calm(
    triage: Triage, bundled_knowledge: Knowledge
) -> None:
    texts = [
        (entry.id, text)
        for entry in bundled_knowledge.entries.values()
        for text in (entry.question, *entry.alternates, *entry.examples)
    ]
    flags, model = bundled_knowledge.red_flags, triage.model
    recording = _Recording()
    first_pass = Triage(flags, encoder=recording, model=model)
    for _, text in texts:
        first_pass.red_flag(text)  # only the texts it encodes count, not its verdict
    batched = Triage(flags, encoder=_Batched(triage.encoder, recording.texts), model=model)
    assert batched.mode == triage.mode == "learned check on"
    for entry_id, text in texts:
        assert batched.red_flag(text) is None, (entry_id, text)


def test_one_encoding_serves_triage_and_matching(
    bundled_knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base vector is encoded once, for the triage and the matcher's base cosines; with
    the tuned model on (the default) the matcher adds only the tuned vector."""
    for tuned in (False, True):
        snapshot = Snapshot.build(bundled_knowledge, meaning=True, tuned=tuned)
        encoder = snapshot.safety.encoder
        assert snapshot.safety.model is not None and encoder is not None
        matcher_encoder = snapshot.matcher.encoder
        if tuned:
            assert isinstance(matcher_encoder, TunedView) and matcher_encoder.encoder is encoder
        else:
            assert matcher_encoder is encoder
        calls: list[bool | str] = []
        real_encode, real_triage = encoder.encode, encoder.encode_triage

        def counting(
            batch: list[str], *, tuned: bool = False, real_encode=real_encode, calls=calls
        ) -> Any:
            calls.append(tuned)
            return real_encode(batch, tuned=tuned)

        def counting_triage(batch: list[str], real_triage=real_triage, calls=calls) -> Any:
            calls.append("triage")
            return real_triage(batch)

        monkeypatch.setattr(encoder, "encode", counting)
        monkeypatch.setattr(encoder, "encode_triage", counting_triage)
        decision, _ = snapshot.decide("Hi doctor! How long does lip filler usually last? Thanks")
        assert decision.outcome is not Outcome.URGENT
        # the triage's encoding gives the base vector too: never the base one twice
        assert calls == (["triage", True] if tuned else ["triage"])
        monkeypatch.undo()


# tests/data/triage_blind.yaml with the whole triage (rules, reading, learned check): (share of
# emergencies caught at least, share of calm messages made urgent at most), with the check of
# issue 21d (its own top layers, trained on rounds 1-11, 14, 16-18 and 20). Rounds 12, 13, 15,
# 19 and 21 were never tuned on (README "Safety" quotes them). Round 21, the newest, is held to
# its final figure (measured twice: 95.0 % / 18 % on arrival with the regression check trained
# on rounds 1-11 and 14, 98.3 % / 14 % with the final code). Rounds 22-25, never tuned on
# either, are held to their figures with the self-harm floor (README "Safety" has every
# measurement of them). The trained-on rounds are held
# to their figures now, so a retrained check that loses them fails here.
TRIAGE_FLOORS = {
    11: (1.0, 0.08),
    12: (0.88, 0.14),
    13: (0.95, 0.16),
    14: (0.93, 0.14),
    15: (1.0, 0.28),
    16: (0.98, 0.18),
    17: (0.96, 0.12),
    18: (0.90, 0.20),
    19: (0.96, 0.28),
    20: (1.0, 0.20),
    21: (0.98, 0.14),
    22: (0.96, 0.20),
    23: (0.96, 0.22),
    24: (0.93, 0.20),
    25: (0.93, 0.20),
}


@pytest.mark.parametrize("round_", sorted(TRIAGE_FLOORS))
def test_blind_rounds_with_the_learned_check(
    triage: Triage, bundled_knowledge: Knowledge, round_: int
) -> None:
    cases = yaml.safe_load((DATA / "triage_blind.yaml").read_text(encoding="utf-8"))
    cases = [c for c in cases if c["round"] == round_]
    max_chars = bundled_knowledge.settings.matching.max_chars
    flagged = [triage.red_flag(clean(c["text"])[:max_chars]) is not None for c in cases]
    urgent = [c["urgent"] for c in cases]
    caught = sum(f for f, u in zip(flagged, urgent, strict=True) if u) / sum(urgent)
    false = sum(f for f, u in zip(flagged, urgent, strict=True) if not u) / (
        len(cases) - sum(urgent)
    )
    recall_floor, false_ceiling = TRIAGE_FLOORS[round_]
    assert caught >= recall_floor and false <= false_ceiling, (caught, false)


def test_small_talk_is_not_encoded(
    bundled_knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = Snapshot.build(bundled_knowledge, meaning=True)
    encoder = snapshot.safety.encoder
    calls: list[list[str]] = []
    real_encode, real_triage = encoder.encode, encoder.encode_triage

    def counting(batch: list[str], **kwargs: Any) -> Any:
        calls.append(batch)
        return real_encode(batch, **kwargs)

    def counting_triage(batch: list[str]) -> Any:
        calls.append(batch)
        return real_triage(batch)

    monkeypatch.setattr(encoder, "encode", counting)
    monkeypatch.setattr(encoder, "encode_triage", counting_triage)
    decision, _ = snapshot.decide("thanks so much!")
    assert decision.outcome is Outcome.SMALLTALK and calls == []
    decision, flag = snapshot.decide("thanks! btw my lip went white since the filler")
    assert decision.outcome is Outcome.URGENT and flag is not None  # the rules read it
