"""Writing an accepted proposal into a topic file: only lines are added, nothing else changes.

The file is never re-dumped. PyYAML's composer (the same parser the loader uses) gives the
position of every node; the new lines are inserted into the original text there, indented like
their neighbours, each value written as a one-line YAML scalar (quoted when it must be). So
comments, key order, quoting and blank lines stay byte for byte, and `git diff` shows only the
added lines. Each function checks that before returning (`_only_added`), and that the result
parses to what was meant.

Pure: text in, text out. Loading the result with the knowledge checks and writing it atomically
is bot/proposals/service.py's job.
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

from bot.knowledge.schema import SLUG
from bot.understanding.text import normalise

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
    return append_entries(text, [entry], comment)


def append_entries(text: str, entries: list[dict[str, Any]], comment: str = "") -> str:
    """`text` with `entries` added after its last entry, in order (one insertion and one
    check for a whole import); `comment` goes above the first."""
    lines, nl = _lines(text)
    root = _compose(text)
    found = _mapping_value(root, "entries")
    if not isinstance(found, yaml.SequenceNode) or found.flow_style or not found.value:
        raise KbWriteError(
            "its `entries:` is not a list of `- id: …` entries (e.g. `entries: []`):"
            " add an entry by hand first, or pick another topic"
        )
    dash = _dash_column(lines, found.value[0])
    separated = _separated(lines, found)
    new: list[str] = []
    for n, entry in enumerate(entries):
        block = [(" " * dash + line) if line else "" for line in _dump_entry(entry).splitlines()]
        if n == 0 and comment:
            block.insert(0, " " * dash + "# " + " ".join(comment.split()))
        if separated:
            block.insert(0, "")
        new += block
    at = _last_line(lines, found.value[-1]) + 1
    result = _insert(lines, at, new, nl)
    _only_added(text, result)
    data = _fast_load(result)
    added = (data.get("entries") or [])[-len(entries) :] if entries else []
    if added != entries:
        raise KbWriteError("could not add the entries safely")
    return result


def new_topic_file(title: str, entries: list[dict[str, Any]], comment: str = "") -> str:
    """A whole new topic file holding `entries`, laid out like the bundled ones."""
    head = [f"title: {one_line_scalar(title)}", "entries:"]
    body: list[str] = []
    for n, entry in enumerate(entries):
        if n:
            body.append("")
        if n == 0 and comment:
            body.append("  # " + " ".join(comment.split()))
        body += [("  " + line) if line else "" for line in _dump_entry(entry).splitlines()]
    result = "\n".join(head + body) + "\n"
    if _fast_load(result) != {"title": title, "entries": entries}:
        raise KbWriteError("could not write the new topic file safely")
    return result


def publish_entry(text: str, entry_id: str, day: str) -> str:
    """`text` with the entry served: its `draft:` line replaced by `reviewed: DAY` (or its
    `reviewed:` line set to DAY and the `draft:` line removed; or a `reviewed:` line added
    after the entry). Only those lines change."""
    lines, nl = _lines(text)
    entry = _entry_node(text, entry_id)
    keys = {k.value: (k, v) for k, v in entry.value if isinstance(k, yaml.ScalarNode)}
    before = _entry_data(text, entry_id)
    new_line = None
    if "draft" in keys:
        key, value = keys["draft"]
        if (
            key.start_mark.line != value.end_mark.line
            or lines[key.start_mark.line].strip().split(":")[0] != "draft"
        ):
            raise KbWriteError(f"the `draft:` of '{entry_id}' is not on a line of its own")
        column = key.start_mark.column
        if "reviewed" in keys:
            rkey, rvalue = keys["reviewed"]
            if rkey.start_mark.line != rvalue.end_mark.line:
                raise KbWriteError(f"the `reviewed:` of '{entry_id}' is not on one line")
            lines[rkey.start_mark.line] = (
                " " * rkey.start_mark.column + f"reviewed: {day}" + ("\r" if nl == "\r\n" else "")
            )
            del lines[key.start_mark.line]
        else:
            new_line = " " * column + f"reviewed: {day}" + ("\r" if nl == "\r\n" else "")
            lines[key.start_mark.line] = new_line
        result = "\n".join(lines)
    elif "reviewed" in keys:
        raise KbWriteError(f"'{entry_id}' is already reviewed and not a draft")
    else:
        key, _ = keys["question"]
        at = _last_line(lines, entry) + 1
        result = _insert(lines, at, [" " * key.start_mark.column + f"reviewed: {day}"], nl)
    after = _entry_data(result, entry_id)
    expected = {k: v for k, v in before.items() if k not in ("draft", "reviewed")}
    got = {k: v for k, v in after.items() if k != "reviewed"}
    if (
        got != expected
        or str(after.get("reviewed")) != day
        or len(result.splitlines()) - len(text.splitlines()) not in (-1, 0, 1)
    ):
        raise KbWriteError(f"could not publish '{entry_id}' safely: publish by hand")
    return result


def _fast_load(text: str) -> Any:
    """YAML read with libyaml when PyYAML has it (a 1,000-entry import is checked in a
    fraction of a second instead of seconds)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


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
    """Replace (or create) `path` with `text` at once (a temporary file in the same folder,
    then os.replace), keeping its permissions: the live reload never sees half a file."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:  # a new file: the permissions a plain open() would give
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
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
    """The file's node tree with positions: libyaml when PyYAML has it (a write composes the
    file three times), the pure-Python parser for the words of an error."""
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
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
