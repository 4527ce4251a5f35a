"""Which posts the knowledge already has: a post is a duplicate when its question already is an
entry's question or alternate (served or draft, or a post met earlier in the same import), or
its link already is an entry's link.

"Already is" means the same words (case, punctuation and spacing aside, or a near-identical
spelling: rapidfuzz ratio ≥ SAME_WORDS) and, with the meaning signal on (bot/understanding/semantic.py), the
same meaning: the cosine of the two questions' sentence vectors ≥ SAME_MEANING. That threshold
sits above what different questions reach: on the bundled knowledge the closest questions of
two different entries reach 0.83 ("Can melasma be cured …" / "Which non-prescription
treatments … help melasma?"), while a rewording ("Is retinol safe during pregnancy?" / "Can I
use retinol while pregnant?") gives 0.94; near-misses such as retinol / vitamin C in pregnancy
give about 0.69.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bot.knowledge.importing.post import Post
from bot.models import Entry
from bot.understanding.text import normalise

SAME_MEANING = 0.88
SAME_WORDS = 95


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A post that is skipped, and the entry (or earlier post) it repeats."""

    post: Post
    of: str  # the entry id, or the earlier post's title
    why: str  # "the same question", "the same meaning as …", "the same link"


class Duplicates:
    """Finds the posts the knowledge (and the import so far) already has. `served`: the
    served entries in the knowledge's order, whose phrasings are then the very list the matcher
    encodes: their vectors come from the encoder's disk cache when the bot or `kb check` has
    run on this knowledge."""

    def __init__(
        self, served: Iterable[Entry], drafts: Iterable[Entry] = (), encoder: Any | None = None
    ) -> None:
        self._encoder = encoder
        self._texts: list[str] = []  # every known phrasing, normalised
        self._owner: list[str] = []  # its entry id
        self._originals: list[str] = []
        self._links: dict[str, str] = {}
        served_texts = 0
        for n, group in enumerate((served, drafts)):
            for entry in group:
                for text in (entry.question, *entry.alternates):
                    self._know(text, entry.id)
                if entry.link:
                    self._links.setdefault(entry.link.rstrip("/"), entry.id)
            if n == 0:
                served_texts = len(self._originals)
        self._vectors: Any = None
        if encoder is not None and self._originals:
            import numpy as np  # the meaning signal is on: numpy is installed

            self._vectors = np.concatenate(
                [
                    encoder.encode_cached(self._originals[:served_texts]),
                    encoder.encode(self._originals[served_texts:]),
                ]
            )

    def _know(self, text: str, owner: str) -> None:
        self._texts.append(normalise(text))
        self._owner.append(owner)
        self._originals.append(text)

    def split(self, posts: Sequence[Post], ids: Sequence[str]) -> list[Duplicate | None]:
        """For each post, in order: None when it is new (it then counts as known, under its
        id, for the posts after it), else the Duplicate it is."""
        result: list[Duplicate | None] = []
        vectors = self._post_vectors(posts)
        # post-to-knowledge similarities at once; post-to-post as the import goes
        known_best: list[tuple[float, int]] = []
        if vectors is not None and self._vectors is not None:
            sims = vectors @ self._vectors.T
            known_best = [(float(row.max()), int(row.argmax())) for row in sims]
        kept: list[int] = []  # indexes of the posts taken so far
        for i, post in enumerate(posts):
            found = self._by_link(post) or self._by_words(post)
            if found is None and known_best and known_best[i][0] >= SAME_MEANING:
                score, j = known_best[i]
                found = Duplicate(
                    post,
                    self._owner[j],
                    f"the same meaning as {self._originals[j]!r} ({score:.2f})",
                )
            if found is None and vectors is not None and kept:
                sims = vectors[kept] @ vectors[i]
                k = int(sims.argmax())
                if float(sims[k]) >= SAME_MEANING:
                    earlier = posts[kept[k]]
                    found = Duplicate(
                        post,
                        ids[kept[k]],
                        f"the same meaning as {earlier.question!r} ({float(sims[k]):.2f})",
                    )
            result.append(found)
            if found is None:
                kept.append(i)
                for text in (post.question, *post.alternates):
                    self._texts.append(normalise(text))
                    self._owner.append(ids[i])
                    self._originals.append(text)
                self._links.setdefault(post.link.rstrip("/"), ids[i])
        return result

    def _post_vectors(self, posts: Sequence[Post]) -> Any:
        if self._encoder is None or not posts:
            return None
        return self._encoder.encode([p.question for p in posts])

    def _by_link(self, post: Post) -> Duplicate | None:
        owner = self._links.get(post.link.rstrip("/"))
        return Duplicate(post, owner, f"the same link {post.link}") if owner else None

    def _by_words(self, post: Post) -> Duplicate | None:
        norm = normalise(post.question)
        if not self._texts:
            return None
        best = process.extractOne(
            norm, self._texts, scorer=fuzz.ratio, score_cutoff=SAME_WORDS, processor=None
        )
        if best is None:
            return None
        _, score, j = best
        what = "the same question" if score == 100 else f"nearly the same words ({score:.0f})"
        return Duplicate(post, self._owner[j], f"{what} as {self._originals[j]!r}")
