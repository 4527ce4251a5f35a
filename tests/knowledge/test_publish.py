"""`expertbot kb publish` (bot/knowledge/publish.py, bot/kbwrite.publish_entry): a reviewed draft becomes
a served entry by changing only its `draft:` / `reviewed:` lines; drafts that cannot be served
(no link, a warning they would bring) are refused with the reason while the others go."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import pytest

from bot.knowledge import writing as kbwrite
from bot.knowledge.loading import load_knowledge
from bot.knowledge.publish import PublishError, publish

DAY = dt.date(2026, 12, 7)


def add(kb: Path, block: str, topic: str = "tools") -> Path:
    path = kb / "topics" / f"{topic}.yaml"
    path.write_text(path.read_text() + "\n" + block)
    return path


DRAFT = """\
  - id: led-mask
    question: Do LED face masks work?
    answer: |
      Some evidence for red light.

      - Use it as directed.
    link: https://example.org/led
    draft: true
"""


def changed_lines(old: str, new: str) -> list[tuple[str, list[str], list[str]]]:
    a, b = old.splitlines(), new.splitlines()
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [(tag, a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def test_publish_replaces_the_draft_line_with_reviewed(kb_dir: Path) -> None:
    path = add(kb_dir, DRAFT)
    old = path.read_text()
    result = publish(kb_dir, ["led-mask"], today=DAY)
    assert result.refused == []
    (published,) = result.published
    assert published[:2] == ("led-mask", "kb/topics/tools.yaml")
    assert changed_lines(old, path.read_text()) == [
        ("replace", ["    draft: true"], ["    reviewed: 2026-12-07"])
    ]
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is not None and problems == []
    assert knowledge.entries["led-mask"].reviewed == DAY  # served now


def test_publish_a_draft_with_reviewed_and_one_without_a_draft_mark() -> None:
    both = "title: T\nentries:\n  - id: a\n    question: Qqq?\n    answer: x\n    link: https://e.org\n    reviewed: 2025-01-01\n    draft: true\n"
    got = kbwrite.publish_entry(both, "a", "2026-12-07")
    assert got == both.replace("2025-01-01", "2026-12-07").replace("    draft: true\n", "")
    plain = "title: T\nentries:\n  - id: a\n    question: Qqq?\n    answer: x\n    link: https://e.org\n\n  - id: b\n    question: Bbb?\n    answer: y\n    link: https://e.org/b\n    reviewed: 2025-01-01\n"
    got = kbwrite.publish_entry(plain, "a", "2026-12-07")
    assert got == plain.replace(
        "    link: https://e.org\n\n", "    link: https://e.org\n    reviewed: 2026-12-07\n\n"
    )
    crlf = both.replace("\n", "\r\n")
    assert kbwrite.publish_entry(crlf, "a", "2026-12-07") == got_crlf(both)


def got_crlf(both: str) -> str:
    return (
        both.replace("2025-01-01", "2026-12-07")
        .replace("    draft: true\n", "")
        .replace("\n", "\r\n")
    )


def test_what_cannot_be_published_is_refused_and_the_rest_goes(kb_dir: Path) -> None:
    add(kb_dir, DRAFT)
    add(
        kb_dir,
        "  - id: no-link\n    question: Is a proposal without a link served?\n"
        "    answer: Not yet.\n    draft: true\n",
    )
    add(
        kb_dir,
        # nearly the same question as the served 'jade-roller': kb check would warn once served
        "  - id: jade-again\n    question: Does a jade roller reduce puffiness at all?\n"
        "    answer: A little.\n    link: https://example.org/jade2\n    draft: true\n",
    )
    path = kb_dir / "topics" / "tools.yaml"
    result = publish(
        kb_dir, ["no-link", "jade-roller", "nope", "jade-again", "led-mask"], today=DAY
    )
    assert [p[0] for p in result.published] == ["led-mask"]
    why = dict(result.refused)
    assert "no `link`" in why["no-link"]
    assert why["jade-roller"].startswith("already served")
    assert why["nope"] == "no such entry"
    assert "nearly duplicates" in why["jade-again"]
    text = path.read_text()
    assert (
        "  - id: no-link\n    question: Is a proposal without a link served?\n    answer: Not yet.\n    draft: true\n"
        in text
    )
    assert "link: https://example.org/jade2\n    draft: true" in text


def test_publish_refuses_knowledge_with_errors(kb_dir: Path) -> None:
    path = kb_dir / "topics" / "tools.yaml"
    path.write_text(path.read_text().replace("    answer:", "    anser:", 1))
    with pytest.raises(PublishError, match="has errors"):
        publish(kb_dir, ["jade-roller"], today=DAY)
