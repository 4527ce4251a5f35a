"""Synthetic knowledge for the speed benchmarks: entries recombined from the real questions,
alternates and answers (same words, same shapes), so the vocabulary stays the real one.
Nested bases from one seeded stream: bench_matching.py, bench_meaning.py and bench_bot.py
measure the same entries."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Entry

SEED = 20261127

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class Pools:
    """The real knowledge's material that synthetic entries are recombined from."""

    questions: tuple[str, ...]
    alternates: tuple[str, ...]
    sentences: tuple[str, ...]
    words: tuple[str, ...]  # content words, repeated as often as they occur (Zipf-like draws)


def make_pools(entries: Sequence[Entry]) -> Pools:
    questions = tuple(e.question for e in entries)
    alternates = tuple(a for e in entries for a in e.alternates)
    answers = [e.answer for e in entries]
    sentences = tuple(
        s.strip() for text in answers for s in _SENTENCE_END.split(text) if len(s.split()) >= 4
    )
    words = tuple(
        w
        for text in (*questions, *alternates, *answers)
        for w in _WORD.findall(text)
        if len(w) >= 4
    )
    return Pools(questions, alternates, sentences, words)


def recombine(rng: random.Random, first: str, second: str, words: Sequence[str]) -> str:
    """The start of one question + the end of another, with one or two words swapped."""
    a = first.rstrip("?").split()
    b = second.rstrip("?").split()
    out = a[: rng.randint(1, max(1, len(a) - 1))] + b[rng.randint(1, max(1, len(b) - 1)) :]
    content = [i for i, w in enumerate(out) if len(w) >= 4]
    for i in rng.sample(content, k=min(len(content), rng.randint(1, 2))):
        out[i] = rng.choice(words).lower()
    return " ".join(out) + "?"


def synthetic_entry(rng: random.Random, pools: Pools, number: int) -> Entry:
    entry_id = f"synthetic-{number:05d}"
    question = recombine(rng, *rng.sample(pools.questions, 2), pools.words)
    alternates = tuple(
        recombine(rng, *rng.sample(pools.alternates, 2), pools.words)
        for _ in range(rng.randint(2, 7))
    )
    answer = " ".join(rng.sample(pools.sentences, rng.randint(3, 8)))
    return Entry(
        id=entry_id,
        question=question,
        answer=answer,
        link=f"https://example.org/synthetic/{entry_id}",
        alternates=alternates,
        reviewed=dt.date(2026, 1, 1),
        topic="synthetic",
    )


def knowledge_bases(
    real: Sequence[Entry], sizes: Sequence[int], seed: int
) -> dict[int, list[Entry]]:
    """Nested knowledge bases: each is the real entries plus a prefix of one synthetic stream."""
    rng = random.Random(seed)
    pools = make_pools(real)
    extra = [synthetic_entry(rng, pools, n) for n in range(max(sizes) - len(real))]
    return {size: [*real, *extra[: max(0, size - len(real))]] for size in sizes}
