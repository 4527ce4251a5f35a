"""The knowledge folder's files, one at a time: which files there are, their fingerprint, and
reading and validating one file so that anything wrong is a `Problem` with file and line.

The bot reloads while admins edit, so nothing here raises or blocks on a file that is
missing, half-written, or not a file at all.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from bot.knowledge.yamlfile import YamlProblem, line_of, load_yaml


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong (or worth a look) in a knowledge file, at its line."""

    file: str
    line: int
    severity: Literal["error", "warning", "note"]  # a note never fails `kb check --strict`
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


def _describe(error: dict[str, Any], model: type[BaseModel]) -> str:
    """One pydantic error in an admin's words."""
    loc = [p for p in error["loc"] if isinstance(p, str)]
    name = loc[-1] if loc else "value"
    kind = error["type"]
    if kind == "missing":
        return f"missing required field '{name}'"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, error["loc"][:-1])
        return f"unknown field '{name}'" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    where = ".".join(str(p) for p in error["loc"]) or "value"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"'{where}': {message}"


def _allowed_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return []
        annotation = info.annotation
        args = getattr(annotation, "__args__", None)
        current = args[0] if args else annotation
    return list(getattr(current, "model_fields", {}))


def validate(model: type[BaseModel], data: Any, rel: str) -> tuple[Any, list[Problem]]:
    """A parsed file as `model`, or every error at the line of the key it is about."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        line = getattr(data, "line", 1)
        return None, [Problem(rel, line, "error", "the file must hold a mapping of fields")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = line_of(data, loc)
            problems.append(Problem(rel, line, "error", _describe(err, model)))
        return None, problems


def read_file(path: Path, root: Path) -> tuple[Any, list[Problem]]:
    """Parse one file; anything wrong with it (even a pipe or a link loop) is a Problem on it.

    The bot reloads while admins edit, so a file may be missing, half-written or not a file
    at all by the time it is read: that must never raise, nor block on a pipe.
    """
    rel = rel_path(path, root)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return None, [Problem(rel, 1, "error", f"cannot read the file: {exc.strerror or exc}")]
    if stat.S_ISDIR(mode):
        return None, [Problem(rel, 1, "error", "is a folder, not a file")]
    if not stat.S_ISREG(mode):
        return None, [Problem(rel, 1, "error", "not a regular file (a pipe, socket or device)")]
    try:
        return load_yaml(path), []
    except YamlProblem as exc:
        return None, [Problem(rel, exc.line, "error", exc.message)]
    except RecursionError:
        return None, [Problem(rel, 1, "error", "invalid YAML: nested too deeply")]


def present(path: Path) -> bool:
    """There, even as a broken or looping link: such a bot.yaml is an error, not "absent"
    (which would silently serve the built-in defaults)."""
    return path.exists() or path.is_symlink()


def rel_path(path: Path, root: Path) -> str:
    """How problems name a file: from the knowledge folder's own name, e.g. kb/bot.yaml."""
    try:
        return str(path.relative_to(root.parent if root.name else root))
    except ValueError:
        return str(path)


def topic_files(root: Path) -> list[Path]:
    """`topics/*.yaml` and `*.yml`, sorted; empty when the folder is missing or unreadable."""
    folder = root / "topics"
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


def knowledge_files(root: Path) -> list[Path]:
    """Every file whose change should trigger a reload (the optional ones only when present)."""
    extra = [root / n for n in ("bot.yaml", "synonyms.yaml", "safety.yaml")]
    return [p for p in extra if present(p)] + topic_files(root)


def fingerprint(paths: Iterable[Path]) -> str:
    """A short hash of the files' names and bytes: `Knowledge.version`. Never raises nor
    blocks: a file that cannot be read, or is not a regular file, counts as "?"."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                raise OSError("not a regular file")
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()[:12]
