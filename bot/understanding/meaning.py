"""The matcher's meaning side: every entry's phrasings (question and alternates) as vectors
of the base model, and of the tuned one when the matcher is given it; per message the best
cosine per entry by each; the closeness that blends meaning with the words' scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.models import Entry
from bot.understanding.phrasings import Phrasings

if TYPE_CHECKING:
    from bot.understanding.semantic import Encoder, TunedView


class MeaningIndex:
    """Built once per knowledge version with the matcher; read-only after."""

    def __init__(self, entries: Sequence[Entry], encoder: Encoder | TunedView) -> None:
        from bot.understanding.semantic import TunedView  # numpy only with the meaning signal

        self.encoder = encoder
        self.tuned: Phrasings | None = None
        texts = [(i, t) for i, e in enumerate(entries) for t in (e.question, *e.alternates)]
        phrasings, owners = [t for _, t in texts], [i for i, _ in texts]
        if isinstance(encoder, TunedView):
            # the base model ranks (it ranks the right entry first slightly more often);
            # the tuned one tells a right best entry from a near-miss (its own features)
            self.tuned = Phrasings(encoder.encode_cached(phrasings), owners)
            base = encoder.encoder.encode_cached(phrasings)
        else:
            base = encoder.encode_cached(phrasings)
        self.base = Phrasings(base, owners)

    def cosines(self, text: str, vector: Any = None, tuned: Any = None) -> tuple[Any, Any]:
        """(base, tuned) cosines per entry; tuned is None without the tuned model (`vector`:
        the base vector, `tuned`: the tuned one, when already encoded)."""
        base, tuned = self.vectors(text, vector, tuned)
        return self.base.best(base), None if self.tuned is None else self.tuned.best(tuned)

    def vectors(self, text: str, vector: Any = None, tuned: Any = None) -> tuple[Any, Any]:
        """(base, tuned) vectors of one text (one row each; tuned None without the tuned
        model), encoding only those not given, in one encoder call."""
        if self.tuned is None:
            return (vector if vector is not None else self.encoder.encode([text])), None
        if vector is not None and tuned is not None:
            return vector, tuned
        if vector is not None:
            return vector, self.encoder.encoder.encode([text], tuned=True)  # type: ignore[union-attr]
        return self.encoder.encoder.encode_both([text])  # type: ignore[union-attr]

    def encode(self, texts: list[str], base: Any = None) -> tuple[Any, Any]:
        """(base, tuned) vectors of many texts in one batch, for `cosines` (tuned is None
        without the tuned model); `base`: their base vectors, when already encoded."""
        if self.tuned is None:
            return (base if base is not None else self.encoder.encode(texts)), None
        if base is not None:
            return base, self.encoder.encoder.encode(texts, tuned=True)  # type: ignore[union-attr]
        return self.encoder.encoder.encode_both(texts)  # type: ignore[union-attr]


def blend(meaning: Any, words: dict[int, float], share: float) -> tuple[list[int], Any]:
    """Closeness of every entry, `share` of it from the meaning (numpy: 10,000 entries cost
    no Python loop), and the best few entries in order."""
    import numpy as np

    closeness = share * np.clip(meaning.astype(np.float64), 0.0, None)
    for i, x in words.items():
        closeness[i] += (1 - share) * x
    k = min(6, len(closeness))
    best = np.argpartition(-closeness, k - 1)[:k] if k else np.zeros(0, int)
    order = sorted((int(i) for i in best if closeness[i] > 0), key=lambda i: (-closeness[i], i))
    return order, closeness


def second_best(values: Any, top: int) -> float:
    """The highest value of any entry but `top`."""
    if len(values) < 2:
        return 0.0
    two = values[values.argpartition(-2)[-2:]] if len(values) > 2 else values
    best = float(values[top])
    higher = sorted((float(v) for v in two), reverse=True)
    return higher[1] if higher[0] == best else higher[0]
