"""Writing an accepted proposal into a topic file: only lines are added, nothing else changes.

The file is never re-dumped. PyYAML's composer (the same parser the loader uses) gives the
position of every node; the new lines are inserted into the original text there, indented like
their neighbours, each value written as a one-line YAML scalar (quoted when it must be). So
comments, key order, quoting and blank lines stay byte for byte, and `git diff` shows only the
added lines. Each function checks that before returning (`_only_added`), and that the result
parses to what was meant.

Pure: text in, text out. Loading the result with the knowledge checks and writing it atomically
is bot/proposals.py's job.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bot.schema import SLUG
from bot.text import normalise

DEFAULT_DASH_OFFSET = 2  # `alternates:` then `  - text` (the bundled knowledge's style)
_ODD_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # line breaks YAML counts and str.split does not


class KbWriteError(Exception):
    """The change cannot be made by adding lines; the message says why, for an admin."""


def add_alternate(text: str, entry_id: str, alternate: str) -> str:
    """`text` (a topic file) with `alternate` added as the last item of the entry's
    `alternates:` (or a new `alternates:` after its `question:`)."""
    lines, nl = _lines(text)
    entry = _entry_node(text, entry_id)
    keys = {k.value: (k, v) for k, v in entry.value if isinstance(k, yaml.ScalarNode)}
    scalar = one_line_scalar(alternate)
    if "alternates" in keys:
        key, seq = keys["alternates"]
        if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
            raise KbWriteError(
                f"the alternates of '{entry_id}' are not written as a list of `- ` lines"
                " (e.g. `alternates: [...]`): write them one per line, then accept again"
            )
        last = seq.value[-1]
        dash = _dash_column(lines, seq.value[0])
        new = [" " * dash + "- " + scalar]
        at = _last_line(lines, last) + 1
    else:
        if "question" not in keys:
            raise KbWriteError(f"entry '{entry_id}' has no question")
        key, value = keys["question"]
        column = key.start_mark.column
        offset = _dash_offset(text, lines)
        new = [" " * column + "alternates:", " " * (column + offset) + "- " + scalar]
        at = _last_line(lines, value) + 1
    result = _insert(lines, at, new, nl)
    _only_added(text, result)
    got = _entry_data(result, entry_id).get("alternates") or []
    if not got or got[-1] != alternate:
        raise KbWriteError(f"could not add the alternate to '{entry_id}' safely")
    return result


def append_entry(text: str, entry: dict[str, Any], comment: str = "") -> str:
    """`text` (a topic file) with `entry` added after its last entry (a `# comment` line
    above it when given), separated by a blank line when the file's entries are."""
    lines, nl = _lines(text)
    root = _compose(text)
    entries = _mapping_value(root, "entries")
    if not isinstance(entries, yaml.SequenceNode) or entries.flow_style or not entries.value:
        raise KbWriteError(
            "its `entries:` is not a list of `- id: …` entries (e.g. `entries: []`):"
            " add an entry by hand first, or pick another topic"
        )
    last = entries.value[-1]
    dash = _dash_column(lines, entries.value[0])
    block = _dump_entry(entry)
    new = [(" " * dash + line) if line else "" for line in block.splitlines()]
    if comment:
        new.insert(0, " " * dash + "# " + " ".join(comment.split()))
    if _separated(lines, entries):
        new.insert(0, "")
    at = _last_line(lines, last) + 1
    result = _insert(lines, at, new, nl)
    _only_added(text, result)
    if _entry_data(result, entry["id"]) != entry:
        raise KbWriteError(f"could not add the entry '{entry['id']}' safely")
    return result


