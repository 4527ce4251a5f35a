"""The knowledge's phrasings as unit vectors, each owned by an entry, and the best cosine per
entry for a message's vectors: the meaning signal's index (bot/understanding/semantic.py
encodes, this compares)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Phrasings:
    """The knowledge's phrasings as unit vectors, each owned by an entry: per entry, the best
    cosine between any of its phrasings and any of a message's vectors.

    At 10,000 entries (~55,000 phrasings, 85 MB) this is what the meaning signal costs beyond
    encoding the message: the product is memory-bound, so it runs in blocks of rows that stay
    in the CPU's cache for every query vector (a single product with two query vectors reads
    the matrix about twice as slowly), and the maximum per entry is taken in numpy, not in a
    Python loop over the phrasings.
    """

    ROWS_PER_BLOCK = 1024  # 1.5 MB of float32 vectors: fits the L2 cache of common CPUs

    def __init__(self, vectors: Any, owners: Sequence[int]) -> None:
        """`owners[i]`: the entry that phrasing `i` belongs to; the entries are 0, 1, 2, ...
        each with at least one phrasing, its phrasings next to each other."""
        import numpy as np

        self._np = np
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        owner = np.asarray(owners, dtype=np.int64)
        if len(owner) != len(self.vectors):
            raise ValueError("one owner per phrasing")
        starts = np.flatnonzero(np.diff(owner, prepend=-1))
        if len(owner) and not np.array_equal(owner[starts], np.arange(len(starts))):
            raise ValueError("owners must be 0, 1, 2, ... with their phrasings together")
        self._starts = starts
        self.entries = len(starts)

    def best(self, queries: Any) -> Any:
        """(entries,) float32: per entry, the highest cosine of its phrasings with any query."""
        np = self._np
        if self.entries == 0:
            return np.zeros(0, np.float32)
        q = np.ascontiguousarray(np.atleast_2d(queries).T, dtype=np.float32)
        sims = np.empty((len(self.vectors), q.shape[1]), np.float32)
        step = self.ROWS_PER_BLOCK
        for start in range(0, len(self.vectors), step):
            np.matmul(self.vectors[start : start + step], q, out=sims[start : start + step])
        return np.maximum.reduceat(sims.max(axis=1), self._starts)
