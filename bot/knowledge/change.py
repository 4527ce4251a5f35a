"""A change to the knowledge files, checked before it is written: the whole folder is loaded and
checked with the changed texts in a temporary copy, and compared with the checks of today's
files — an accepted proposal may not bring an error or a warning the knowledge did not have.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

from bot.knowledge.checks import check
from bot.knowledge.files import Problem, knowledge_files
from bot.knowledge.loading import Knowledge, load_knowledge


def check_with(
    root: Path, texts: dict[Path, str], *, full: bool = True
) -> tuple[Knowledge | None, list[Problem]]:
    """`kb check` of `root` with `texts` in place of those files (in a copy of the same folder
    name, so problems name the same files); a path not in the folder yet is a new file.
    `full=False`: loading only (errors, and the warnings of the files themselves), without the
    warnings that need the matcher — enough for a change that adds only drafts, which are
    never served and so cannot change what the matcher does."""
    with tempfile.TemporaryDirectory(prefix="expertbot-accept-") as tmp:
        copy = Path(tmp) / (root.resolve().name or "knowledge")
        (copy / "topics").mkdir(parents=True)
        for path in knowledge_files(root):
            target = copy / path.relative_to(root)
            if path in texts:
                target.write_text(texts[path], encoding="utf-8")
            else:
                shutil.copyfile(path, target)
        for path, text in texts.items():  # a new topic file
            target = copy / path.resolve().relative_to(root.resolve())
            if not target.exists():
                target.write_text(text, encoding="utf-8")
        return check(copy) if full else load_knowledge(copy)


def new_problems(before: list[Problem], after: list[Problem]) -> list[Problem]:
    """Problems of `after` that `before` did not have (compared without line numbers: added
    lines move the ones below). Notes are not problems that refuse a change."""
    old = Counter((p.file, p.severity, p.message) for p in before)
    new = []
    for problem in after:
        if problem.severity == "note":
            continue
        key = (problem.file, problem.severity, problem.message)
        if old[key]:
            old[key] -= 1
        else:
            new.append(problem)
    return new


def listed(problems: list[Problem], most: int = 5) -> str:
    """Problems for one line of a refusal: the first few, and how many more."""
    shown = "; ".join(str(p) for p in problems[:most])
    return shown + (f" (and {len(problems) - most} more)" if len(problems) > most else "")
