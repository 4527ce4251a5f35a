"""Loading the knowledge folder: every problem of design.md §2 as `file:line: severity: message`,
with the line of the offending key."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import textwrap
import threading
from pathlib import Path

import pytest

from bot.knowledge.checks import check
from bot.knowledge.files import fingerprint, knowledge_files
from bot.knowledge.loading import Knowledge, load_knowledge

BUNDLED_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"

# a valid entry to paste into a topic file; its lines are known (see `topic`)
GOOD = """\
  - id: extra-entry
    question: Can I keep a face serum in the fridge?
    answer: Placeholder answer about fridges, for tests only.
    link: https://example.org/kb/extra-entry
    reviewed: 2026-01-15
"""


def topic(kb: Path, name: str, text: str) -> Path:
    """Write kb/topics/<name>.yaml from dedented text (line 1 = the first line of `text`)."""
    path = kb / "topics" / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors(kb: Path) -> list[str]:
    knowledge, problems = load_knowledge(kb)
    found = [str(p) for p in problems if p.severity == "error"]
    assert knowledge is None, "a folder with errors must not load"
    assert found
    return found


def warnings(kb: Path) -> list[str]:
    knowledge, problems = check(kb)
    assert knowledge is not None, [str(p) for p in problems]
    assert not [p for p in problems if p.severity == "error"]
    return [str(p) for p in problems if p.severity == "warning"]


# --- a valid folder ---------------------------------------------------------------------------


def test_small_folder_loads(kb_dir: Path) -> None:
    knowledge, problems = load_knowledge(kb_dir)
    assert problems == []
    assert isinstance(knowledge, Knowledge)
    assert set(knowledge.entries) == {
        "exfoliate-how-often",
        "moisturiser-day-night",
        "sunscreen-amount",
        "cleansing-brush",
        "jade-roller",
    }
    assert [t.title for t in knowledge.topics] == ["Skincare basics", "Tools and gadgets"]
    assert knowledge.topics[0].entry_ids == (
        "exfoliate-how-often",
        "moisturiser-day-night",
        "sunscreen-amount",
    )
    entry = knowledge.entries["exfoliate-how-often"]
    assert entry.question == "How often should I use an exfoliating acid toner?"
    assert entry.alternates == ("How many times a week can I use a scrub?",)
    assert entry.related == ("moisturiser-day-night",)
    assert entry.reviewed == dt.date(2026, 1, 15)
    assert entry.topic == "basics"
    assert entry.answer.endswith("- second placeholder point")  # stripped of the final newline
    assert knowledge.settings.expert == "Dr Example"  # from bot.yaml
    assert knowledge.source["jade-roller"] == ("kb/topics/tools.yaml", 9)
    assert knowledge.drafts == {}


def test_small_folder_has_no_warnings(kb_dir: Path) -> None:
    assert warnings(kb_dir) == []


def test_only_topics_is_required(kb_dir: Path) -> None:
    (kb_dir / "bot.yaml").unlink()
    knowledge, problems = load_knowledge(kb_dir)
    assert problems == []
    assert knowledge is not None
    assert knowledge.settings.expert == "the doctor"  # the built-in default
    assert knowledge.red_flags == []


def test_version_changes_with_the_files(kb_dir: Path) -> None:
    first, _ = load_knowledge(kb_dir)
    topic(kb_dir, "more", "title: More\nentries:\n" + GOOD)
    second, _ = load_knowledge(kb_dir)
    assert first is not None and second is not None
    assert first.version != second.version
    assert "extra-entry" in second.entries


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (  # a quote that is never closed: the line where it opens, not past the end
            """\
            title: Broken
            entries:
              - id: broken
                question: "Is this quote ever closed?
                answer: x
                link: https://example.org/x
            """,
            4,
            "invalid YAML",
        ),
        (
            """\
            title: Broken
            entries:
              - id: broken
                question: What: now
                answer: x
            """,
            4,
            "invalid YAML: mapping values are not allowed here",
        ),
        (
            """\
            title: Broken
            entries:
              - id: broken
                question: q
               answer: badly indented
            """,
            5,
            "invalid YAML",
        ),
        (
            """\
            title: Broken
            entries:
              - id: broken
                related: [a, b
            """,
            4,
            "invalid YAML",
        ),
        (
            """\
            title: Broken
            entries: []
            ---
            title: Second document
            """,
            3,
            "invalid YAML",
        ),
    ],
)
def test_invalid_yaml(kb_dir: Path, text: str, line: int, message: str) -> None:
    topic(kb_dir, "broken", text)
    found = errors(kb_dir)
    assert len(found) == 1, found
    assert found[0].startswith(f"kb/topics/broken.yaml:{line}: error: {message}")


def test_tab_in_indentation(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "broken",
        "title: Broken\nentries:\n  - id: broken\n\tquestion: Tabbed?\n    answer: x\n",
    )
    (only,) = errors(kb_dir)
    assert only.startswith("kb/topics/broken.yaml:4: error: invalid YAML")
    assert "tab" in only


def test_duplicate_key(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "broken",
        """\
        title: Broken
        entries:
          - id: broken
            question: First question?
            answer: x
            question: Second question?
            link: https://example.org/x
        """,
    )
    (only,) = errors(kb_dir)
    assert only.startswith("kb/topics/broken.yaml:6: error: duplicate key 'question'")


def test_duplicate_top_level_key(kb_dir: Path) -> None:
    topic(kb_dir, "broken", "title: One\ntitle: Two\nentries:\n" + GOOD)
    assert errors(kb_dir) == [
        "kb/topics/broken.yaml:2: error: duplicate key 'title' "
        "(each key may appear once per mapping)"
    ]


def test_unknown_field(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "broken",
        """\
        title: Broken
        entries:
          - id: broken
            question: Where is my answer?
            anser: A typo in the key.
            link: https://example.org/x
        """,
    )
    found = errors(kb_dir)
    unknown = [e for e in found if "unknown field 'anser'" in e]
    assert len(unknown) == 1
    assert unknown[0].startswith("kb/topics/broken.yaml:5: error: unknown field 'anser'")
    assert "answer" in unknown[0].split("allowed:")[1]  # tells what is allowed
    # and the answer it was meant to be is missing: reported at the entry
    assert "kb/topics/broken.yaml:3: error: missing required field 'answer'" in found
    assert len(found) == 2


def test_unknown_field_in_bot_yaml(kb_dir: Path) -> None:
    (kb_dir / "bot.yaml").write_text(
        "name: TestBot\ntexts:\n  greeting: Hi\n  greting: Hi again\n", encoding="utf-8"
    )
    (only,) = errors(kb_dir)
    assert only.startswith("kb/bot.yaml:4: error: unknown field 'greting'")


def test_out_of_range_setting_in_bot_yaml(kb_dir: Path) -> None:
    (kb_dir / "bot.yaml").write_text(
        "name: TestBot\nmatching:\n  max_suggestions: 3\n  meaning:\n    answer: 2\n",
        encoding="utf-8",
    )
    (only,) = errors(kb_dir)
    assert only.startswith("kb/bot.yaml:5: error: 'matching.meaning.answer'")


@pytest.mark.parametrize(
    ("field_line", "line", "where"),
    [
        ("alternates: just one string, not a list", 6, "'entries.0.alternates'"),
        ("related: jade-roller", 6, "'entries.0.related'"),
        ("reviewed: not a date", 6, "'entries.0.reviewed'"),
        ("reviewed: 2026-13-45", 6, "'entries.0.reviewed'"),  # looks like a date to YAML
        ("reviewed: 2026-02-30", 6, "'entries.0.reviewed'"),
        ("examples: {a: b}", 6, "'entries.0.examples'"),
        ("near_misses: [[a, b]]", 6, "'entries.0.near_misses.0'"),
    ],
)
def test_wrong_type(kb_dir: Path, field_line: str, line: int, where: str) -> None:
    topic(
        kb_dir,
        "broken",
        f"""\
title: Broken
entries:
  - id: broken
    question: A question with one wrong field?
    answer: x
    {field_line}
    link: https://example.org/x
""",
    )
    (only,) = errors(kb_dir)
    assert only.startswith(f"kb/topics/broken.yaml:{line}: error: {where}")


def test_wrong_type_inside_a_list(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "broken",
        """\
        title: Broken
        entries:
          - id: broken
            question: A question with a bad alternate?
            alternates:
              - a fine one
              - [not, a, string]
            answer: x
            link: https://example.org/x
        """,
    )
    (only,) = errors(kb_dir)
    assert only.startswith("kb/topics/broken.yaml:7: error: 'entries.0.alternates.1'")


def test_entry_that_is_not_a_mapping(kb_dir: Path) -> None:
    topic(kb_dir, "broken", "title: Broken\nentries:\n" + GOOD + "  - just a string\n")
    (only,) = errors(kb_dir)
    assert only.startswith("kb/topics/broken.yaml:8: error: 'entries.1'")


@pytest.mark.parametrize("missing", ["question", "answer", "link"])
def test_missing_required_field(kb_dir: Path, missing: str) -> None:
    second = {
        "question": "    question: Where did a field go?",
        "answer": "    answer: Somewhere.",
        "link": "    link: https://example.org/y",
    }
    lines = [
        "title: Broken",
        "entries:",
        "  - id: first-fine",
        "    question: A complete first entry?",
        "    answer: x",
        "    link: https://example.org/x",
        "  - id: broken",  # line 7: the entry that lacks a field
        *[text for key, text in second.items() if key != missing],
    ]
    topic(kb_dir, "broken", "\n".join(lines) + "\n")
    assert errors(kb_dir) == [f"kb/topics/broken.yaml:7: error: missing required field '{missing}'"]


def test_bad_id_and_link_values(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "broken",
        """\
        title: Broken
        entries:
          - id: Not A Slug
            question: Is my id a slug?
            answer: x
            link: example.org/no-scheme
        """,
    )
    found = errors(kb_dir)
    assert len(found) == 2
    assert found[0].startswith(
        "kb/topics/broken.yaml:3: error: 'entries.0.id': must be a lowercase"
    )
    assert found[1].startswith("kb/topics/broken.yaml:6: error: 'entries.0.link': must be a web")


def test_duplicate_id_across_files(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "zz-more",  # sorted after tools.yaml, so tools.yaml has the first one
        """\
        title: More
        entries:
          - id: something-else
            question: Something else entirely?
            answer: x
            link: https://example.org/x
            reviewed: 2026-01-15

          - id: jade-roller
            question: A second entry with the same id?
            answer: x
            link: https://example.org/y
            reviewed: 2026-01-15
        """,
    )
    assert errors(kb_dir) == [
        "kb/topics/zz-more.yaml:9: error: duplicate id 'jade-roller' "
        "(first at kb/topics/tools.yaml:9)"
    ]


def test_duplicate_id_in_one_file(kb_dir: Path) -> None:
    topic(kb_dir, "more", "title: More\nentries:\n" + GOOD + "\n" + GOOD)
    assert errors(kb_dir) == [
        "kb/topics/more.yaml:9: error: duplicate id 'extra-entry' (first at kb/topics/more.yaml:3)"
    ]


def test_broken_related(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "broken",
        """\
        title: Broken
        entries:
          - id: broken
            question: Which entries are related?
            answer: x
            link: https://example.org/x
            related:
              - jade-roller
              - no-such-entry
        """,
    )
    assert errors(kb_dir) == [
        "kb/topics/broken.yaml:9: error: related id 'no-such-entry' does not exist"
    ]


def test_related_to_itself(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "broken",
        """\
        title: Broken
        entries:
          - id: broken
            question: Am I related to myself?
            answer: x
            link: https://example.org/x
            related: [broken]
        """,
    )
    assert errors(kb_dir) == ["kb/topics/broken.yaml:7: error: 'broken' lists itself in related"]


def test_topic_without_title(kb_dir: Path) -> None:
    topic(kb_dir, "broken", "entries:\n" + GOOD)
    assert errors(kb_dir) == ["kb/topics/broken.yaml:1: error: missing required field 'title'"]


def test_topic_file_that_is_a_list(kb_dir: Path) -> None:
    topic(kb_dir, "broken", "# a comment\n" + GOOD)
    assert errors(kb_dir) == [
        "kb/topics/broken.yaml:2: error: the file must hold a mapping of fields"
    ]


def test_empty_topic_file(kb_dir: Path) -> None:
    topic(kb_dir, "broken", "")
    found = errors(kb_dir)
    assert "kb/topics/broken.yaml:1: error: missing required field 'title'" in found
    assert "kb/topics/broken.yaml:1: error: missing required field 'entries'" in found


def test_control_character(kb_dir: Path) -> None:
    topic(kb_dir, "broken", "title: Broken\nentries:\n  - id: bell\n    question: Ding\x07?\n")
    assert errors(kb_dir) == [
        "kb/topics/broken.yaml:4: error: invalid YAML: a control character (#x0007) is not allowed"
    ]


def test_not_utf8(kb_dir: Path) -> None:
    (kb_dir / "topics" / "broken.yaml").write_bytes(b"title: Caf\xe9\nentries: []\n")
    (only,) = errors(kb_dir)
    assert only.startswith("kb/topics/broken.yaml:1: error: not UTF-8")


def test_missing_knowledge_folder(tmp_path: Path) -> None:
    root = tmp_path / "nowhere"
    knowledge, problems = load_knowledge(root)
    assert knowledge is None
    assert [str(p) for p in problems] == [f"{root}:1: error: knowledge folder not found"]


def test_no_topics_folder(kb_dir: Path) -> None:
    shutil.rmtree(kb_dir / "topics")
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is None
    assert [str(p) for p in problems] == [
        f"{kb_dir / 'topics'}:1: error: no topics/ folder: it is required"
    ]


def test_empty_topics_folder(kb_dir: Path) -> None:
    for path in (kb_dir / "topics").iterdir():
        path.unlink()
    assert errors(kb_dir) == ["kb/topics:1: error: no topic files (*.yaml)"]


def test_several_errors_are_all_reported(kb_dir: Path) -> None:
    topic(kb_dir, "a-broken", "title: A\nentries:\n  - id: a\n\tquestion: q\n")
    topic(kb_dir, "b-broken", "entries: []\n")
    found = errors(kb_dir)
    assert [e.split(": error")[0] for e in found] == [
        "kb/topics/a-broken.yaml:4",
        "kb/topics/b-broken.yaml:1",
    ]


# --- warnings ---------------------------------------------------------------------------------


def test_entry_without_reviewed_is_a_draft(kb_dir: Path) -> None:
    path = kb_dir / "topics" / "tools.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    reviewed: 2026-01-15\n", "", 1), encoding="utf-8")
    knowledge, problems = check(kb_dir)
    assert knowledge is not None
    assert [str(p) for p in problems] == [
        "kb/topics/tools.yaml:3: warning: entry 'cleansing-brush' has no 'reviewed' date: "
        "it is a draft and is not served"
    ]
    assert "cleansing-brush" not in knowledge.entries
    assert "cleansing-brush" in knowledge.drafts
    assert knowledge.topics[1].entry_ids == ("jade-roller",)


def test_near_duplicate_questions(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "zz-more",
        """\
        title: More
        entries:
          - id: jade-roller-again
            question: Does a jade roller reduce the puffiness?
            answer: Placeholder.
            link: https://example.org/x
            reviewed: 2026-01-15
        """,
    )
    found = [w for w in warnings(kb_dir) if "nearly duplicates" in w]
    assert found == [
        "kb/topics/zz-more.yaml:4: warning: question of 'jade-roller-again' nearly duplicates "
        "'jade-roller'"
    ]


def test_example_that_does_not_match_its_entry(kb_dir: Path) -> None:
    path = kb_dir / "topics" / "basics.yaml"
    text = path.read_text(encoding="utf-8")
    bad = "      - how much sunscreen should i apply\n"
    marker = "      - how often should i use an exfoliating acid toner\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + bad), encoding="utf-8")
    found = warnings(kb_dir)
    assert len(found) == 1, found
    # the line of the example itself (line 17), not only of its entry
    assert found[0].startswith(
        "kb/topics/basics.yaml:17: warning: example of 'exfoliate-how-often' does not match it"
    )
    assert "how much sunscreen should i apply" in found[0]


def test_near_misses_load_and_one_that_is_the_entrys_own_question_is_a_warning(
    kb_dir: Path,
) -> None:
    path = kb_dir / "topics" / "basics.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "      - how often should i use an exfoliating acid toner\n"
    near = (
        "    near_misses:\n"
        "      - Can I use an exfoliating toner while pregnant?\n"
        "      - how many times a week can i use a scrub\n"
    )
    path.write_text(text.replace(marker, marker + near), encoding="utf-8")
    knowledge, _ = load_knowledge(kb_dir)
    assert knowledge is not None
    assert knowledge.entries["exfoliate-how-often"].near_misses == (
        "Can I use an exfoliating toner while pregnant?",
        "how many times a week can i use a scrub",
    )
    found = warnings(kb_dir)
    assert found == [
        "kb/topics/basics.yaml:19: warning: near-miss of 'exfoliate-how-often' is its own "
        "question or alternate: 'how many times a week can i use a scrub'"
    ]


def test_a_near_miss_the_bot_answers_with_its_entry_is_a_note_not_a_warning(
    kb_dir: Path,
) -> None:
    path = kb_dir / "topics" / "basics.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "      - how often should i use an exfoliating acid toner\n"
    near = "    near_misses:\n      - how often should i use an exfoliating acid toner at night\n"
    path.write_text(text.replace(marker, marker + near), encoding="utf-8")
    assert warnings(kb_dir) == []  # `kb check --strict` passes
    _, problems = check(kb_dir)
    assert [str(p) for p in problems] == [
        "kb/topics/basics.yaml:18: note: near-miss of 'exfoliate-how-often' is answered by it: "
        "'how often should i use an exfoliating acid toner at night'"
    ]


def test_answer_too_long_for_one_message(kb_dir: Path) -> None:
    long_answer = " ".join(["Placeholder sentence for a very long answer."] * 120)  # ~5,400
    topic(
        kb_dir,
        "zz-more",
        f"""\
title: More
entries:
  - id: long-answer
    question: Why is this answer so very long?
    answer: {long_answer}
    link: https://example.org/x
    reviewed: 2026-01-15
""",
    )
    found = warnings(kb_dir)
    assert found == [
        "kb/topics/zz-more.yaml:5: warning: answer of 'long-answer' is too long for one "
        "Telegram message"
    ]


def test_a_draft_does_not_stop_loading_but_errors_do(kb_dir: Path) -> None:
    topic(
        kb_dir,
        "zz-more",
        "title: More\nentries:\n" + GOOD.replace("    reviewed: 2026-01-15\n", ""),
    )
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is not None
    assert [p.severity for p in problems] == ["warning"]


# --- the bundled knowledge ------------------------------------------------------------------


def test_broken_copy_of_bundled_knowledge(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(BUNDLED_KNOWLEDGE, root, ignore=shutil.ignore_patterns("*.md"))
    files = sorted((root / "topics").glob("*.yaml"))
    assert len(files) >= 2

    # 1. rename the first `answer:` key of the first topic file
    first = files[0]
    lines = first.read_text(encoding="utf-8").splitlines(keepends=True)
    answer_line = next(i for i, ln in enumerate(lines, 1) if ln.startswith("    answer:"))
    lines[answer_line - 1] = lines[answer_line - 1].replace("answer:", "anser:", 1)
    first.write_text("".join(lines), encoding="utf-8")

    # 2. indent one line of the second file with a tab
    second = files[1]
    lines = second.read_text(encoding="utf-8").splitlines(keepends=True)
    link_line = next(i for i, ln in enumerate(lines, 1) if ln.startswith("    link:"))
    lines[link_line - 1] = "\t" + lines[link_line - 1].lstrip(" ")
    second.write_text("".join(lines), encoding="utf-8")

    knowledge, problems = load_knowledge(root)
    assert knowledge is None
    found = [str(p) for p in problems if p.severity == "error"]
    assert any(
        e.startswith(f"knowledge/topics/{first.name}:{answer_line}: error: unknown field 'anser'")
        for e in found
    ), found
    assert any(
        e.startswith(f"knowledge/topics/{second.name}:{link_line}: error: invalid YAML")
        and "tab" in e
        for e in found
    ), found


# --- files that are not plain files (the bot reloads while admins edit) ------------------------


def _load_or_hang(kb: Path, seconds: float = 10) -> tuple[Knowledge | None, list[str]]:
    """load_knowledge in a thread: a read that blocks (a named pipe) fails the test, not the run."""
    found: list[tuple[Knowledge | None, list[str]]] = []

    def load() -> None:
        knowledge, problems = load_knowledge(kb)
        found.append((knowledge, [str(p) for p in problems]))

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(seconds)
    assert found, "load_knowledge blocked"
    return found[0]


@pytest.mark.parametrize("name", ["topics/tools.yaml", "bot.yaml"])
def test_a_named_pipe_is_an_error_not_a_hang(kb_dir: Path, name: str) -> None:
    (kb_dir / name).unlink()
    os.mkfifo(kb_dir / name)

    knowledge, problems = _load_or_hang(kb_dir)

    assert knowledge is None
    assert problems == [f"kb/{name}:1: error: not a regular file (a pipe, socket or device)"]
    assert fingerprint(knowledge_files(kb_dir))  # nor does the version block on it


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("bot.yaml", "cannot read the file: Too many levels of symbolic links"),
        ("missing.yaml", "cannot read the file: No such file or directory"),
    ],
)
def test_a_broken_bot_yaml_link_is_an_error_not_the_defaults(
    kb_dir: Path, target: str, message: str
) -> None:
    (kb_dir / "bot.yaml").unlink()
    (kb_dir / "bot.yaml").symlink_to(target)  # a loop to itself, or dangling

    knowledge, problems = load_knowledge(kb_dir)

    assert knowledge is None
    assert [str(p) for p in problems] == [f"kb/bot.yaml:1: error: {message}"]


def test_a_topic_file_that_is_a_folder_is_an_error(kb_dir: Path) -> None:
    (kb_dir / "topics" / "more.yaml").symlink_to(kb_dir)

    knowledge, problems = load_knowledge(kb_dir)

    assert knowledge is None
    assert [str(p) for p in problems] == ["kb/topics/more.yaml:1: error: is a folder, not a file"]


def test_yaml_nested_too_deeply_is_an_error_not_a_crash(kb_dir: Path) -> None:
    (kb_dir / "topics" / "tools.yaml").write_text("title: x\nentries: " + "[" * 1000 + "]" * 1000)

    knowledge, problems = load_knowledge(kb_dir)

    assert knowledge is None
    assert [str(p) for p in problems] == [
        "kb/topics/tools.yaml:1: error: invalid YAML: nested too deeply"
    ]


def test_an_unlistable_topics_folder_is_an_error(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(chmod cannot show it when the tests run as root: the listing is refused here instead.)"""
    scandir = os.scandir
    topics = kb_dir / "topics"

    def refuse(path: object = ".") -> object:
        if Path(str(path)) == topics:
            raise PermissionError(13, "Permission denied")
        return scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", refuse)

    knowledge, problems = load_knowledge(kb_dir)

    assert knowledge is None
    assert [str(p) for p in problems] == [
        "kb/topics:1: error: cannot read the topics/ folder: Permission denied"
    ]