def one_line_scalar(value: str) -> str:
    """`value` as a YAML scalar on one line: plain when YAML reads it back as the same text,
    else quoted."""
    if not value.strip() or any(ch in value for ch in "\n" + "".join(_ODD_BREAKS)):
        raise KbWriteError("the text must be one non-empty line")
    dumped = yaml.safe_dump([value], allow_unicode=True, width=float("inf"))
    scalar = dumped.removeprefix("- ").removesuffix("\n")
    if "\n" in scalar or yaml.safe_load("- " + scalar) != [value]:
        raise KbWriteError(f"cannot write {value!r} as one line of YAML")
    return scalar


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` at once (a temporary file in the same folder, then
    os.replace), keeping its permissions: the live reload never sees half a file."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- positions --------------------------------------------------------------------------------


def _lines(text: str) -> tuple[list[str], str]:
    """The file split at "\\n" (a CRLF file keeps its "\\r"s), and the newline to add with."""
    if any(ch in text.replace("\r\n", "\n") for ch in _ODD_BREAKS):
        raise KbWriteError("the file has unusual line breaks (a lone CR or a Unicode one)")
    return text.split("\n"), "\r\n" if "\r\n" in text else "\n"


def _compose(text: str) -> yaml.Node:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise KbWriteError(f"the file is not valid YAML: {exc}") from None
    if not isinstance(node, yaml.MappingNode):
        raise KbWriteError("the file does not hold a mapping")
    return node


def _mapping_value(node: yaml.Node, name: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name:
                return value
    return None


def _entry_node(text: str, entry_id: str) -> yaml.MappingNode:
    entries = _mapping_value(_compose(text), "entries")
    for item in entries.value if isinstance(entries, yaml.SequenceNode) else []:
        found = _mapping_value(item, "id")
        if isinstance(found, yaml.ScalarNode) and found.value == entry_id:
            return item
    raise KbWriteError(f"no entry '{entry_id}' in this file")


def _entry_data(text: str, entry_id: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    for item in data.get("entries") or []:
        if isinstance(item, dict) and item.get("id") == entry_id:
            return item
    return {}


def _last_line(lines: list[str], node: yaml.Node) -> int:
    """The index of the last line holding some of `node` (not the blank lines or comments
    after it, which a block scalar's or a block collection's end mark can include)."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style:
        if not node.value:
            break
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    end = node.end_mark
    line = end.line if end.column > 0 else end.line - 1
    start = node.start_mark.line
    while line > start and not _content(lines[line]):
        line -= 1
    return line


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _dash_column(lines: list[str], item: yaml.Node) -> int:
    """The column of the `- ` that starts a block sequence's item."""
    line = lines[item.start_mark.line]
    before = line[: item.start_mark.column].rstrip()
    if not before.endswith("-"):
        raise KbWriteError("an unusual list layout: add this one by hand")
    return len(before) - 1


def _dash_offset(text: str, lines: list[str]) -> int:
    """How far this file's entries indent an `alternates:` item under its key (the first
    block-style alternates found), else the usual 2."""
    entries = _mapping_value(_compose(text), "entries")
    for item in entries.value if isinstance(entries, yaml.SequenceNode) else []:
        if not isinstance(item, yaml.MappingNode):
            continue
        for key, value in item.value:
            if (
                isinstance(key, yaml.ScalarNode)
                and key.value == "alternates"
                and isinstance(value, yaml.SequenceNode)
                and not value.flow_style
                and value.value
            ):
                return _dash_column(lines, value.value[0]) - key.start_mark.column
    return DEFAULT_DASH_OFFSET


def _separated(lines: list[str], entries: yaml.SequenceNode) -> bool:
    """The file puts a blank line between its entries (or has one entry)."""
    if len(entries.value) < 2:
        return True
    previous = entries.value[-1].start_mark.line - 1
    return previous >= 0 and not lines[previous].strip()


def _insert(lines: list[str], at: int, new: list[str], nl: str) -> str:
    cr = "\r" if nl == "\r\n" else ""
    added = [line + cr for line in new]
    if at >= len(lines):  # after a last line without a newline: it gets one
        return "\n".join(lines) + nl + nl.join(new)
    return "\n".join(lines[:at] + added + lines[at:])


def _only_added(before: str, after: str) -> None:
    """A safety net: every line of `before` is still there, in order and unchanged."""
    old, new = before.splitlines(), after.splitlines()
    ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    if any(tag not in ("equal", "insert") for tag, *_ in ops):
        raise KbWriteError("the change would alter existing lines: add this one by hand")


# --- a new entry: its id and its YAML ---------------------------------------------------------

SLUG_WORDS = 8


def unique_slug(text: str, taken: set[str]) -> str:
    """An id for a new entry from its question's first words, unused in the knowledge."""
    base = "-".join(normalise(text).split()[:SLUG_WORDS])
    base = re.sub(r"[^a-z0-9]+", "-", base.encode("ascii", "ignore").decode()).strip("-")
    base = re.sub(r"-{2,}", "-", base)[:60].strip("-") or "question"
    slug, n = base, 2
    while slug in taken or not SLUG.match(slug):
        slug = f"{base}-{n}"
        n += 1
    return slug


class Dumper(yaml.SafeDumper):
    """YAML laid out as in knowledge/: lists indented under their key, text with line breaks
    as a `|` block (for the queue export too)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # lists indented under their key, as in knowledge/


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


Dumper.add_representer(str, _str)


def _dump_entry(entry: dict[str, Any]) -> str:
    return yaml.dump(
        [entry], Dumper=Dumper, allow_unicode=True, sort_keys=False, width=float("inf")
    )
