"""YAML loading that remembers where every key came from, so problems can name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


class YamlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            line = key_node.start_mark.line + 1
            if key in result:
                self.duplicates.append((line, key))
                continue
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        # `2026-13-45` looks like a date to YAML but is none: keep the text, so validation
        # reports it at its key's line instead of PyYAML raising a bare ValueError.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


def load_yaml(path: Path) -> Any:
    """Parse one file. Raises `YamlProblem` with the line for bad YAML and duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(1, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise YamlProblem(1, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        loader = _Loader(text)  # checks for unprintable characters
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise YamlProblem(
            line, f"invalid YAML: a control character (#x{exc.character:04x}) is not allowed"
        ) from None
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context_mark and ("end of stream" in problem or "<stream end>" in problem):
            # an unclosed quote or bracket: point at where it opens, not past the last line
            mark = exc.context_mark
            problem = f"{exc.context}: never closed"
        line = mark.line + 1 if mark else 1
        lines = text.splitlines()
        if "\t" in (lines[line - 1] if 0 < line <= len(lines) else ""):
            problem = "a tab character: indent with spaces only"
        raise YamlProblem(line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if loader.duplicates:
        line, key = loader.duplicates[0]
        raise YamlProblem(line, f"duplicate key '{key}' (each key may appear once per mapping)")
    return data


def line_of(data: Any, path: tuple[str | int, ...]) -> int:
    """The line of the deepest key or item along `path` that exists in `data`."""
    line = getattr(data, "line", 1) or 1
    node = data
    for part in path:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
        if isinstance(node, LineDict | LineList) and not isinstance(part, str):
            line = node.line or line
    return line
