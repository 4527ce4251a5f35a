"""`expertbot kb publish ID…`: reviewed drafts become served entries.

Each draft gets `reviewed: <today>` and loses its `draft:` line (bot/knowledge/writing.py: only those
lines change). A draft without a `link` cannot be served and is refused. The changed folder is
checked in a temporary copy first (bot/knowledge/change.py): a draft whose publishing would bring an
error or a warning the knowledge did not have — an answer too long for one Telegram message, a
question that nearly duplicates a served one — is refused with the reason, and the others are
still published. Files are replaced atomically; a running bot serves them within seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge import change as kbchange
from bot.knowledge import writing as kbwrite
from bot.knowledge.checks import check
from bot.knowledge.files import Problem, rel_path, topic_files
from bot.knowledge.loading import Knowledge


class PublishError(Exception):
    """Nothing can be published (knowledge with errors, a file that cannot be written)."""


@dataclass(slots=True)
class Published:
    published: list[tuple[str, str, int]] = field(default_factory=list)  # id, file, line
    refused: list[tuple[str, str]] = field(default_factory=list)  # id, why


def publish(
    knowledge_dir: Path | str, ids: Sequence[str], today: dt.date | None = None
) -> Published:
    root = Path(knowledge_dir)
    result = Published()
    wanted = list(dict.fromkeys(ids))
    before, problems = check(root)
    if before is None:
        raise PublishError(
            f"the knowledge in {root} has errors; fix them first (expertbot kb check {root})"
        )
    day = (today or dt.date.today()).isoformat()
    files = {rel_path(p, root): p for p in topic_files(root)}
    plans: dict[str, Path] = {}
    for entry_id in wanted:
        why = _refusal(before, entry_id)
        if why:
            result.refused.append((entry_id, why))
        else:
            plans[entry_id] = files[before.where(entry_id)[0]]
    while plans:
        texts: dict[Path, str] = {}
        for entry_id, path in list(plans.items()):
            try:
                text = texts.get(path) or path.read_text(encoding="utf-8")
                texts[path] = kbwrite.publish_entry(text, entry_id, day)
            except (kbwrite.KbWriteError, OSError) as exc:
                result.refused.append((entry_id, str(exc)))
                del plans[entry_id]
        if not plans:
            break
        after, after_problems = kbchange.check_with(root, texts)
        new = kbchange.new_problems(problems, after_problems)
        blamed = _blame(new, plans)
        if not new:
            _write(root, texts)
            for entry_id in plans:
                assert after is not None
                file, line = after.where(entry_id)
                result.published.append((entry_id, file, line))
            break
        for entry_id, found in blamed.items():
            result.refused.append((entry_id, f"it would give {kbchange.listed(found)}"))
            del plans[entry_id]
        if not blamed:  # a problem no draft is named in: refuse them all
            for entry_id in plans:
                result.refused.append((entry_id, f"the change would give {kbchange.listed(new)}"))
            break
    order = {entry_id: i for i, entry_id in enumerate(wanted)}
    result.refused.sort(key=lambda r: order.get(r[0], 0))
    return result


def _refusal(knowledge: Knowledge, entry_id: str) -> str:
    if entry_id in knowledge.entries:
        return "already served (it has `reviewed` and no `draft: true`)"
    draft = knowledge.drafts.get(entry_id)
    if draft is None:
        return "no such entry"
    if not draft.link:
        return "it has no `link`: add the source's web address first"
    return ""


def _blame(problems: list[Problem], plans: dict[str, Path]) -> dict[str, list[Problem]]:
    """The drafts each new problem names ('id' in its message)."""
    blamed: dict[str, list[Problem]] = {}
    for problem in problems:
        for entry_id in plans:
            if f"'{entry_id}'" in problem.message:
                blamed.setdefault(entry_id, []).append(problem)
    return blamed


def _write(root: Path, texts: dict[Path, str]) -> None:
    for path, text in texts.items():
        try:
            kbwrite.write_atomically(path, text)
        except OSError as exc:
            raise PublishError(
                f"cannot write {rel_path(path, root)}: {exc.strerror or exc}"
            ) from None
