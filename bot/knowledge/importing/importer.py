"""`expertbot kb import`: posts in, draft entries written into one topic file, adding lines only.

Steps: read every post (bot/knowledge/importing/sources.py: any bad post stops the import before anything
is written); load today's knowledge (it must have no errors); skip the posts the knowledge
already has (bot/knowledge/importing/duplicates.py); give each new post an id from its title, unique in
the knowledge; write them as `draft: true` entries at the end of the topic file (a new file when
there is none), by inserting lines only (bot/knowledge/writing.py); load the changed folder in a
temporary copy (bot/knowledge/change.py) and refuse it when it brings an error or a warning the
knowledge did not have; then replace the file atomically — unless it is a dry run. The
warnings that need the matcher (examples, near-duplicate questions, answer length) are about
served entries only, which drafts cannot change: they are not run again (a whole `kb check`
costs seconds per thousand entries; `kb publish` runs it for the drafts it serves).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.knowledge import change as kbchange
from bot.knowledge import writing as kbwrite
from bot.knowledge.checks import too_long
from bot.knowledge.files import rel_path, topic_files
from bot.knowledge.importing.duplicates import Duplicate, Duplicates
from bot.knowledge.importing.post import KbImportError, Post
from bot.knowledge.importing.sources import read_posts
from bot.knowledge.loading import load_knowledge
from bot.knowledge.schema import SLUG
from bot.understanding import semantic


@dataclass(frozen=True, slots=True)
class Written:
    """A post written as a draft entry: its id, where it is, and whether its answer is too
    long for one Telegram message (kept whole: the admin shortens it)."""

    post: Post
    id: str
    file: str
    line: int
    too_long: bool


@dataclass(slots=True)
class ImportResult:
    file: str  # the topic file, as `kb check` names it
    new_file: bool
    dry_run: bool
    posts: int = 0
    written: list[Written] = field(default_factory=list)
    skipped: list[Duplicate] = field(default_factory=list)


def import_source(
    source: Path | str,
    knowledge_dir: Path | str,
    topic: str,
    *,
    dry_run: bool = False,
    meaning: bool | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Import `source` into `knowledge_dir`/topics/`topic`.yaml (see the module docstring).
    `meaning`: compare questions by meaning too (default: when the meaning signal is on)."""
    root = Path(knowledge_dir)
    if not SLUG.match(topic):
        raise KbImportError(
            f"topic '{topic}': a topic is a file name such as my-blog (lowercase letters, digits"
            " and single hyphens)"
        )
    posts = read_posts(Path(source))
    before, problems = load_knowledge(root)
    if before is None:
        raise KbImportError(
            f"the knowledge in {root} has errors; fix them first (expertbot kb check {root})"
        )
    existing = set(before.drafts) | set(before.entries)
    use_meaning = semantic.enabled() if meaning is None else meaning
    encoder = semantic.shared_encoder() if use_meaning else None
    # provisional ids name the posts of this import in the duplicates' reports; the posts
    # written then get theirs afresh, so a skipped post takes no id from them
    provisional = _ids(posts, existing)
    verdicts = Duplicates(before.entries.values(), before.drafts.values(), encoder).split(
        posts, provisional
    )
    kept = [p for p, d in zip(posts, verdicts, strict=True) if d is None]
    final = dict(
        zip(
            (provisional[i] for i, d in enumerate(verdicts) if d is None),
            _ids(kept, existing),
            strict=True,
        )
    )
    verdicts = [d if d is None else replace(d, of=final.get(d.of, d.of)) for d in verdicts]
    ids = [final.get(i, i) for i in provisional]
    path = next((p for p in topic_files(root) if p.stem == topic), None)
    new_file = path is None
    if path is None:
        path = root / "topics" / f"{topic}.yaml"
    result = ImportResult(file=rel_path(path, root), new_file=new_file, dry_run=dry_run)
    result.posts = len(posts)
    entries: list[dict[str, Any]] = []
    for post, entry_id, duplicate in zip(posts, ids, verdicts, strict=True):
        if duplicate is not None:
            result.skipped.append(duplicate)
        else:
            entries.append(_entry(post, entry_id))
    if not entries:
        return result
    day = (today or dt.date.today()).isoformat()
    comment = (
        f"Imported from {Path(source).name} on {day}: drafts, not served. Review each against"
        " its post, then `expertbot kb publish ID`."
    )
    try:
        if new_file:
            text = kbwrite.new_topic_file(_title(topic), entries, comment)
        else:
            text = kbwrite.append_entries(path.read_text(encoding="utf-8"), entries, comment)
    except kbwrite.KbWriteError as exc:
        raise KbImportError(f"{result.file}: {exc}") from None
    except OSError as exc:
        raise KbImportError(f"cannot read {path}: {exc.strerror or exc}") from None
    after, after_problems = kbchange.check_with(root, {path: text}, full=False)
    new = kbchange.new_problems(problems, after_problems)
    if after is None or new:
        raise KbImportError(f"nothing written: the import would give {kbchange.listed(new)}")
    for post, entry in zip(
        (p for p, d in zip(posts, verdicts, strict=True) if d is None), entries, strict=True
    ):
        draft = after.drafts[entry["id"]]
        _, line = after.where(entry["id"])
        result.written.append(Written(post, entry["id"], result.file, line, too_long(after, draft)))
    if not dry_run:
        _write(path, text, root)
    return result


def _ids(posts: list[Post], taken: set[str]) -> list[str]:
    """An id per post, unused in the knowledge and among these posts: the source's own id
    (CSV / YAML) when it is free, else one made from the title."""
    taken = set(taken)
    ids = []
    for post in posts:
        entry_id = post.id if post.id and post.id not in taken else ""
        ids.append(entry_id or kbwrite.unique_slug(post.title, taken))
        taken.add(ids[-1])
    return ids


def _entry(post: Post, entry_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": entry_id, "question": post.question}
    if post.alternates:
        entry["alternates"] = list(post.alternates)
    # a multi-line answer ends with a line break: written `answer: |`, like the others
    entry["answer"] = post.answer + ("\n" if "\n" in post.answer else "")
    entry["link"] = post.link
    entry["draft"] = True
    return entry


def _title(topic: str) -> str:
    return topic.replace("-", " ").capitalize()


def _write(path: Path, text: str, root: Path) -> None:
    try:
        kbwrite.write_atomically(path, text)
    except OSError as exc:
        raise KbImportError(f"cannot write {rel_path(path, root)}: {exc.strerror or exc}") from None
