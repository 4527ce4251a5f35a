"""The knowledge folder, loaded: `load_knowledge` reads it in named steps (the folder, the
optional settings files, the topics, the related-entries check) and returns a `Knowledge`, or
every problem with file and line.

Only `topics/` is required. A missing `bot.yaml`, `synonyms.yaml` or `safety.yaml` means the
defaults (bot/knowledge/schema.py), so another expert can start from nothing but their own entries.
What each file may hold is `bot/knowledge/schema.py`; reading one file is `bot/knowledge/files.py`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.knowledge.files import (
    Problem,
    fingerprint,
    knowledge_files,
    present,
    read_file,
    rel_path,
    topic_files,
    validate,
)
from bot.knowledge.schema import (
    BotSettings,
    Cues,
    EntryModel,
    RedFlag,
    RedFlags,
    SafetyFile,
    TopicFile,
)
from bot.knowledge.yamlfile import LineDict, LineList, line_of
from bot.models import Entry, Topic
from bot.understanding.phrases import phrase_error


@dataclass(slots=True)
class Knowledge:
    """A loaded, valid knowledge folder. Immutable once built; a reload builds a new one."""

    entries: dict[str, Entry]  # served entries only (reviewed)
    drafts: dict[str, Entry]
    topics: list[Topic]
    settings: BotSettings
    synonyms: dict[str, list[str]]
    red_flags: list[RedFlag]  # a RedFlags list: it carries safety.yaml's terms and cues
    version: str
    source: dict[str, tuple[str, int]] = field(default_factory=dict)  # entry id -> file, line
    # entry id -> key ("question", "answer", "examples.0", ...) -> line, for warnings
    key_lines: dict[str, dict[str, int]] = field(default_factory=dict)
    # safety.yaml: "red_flags.0.examples.2" -> file, line, for kb check's warnings on red flags
    safety_lines: dict[str, tuple[str, int]] = field(default_factory=dict)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def where(self, entry_id: str, key: str | None = None) -> tuple[str, int]:
        """File and line of an entry, or of one of its keys when known."""
        file, line = self.source.get(entry_id, ("?", 1))
        if key is not None:
            line = self.key_lines.get(entry_id, {}).get(key, line)
        return file, line


def load_knowledge(root: Path | str) -> tuple[Knowledge | None, list[Problem]]:
    """Load and validate a knowledge folder. Returns (None, problems) when there is any error."""
    root = Path(root)
    unusable = _folder_problem(root)
    if unusable is not None:
        return None, [unusable]
    problems: list[Problem] = []
    bot_file, found = _load_optional(root, "bot.yaml", BotSettings)
    problems += found
    synonyms, found = _load_synonyms(root)
    problems += found
    red_flags, safety_lines, found = _load_safety(root)
    problems += found
    topics, found = _load_topics(root)
    problems += found
    problems += _check_related(topics)
    if any(p.severity == "error" for p in problems):
        return None, problems
    knowledge = Knowledge(
        entries=topics.entries,
        drafts=topics.drafts,
        topics=[t for t in topics.topics if t.entry_ids],
        settings=bot_file or BotSettings(),
        synonyms=synonyms,
        red_flags=red_flags,
        version=fingerprint(knowledge_files(root)),
        source=topics.source,
        key_lines=topics.key_lines,
        safety_lines=safety_lines,
    )
    return knowledge, problems


def _folder_problem(root: Path) -> Problem | None:
    """Why the folder cannot be loaded at all: it or its topics/ folder is missing or unreadable."""
    if not root.is_dir():
        return Problem(str(root), 1, "error", "knowledge folder not found")
    if not (root / "topics").is_dir():
        return Problem(str(root / "topics"), 1, "error", "no topics/ folder: it is required")
    try:  # (glob would quietly find no files in a folder it may not list)
        with os.scandir(root / "topics"):
            pass
    except OSError as exc:
        return Problem(
            rel_path(root / "topics", root),
            1,
            "error",
            f"cannot read the topics/ folder: {exc.strerror or exc}",
        )
    return None


def _load_optional(root: Path, name: str, model: type[BaseModel]) -> tuple[Any, list[Problem]]:
    """bot.yaml as `model`; (None, []) when the file is absent (the defaults)."""
    path = root / name
    if not present(path):
        return None, []
    data, problems = read_file(path, root)
    if problems:
        return None, problems
    return validate(model, data, rel_path(path, root))


def _load_safety(root: Path) -> tuple[RedFlags, dict[str, tuple[str, int]], list[Problem]]:
    """safety.yaml: the red flags with the file's terms and cues, and the line of every
    example (for kb check); no file means no red flags."""
    path = root / "safety.yaml"
    if not present(path):
        return RedFlags(), {}, []
    data, problems = read_file(path, root)
    if problems:
        return RedFlags(), {}, problems
    rel = rel_path(path, root)
    model, problems = validate(SafetyFile, data, rel)
    if model is None:
        return RedFlags(), {}, problems
    found, lines = _check_safety(model, data, rel)
    return RedFlags(model.red_flags, model.terms, model.cues), lines, problems + found


def _load_synonyms(root: Path) -> tuple[dict[str, list[str]], list[Problem]]:
    path = root / "synonyms.yaml"
    if not present(path):
        return {}, []
    data, problems = read_file(path, root)
    synonyms, found = _check_synonyms(data, rel_path(path, root))
    return synonyms, problems + found


def _check_synonyms(data: Any, rel: str) -> tuple[dict[str, list[str]], list[Problem]]:
    """synonyms.yaml is a mapping: canonical term -> list of words or phrases meaning the same."""
    if data is None:
        return {}, []
    if not isinstance(data, LineDict):
        return {}, [
            Problem(
                rel,
                getattr(data, "line", 1),
                "error",
                "must be a mapping: term: [other words, ...]",
            )
        ]
    result: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for key, value in data.items():
        line = data.key_lines.get(key, 1)
        if not isinstance(value, LineList) or not all(isinstance(v, str) for v in value):
            problems.append(Problem(rel, line, "error", f"'{key}' must be a list of words"))
            continue
        result[key] = [str(v) for v in value]
    return result, problems


@dataclass(slots=True)
class _Topics:
    """What topics/*.yaml hold, gathered file by file."""

    entries: dict[str, Entry] = field(default_factory=dict)  # served (reviewed)
    drafts: dict[str, Entry] = field(default_factory=dict)
    topics: list[Topic] = field(default_factory=list)
    source: dict[str, tuple[str, int]] = field(default_factory=dict)  # every id -> file, line
    key_lines: dict[str, dict[str, int]] = field(default_factory=dict)
    related: list[tuple[str, int, str, str]] = field(default_factory=list)  # file, line, id, ref


def _load_topics(root: Path) -> tuple[_Topics, list[Problem]]:
    found = _Topics()
    problems: list[Problem] = []
    files = topic_files(root)
    if not files:
        problems.append(
            Problem(rel_path(root / "topics", root), 1, "error", "no topic files (*.yaml)")
        )
    for path in files:
        problems += _load_topic(path, root, found)
    return found, problems


def _load_topic(path: Path, root: Path, found: _Topics) -> list[Problem]:
    """One topic file into `found`; its entries in order, a topic of its served ones."""
    rel = rel_path(path, root)
    data, problems = read_file(path, root)
    if problems:
        return problems
    model, problems = validate(TopicFile, data, rel)
    if model is None:
        return problems
    ids: list[str] = []
    for i, item in enumerate(model.entries):
        served, problem = _add_entry(item, data["entries"][i], rel, path.stem, found)
        if served:
            ids.append(item.id)
        if problem is not None:
            problems.append(problem)
    found.topics.append(Topic(id=path.stem, title=model.title, entry_ids=tuple(ids)))
    return problems


def _add_entry(
    item: EntryModel, raw: Any, rel: str, topic: str, found: _Topics
) -> tuple[bool, Problem | None]:
    """One entry into `found`: (served, problem). A draft is not served: without `reviewed` a
    warning, unless marked `draft: true` (a draft on purpose); a duplicate id is an error (the
    entry is left out)."""
    line = getattr(raw, "line", 1)
    if item.id in found.source:
        first_file, first_line = found.source[item.id]
        return False, Problem(
            rel,
            line_of(raw, ("id",)),
            "error",
            f"duplicate id '{item.id}' (first at {first_file}:{first_line})",
        )
    found.source[item.id] = (rel, line)
    found.key_lines[item.id] = _key_lines(raw)
    entry = Entry(
        id=item.id,
        question=item.question,
        answer=item.answer.strip(),
        link=item.link or "",
        alternates=tuple(item.alternates),
        related=tuple(item.related),
        examples=tuple(item.examples),
        near_misses=tuple(item.near_misses),
        reviewed=item.reviewed,
        topic=topic,
        draft=item.draft,
    )
    for j, ref in enumerate(item.related):
        found.related.append((rel, line_of(raw, ("related", j)), item.id, ref))
    if entry.is_draft:
        found.drafts[entry.id] = entry
        if entry.draft and entry.reviewed is None:
            return False, None  # a draft on purpose: nothing to warn about
        if entry.draft:
            message = (
                f"entry '{entry.id}' is marked 'draft: true': it is not served until the"
                " mark is deleted"
            )
        else:
            message = f"entry '{entry.id}' has no 'reviewed' date: it is a draft and is not served"
        return False, Problem(rel, line, "warning", message)
    found.entries[entry.id] = entry
    return True, None


def _key_lines(raw: Any) -> dict[str, int]:
    if not isinstance(raw, LineDict):
        return {}
    lines = dict(raw.key_lines)
    for key in ("examples", "near_misses"):
        items = raw.get(key)
        if isinstance(items, LineList):
            lines.update({f"{key}.{i}": n for i, n in enumerate(items.item_lines)})
    return lines


def _check_related(found: _Topics) -> list[Problem]:
    """Every `related` id names another entry of the folder (a draft counts)."""
    problems = []
    for rel, line, owner, ref in found.related:
        if ref == owner:
            problems.append(Problem(rel, line, "error", f"'{owner}' lists itself in related"))
        elif ref not in found.source:
            problems.append(Problem(rel, line, "error", f"related id '{ref}' does not exist"))
    return problems


def _check_safety(
    model: SafetyFile, data: Any, rel: str
) -> tuple[list[Problem], dict[str, tuple[str, int]]]:
    """What the schema cannot see in safety.yaml: phrases that do not parse, unknown {terms},
    duplicate flag ids. Also returns the line of every example, for kb check's warnings."""
    problems: list[Problem] = []
    lines: dict[str, tuple[str, int]] = {}

    def at(*path: str | int) -> int:
        return line_of(data, tuple(path))

    for name, words in model.terms.items():
        for j, word in enumerate(words):
            error = phrase_error(word, {}, term=True)
            if error:
                problems.append(
                    Problem(rel, at("terms", name, j), "error", f"term '{name}': {error}")
                )
    for name in Cues.model_fields:
        for j, phrase in enumerate(getattr(model.cues, name)):
            error = phrase_error(phrase, model.terms)
            if error:
                problems.append(
                    Problem(rel, at("cues", name, j), "error", f"cue '{name}': {error}")
                )
    seen: dict[str, int] = {}
    for i, flag in enumerate(model.red_flags):
        if flag.id in seen:
            problems.append(
                Problem(
                    rel,
                    at("red_flags", i, "id"),
                    "error",
                    f"duplicate red flag id '{flag.id}' (first at line {seen[flag.id]})",
                )
            )
        else:
            seen[flag.id] = at("red_flags", i, "id")
        for key in ("phrases", "context", "ignore"):
            for j, phrase in enumerate(getattr(flag, key)):
                error = phrase_error(phrase, model.terms)
                if error:
                    problems.append(
                        Problem(
                            rel,
                            at("red_flags", i, key, j),
                            "error",
                            f"red flag '{flag.id}', {key}: {error}",
                        )
                    )
        for key in ("examples", "not_urgent"):
            for j in range(len(getattr(flag, key))):
                lines[f"red_flags.{i}.{key}.{j}"] = (rel, at("red_flags", i, key, j))
    return problems, lines
