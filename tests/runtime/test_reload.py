"""Live reloading of the knowledge (bot/runtime/reload.py): a good change is served at once, a broken
or half-done one never is, the watcher notices saves by itself and tells the admins once."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import bot.runtime.reload
from bot.conversation import render
from bot.conversation.service import AnswerService
from bot.knowledge.files import Problem
from bot.knowledge.loading import Knowledge, load_knowledge
from bot.review import replies as review_replies
from bot.runtime.reload import KnowledgeReloader, ReloadResult, folder_signature
from bot.understanding.snapshot import Snapshot
from tests.conftest import until

SUNSCREEN_Q = "How much sunscreen should I apply?"
SUNSCREEN_OLD = "Placeholder answer about the amount of sunscreen, for tests only."
SUNSCREEN_NEW = "A teaspoon for the face and neck (a new vetted answer)."
INTERVAL = 0.05  # the watcher's poll interval in these tests

NEW_ENTRY = """
  - id: serum-in-fridge
    question: Can I keep a face serum in the fridge?
    answer: Placeholder answer about fridges, for tests only.
    link: https://example.org/kb/serum-in-fridge
    reviewed: 2026-01-15
"""


class Bot:
    """A service on a copy of the knowledge folder, with a reloader whose reports are kept."""

    def __init__(self, kb: Path) -> None:
        knowledge, problems = load_knowledge(kb)
        assert knowledge is not None, [str(p) for p in problems]
        self.kb = kb
        self.first = Snapshot.build(knowledge)
        self.service = AnswerService(self.first, store=None)
        self.reports: list[ReloadResult] = []
        self.reloader = KnowledgeReloader(kb, self.service, on_result=self._report)

    async def _report(self, result: ReloadResult) -> None:
        self.reports.append(result)

    @property
    def knowledge(self) -> Knowledge:
        return self.service.knowledge

    def answer(self, question: str, snapshot: Snapshot | None = None) -> str | None:
        decision, _ = (snapshot or self.service.snapshot).decide(question)
        return decision.entry.answer if decision.entry is not None else None

    def assert_old_knowledge_serves(self) -> None:
        assert self.service.snapshot is self.first
        assert self.answer(SUNSCREEN_Q) == SUNSCREEN_OLD


@pytest.fixture
def kb(kb_dir: Path) -> Path:
    return kb_dir


@pytest.fixture
def expertbot(kb: Path) -> Bot:
    return Bot(kb)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of `path` that contains `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


@asynccontextmanager
async def watching(
    reloader: KnowledgeReloader, interval: float = INTERVAL
) -> AsyncIterator[asyncio.Event]:
    """Run `watch` for the block (after its first poll); check that `stop` ends it quickly."""
    stop = asyncio.Event()
    task = asyncio.create_task(reloader.watch(stop, interval))
    try:
        await until(lambda: reloader.polls >= 1)
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 2)


async def polls(reloader: KnowledgeReloader, n: int) -> None:
    """Let the watcher poll `n` more times."""
    target = reloader.polls + n
    await until(lambda: reloader.polls >= target)


@pytest.fixture
def count_loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every load_knowledge call made by the reloader, in order."""
    calls: list[Path] = []

    def counting(root: Path) -> tuple[Knowledge | None, list[Problem]]:
        calls.append(root)
        return load_knowledge(root)

    monkeypatch.setattr(bot.runtime.reload, "load_knowledge", counting)
    return calls


# --- 1. a good edit ---------------------------------------------------------------------------


async def test_good_edit_is_served_and_questions_in_flight_keep_the_old_snapshot(
    expertbot: Bot, kb: Path
) -> None:
    in_flight = expertbot.service.snapshot  # a question being answered holds this
    old_version = expertbot.knowledge.version
    edit(kb / "topics" / "basics.yaml", SUNSCREEN_OLD, SUNSCREEN_NEW)

    result = await expertbot.reloader.reload("/reload")

    assert result.ok and result.changed
    assert result.version == expertbot.knowledge.version != old_version
    assert result.entries == 5
    assert result.problems == []
    assert result.reason == "/reload"
    assert expertbot.service.snapshot is not in_flight
    assert expertbot.answer(SUNSCREEN_Q) == SUNSCREEN_NEW
    assert expertbot.answer(SUNSCREEN_Q, in_flight) == SUNSCREEN_OLD  # untouched by the swap
    assert in_flight.knowledge.version == old_version
    assert expertbot.reports == [result]
    assert result.summary() == (
        f"Knowledge reloaded (/reload): 5 answers, version {result.version}"
    )


async def test_an_added_entry_is_served(expertbot: Bot, kb: Path) -> None:
    with (kb / "topics" / "tools.yaml").open("a", encoding="utf-8") as f:
        f.write(NEW_ENTRY)

    result = await expertbot.reloader.reload("SIGHUP")

    assert result.ok and result.changed and result.entries == 6
    assert expertbot.answer("Can I keep a face serum in the fridge?") == (
        "Placeholder answer about fridges, for tests only."
    )
    assert "serum-in-fridge" not in expertbot.first.knowledge.entries


async def test_warnings_are_served_and_counted(expertbot: Bot, kb: Path) -> None:
    edit(kb / "topics" / "tools.yaml", "    reviewed: 2026-01-15\n\n", "\n")  # a draft now

    result = await expertbot.reloader.reload("/reload")

    assert result.ok and result.changed and result.entries == 4
    assert [p.severity for p in result.problems] == ["warning"]
    assert result.summary().endswith("; 1 warning")


# --- 2. a broken edit -------------------------------------------------------------------------


def _invalid_yaml(path: Path) -> tuple[int, str]:
    edit(path, "answer: Placeholder answer about jade rollers", 'answer: "Placeholder answer')
    return line_of(path, 'answer: "Placeholder'), "invalid YAML"


def _unknown_field(path: Path) -> tuple[int, str]:
    edit(
        path, "    reviewed: 2026-01-15\n\n", "    exampels: [a typo]\n    reviewed: 2026-01-15\n\n"
    )
    return line_of(path, "exampels:"), "unknown field 'exampels'"


def _duplicate_id(path: Path) -> tuple[int, str]:
    edit(path, "  - id: jade-roller", "  - id: cleansing-brush")
    line = line_of(path, "Does a jade roller") - 1
    return line, "duplicate id 'cleansing-brush' (first at kb/topics/tools.yaml:3)"


@pytest.mark.parametrize("breakage", [_invalid_yaml, _unknown_field, _duplicate_id])
async def test_a_broken_edit_keeps_the_old_knowledge_and_names_file_and_line(
    expertbot: Bot, kb: Path, breakage: Callable[[Path], tuple[int, str]]
) -> None:
    version = expertbot.knowledge.version
    line, message = breakage(kb / "topics" / "tools.yaml")

    result = await expertbot.reloader.reload("file change")

    assert not result.ok and not result.changed
    assert result.version == version and result.entries == 5
    expertbot.assert_old_knowledge_serves()
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith(f"kb/topics/tools.yaml:{line}: error: {message}")
    assert result.summary() == (
        f"Knowledge NOT reloaded (file change): 1 error; still serving version {version}"
    )
    assert expertbot.reports == [result]
    assert str(result.errors[0]) in render.plain(review_replies.reload_report(result))


# --- 3. the knowledge breaks while the bot runs -----------------------------------------------


def _delete_folder(kb: Path) -> str:
    shutil.rmtree(kb)
    return f"{kb}:1: error: knowledge folder not found"


def _rename_folder(kb: Path) -> str:
    kb.rename(kb.with_name("kb-old"))
    return f"{kb}:1: error: knowledge folder not found"


def _delete_topics(kb: Path) -> str:
    shutil.rmtree(kb / "topics")
    return f"{kb / 'topics'}:1: error: no topics/ folder: it is required"


def _truncate_basics(kb: Path) -> str:
    path = kb / "topics" / "basics.yaml"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # saved mid-edit
    return "kb/topics/basics.yaml:"


def _empty_file(kb: Path) -> str:
    (kb / "topics" / "tools.yaml").write_bytes(b"")  # the first instant of a save
    return "kb/topics/tools.yaml:1: error: missing required field 'title'"


def _symlink_loop(kb: Path) -> str:
    topics = kb / "topics"
    (topics / "tools.yaml").unlink()
    (topics / "tools.yaml").symlink_to("loop.yaml")
    (topics / "loop.yaml").symlink_to("tools.yaml")
    return "kb/topics/tools.yaml:1: error: cannot read the file: Too many levels of symbolic links"


def _symlink_to_itself(kb: Path) -> str:
    path = kb / "topics" / "tools.yaml"
    path.unlink()
    path.symlink_to("tools.yaml")
    return "kb/topics/tools.yaml:1: error: cannot read the file: Too many levels of symbolic links"


def _symlink_to_a_folder(kb: Path) -> str:
    path = kb / "topics" / "tools.yaml"
    path.unlink()
    path.symlink_to(kb.parent)
    return "kb/topics/tools.yaml:1: error: is a folder, not a file"


def _bot_yaml_symlink_loop(kb: Path) -> str:
    path = kb / "bot.yaml"
    path.unlink()
    path.symlink_to("bot.yaml")
    return "kb/bot.yaml:1: error: cannot read the file: Too many levels of symbolic links"


def _not_utf8(kb: Path) -> str:
    path = kb / "topics" / "tools.yaml"
    path.write_bytes(path.read_bytes().replace(b"Tools", b"Tools \xff\xfe"))
    return "kb/topics/tools.yaml:1: error: not UTF-8 text"


def _named_pipe(kb: Path) -> str:
    path = kb / "topics" / "tools.yaml"
    path.unlink()
    os.mkfifo(path)  # reading it would block forever
    return "kb/topics/tools.yaml:1: error: not a regular file"


def _folder_named_yaml(kb: Path) -> str:
    (kb / "topics" / "more.yaml").mkdir()
    return "kb/topics/more.yaml:1: error: is a folder, not a file"


def _nested_too_deep(kb: Path) -> str:
    (kb / "topics" / "tools.yaml").write_text("title: x\nentries: " + "[" * 1000 + "]" * 1000)
    return "kb/topics/tools.yaml:1: error: invalid YAML: nested too deeply"


FAULTS = [
    _delete_folder,
    _rename_folder,
    _delete_topics,
    _truncate_basics,
    _empty_file,
    _symlink_loop,
    _symlink_to_itself,
    _symlink_to_a_folder,
    _bot_yaml_symlink_loop,
    _not_utf8,
    _named_pipe,
    _folder_named_yaml,
    _nested_too_deep,
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.__name__.strip("_"))
async def test_a_fault_while_running_keeps_the_old_knowledge(
    expertbot: Bot, kb: Path, fault: Callable[[Path], str]
) -> None:
    version = expertbot.knowledge.version
    expected = fault(kb)

    result = await asyncio.wait_for(expertbot.reloader.reload("file change"), 10)

    assert not result.ok and not result.changed
    assert result.version == version and result.entries == 5
    expertbot.assert_old_knowledge_serves()
    errors = [str(p) for p in result.errors]
    assert any(e.startswith(expected) for e in errors), errors
    assert expertbot.reports == [result]


async def test_deleting_a_topic_that_others_relate_to_is_an_error(expertbot: Bot, kb: Path) -> None:
    tools = kb / "topics" / "tools.yaml"
    edit(
        tools,
        "    reviewed: 2026-01-15\n\n",
        "    related: [sunscreen-amount]\n    reviewed: 2026-01-15\n\n",
    )
    assert (await expertbot.reloader.reload("/reload")).changed
    served = expertbot.service.snapshot
    line = line_of(tools, "related: [sunscreen-amount]")

    (kb / "topics" / "basics.yaml").unlink()
    result = await expertbot.reloader.reload("file change")

    assert not result.ok
    assert [str(p) for p in result.errors] == [
        f"kb/topics/tools.yaml:{line}: error: related id 'sunscreen-amount' does not exist"
    ]
    assert expertbot.service.snapshot is served


async def test_deleting_a_topic_nothing_relates_to_serves_the_rest(
    expertbot: Bot, kb: Path
) -> None:
    """Reported, not decided: the remaining files are a valid knowledge base, so they serve."""
    (kb / "topics" / "tools.yaml").unlink()

    result = await expertbot.reloader.reload("file change")

    assert result.ok and result.changed and result.entries == 3
    assert [t.id for t in expertbot.knowledge.topics] == ["basics"]


async def test_deleting_bot_yaml_keeps_the_old_knowledge(expertbot: Bot, kb: Path) -> None:
    """bot.yaml is optional at start (defaults apply), but one that vanishes from a running bot
    is a mistake: served silently, the defaults would change every text (and a vanished
    safety.yaml would drop the emergency messages)."""
    assert expertbot.knowledge.settings.expert == "Dr Example"
    (kb / "bot.yaml").unlink()

    result = await expertbot.reloader.reload("file change")

    assert not result.ok
    assert str(result.errors[0]).startswith("kb/bot.yaml:1: error: was deleted while the bot runs")
    expertbot.assert_old_knowledge_serves()
    assert expertbot.knowledge.settings.expert == "Dr Example"


async def test_a_deleted_safety_file_keeps_the_old_knowledge(expertbot: Bot, kb: Path) -> None:
    (kb / "safety.yaml").write_text(
        "red_flags:\n  - id: breathing\n    title: Trouble breathing\n"
        "    phrases: [trouble breathing]\n    advice: Call your local emergency number now.\n",
        encoding="utf-8",
    )
    assert (await expertbot.reloader.reload("/reload")).ok
    assert expertbot.knowledge.red_flags
    (kb / "safety.yaml").unlink()

    result = await expertbot.reloader.reload("file change")

    assert not result.ok and "kb/safety.yaml:1: error: was deleted" in str(result.errors[0])
    assert expertbot.knowledge.red_flags  # emergencies still get the safety message


async def test_a_half_written_file_can_be_valid(expertbot: Bot, kb: Path) -> None:
    """Reported, not decided: tools.yaml cut in half is valid YAML (the cut `link` is still a
    web address; the entry lost its `reviewed` and is a draft), so a reload *at that moment*
    serves 3 answers. Only the watcher's settling (tests below) keeps it from being loaded."""
    path = kb / "topics" / "tools.yaml"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    result = await expertbot.reloader.reload("file change")

    assert result.ok and result.changed and result.entries == 3
    assert [str(p) for p in result.problems] == [
        "kb/topics/tools.yaml:3: warning: entry 'cleansing-brush' has no 'reviewed' date: "
        "it is a draft and is not served"
    ]


async def test_a_file_cut_after_a_whole_entry_is_valid(expertbot: Bot, kb: Path) -> None:
    """Reported, not decided: the same with a cut between two entries (4 answers served)."""
    path = kb / "topics" / "tools.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("  - id: jade-roller")], encoding="utf-8")

    result = await expertbot.reloader.reload("file change")

    assert result.ok and result.changed and result.entries == 4 and result.problems == []


async def test_an_unreadable_file_is_an_error(
    expertbot: Bot, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = kb / "topics" / "tools.yaml"
    read_text = Path.read_text

    def refuse(self: Path, *args: Any, **kwargs: Any) -> str:
        if self == tools:
            raise PermissionError(13, "Permission denied")
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refuse)  # (root reads whatever chmod says)

    result = await expertbot.reloader.reload("file change")

    assert not result.ok
    assert [str(p) for p in result.errors] == [
        "kb/topics/tools.yaml:1: error: cannot read the file: Permission denied"
    ]
    expertbot.assert_old_knowledge_serves()


async def test_an_unlistable_topics_folder_is_an_error(
    expertbot: Bot, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scandir = os.scandir
    topics = kb / "topics"

    def refuse(path: Any = ".") -> Any:
        if Path(path) == topics:
            raise PermissionError(13, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)

    result = await expertbot.reloader.reload("file change")

    assert not result.ok
    assert [str(p) for p in result.errors] == [
        "kb/topics:1: error: cannot read the topics/ folder: Permission denied"
    ]
    expertbot.assert_old_knowledge_serves()


async def test_a_crash_while_loading_is_a_failure_not_an_exception(
    expertbot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(knowledge: Knowledge, **_: Any) -> Snapshot:
        raise RuntimeError("index exploded")

    edit(expertbot.kb / "topics" / "basics.yaml", SUNSCREEN_OLD, SUNSCREEN_NEW)
    monkeypatch.setattr(Snapshot, "build", crash)

    result = await expertbot.reloader.reload("/reload")

    assert not result.ok and not result.changed
    assert [p.message for p in result.errors] == ["could not load: RuntimeError: index exploded"]
    expertbot.assert_old_knowledge_serves()
    assert expertbot.reports == [result]
    assert "index exploded" in caplog.text  # with the traceback, for the developer


# --- 5. nothing changed; concurrent reloads ---------------------------------------------------


async def test_reloading_an_unchanged_folder_changes_and_reports_nothing(
    expertbot: Bot,
) -> None:
    result = await expertbot.reloader.reload("/reload")

    assert result.ok and not result.changed
    assert result.version == expertbot.first.knowledge.version and result.entries == 5
    assert expertbot.service.snapshot is expertbot.first  # not even rebuilt
    assert expertbot.reports == []
    assert result.summary() == (
        f"Knowledge checked (/reload): no errors; 5 answers, version {result.version} unchanged"
    )


async def test_concurrent_reloads_run_one_at_a_time(expertbot: Bot, kb: Path) -> None:
    edit(kb / "topics" / "basics.yaml", SUNSCREEN_OLD, SUNSCREEN_NEW)

    results = await asyncio.gather(*(expertbot.reloader.reload("/reload") for _ in range(3)))

    assert all(r.ok for r in results)
    assert [r.changed for r in results].count(True) == 1  # the others saw it served already
    assert len(expertbot.reports) == 1


async def test_a_failing_on_result_is_logged_not_raised(
    expertbot: Bot, kb: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(result: ReloadResult) -> None:
        raise ConnectionError("Telegram is down")

    expertbot.reloader.on_result = broken
    edit(kb / "topics" / "basics.yaml", SUNSCREEN_OLD, SUNSCREEN_NEW)

    result = await expertbot.reloader.reload("/reload")

    assert result.ok and result.changed
    assert expertbot.answer(SUNSCREEN_Q) == SUNSCREEN_NEW
    assert "could not report the knowledge reload" in caplog.text


async def test_the_first_success_after_a_failure_is_reported(expertbot: Bot, kb: Path) -> None:
    """Even when it serves the same version as before: the admins learn the errors are gone."""
    tools = kb / "topics" / "tools.yaml"
    good = tools.read_bytes()
    tools.write_bytes(b"title: [")
    assert not (await expertbot.reloader.reload("file change")).ok

    tools.write_bytes(good)
    fixed = await expertbot.reloader.reload("file change")
    again = await expertbot.reloader.reload("/reload")

    assert fixed.ok and not fixed.changed
    assert [r.ok for r in expertbot.reports] == [False, True]  # `again` is not news
    assert again.ok and not again.changed
    assert expertbot.service.snapshot is expertbot.first


def test_report_lists_errors_first_and_caps_the_list() -> None:
    shown = review_replies.PROBLEMS_SHOWN
    problems = [
        Problem("kb/topics/a.yaml", i, "error", f"problem {i}") for i in range(1, shown + 3)
    ]
    problems.insert(0, Problem("kb/topics/a.yaml", 1, "warning", "a draft"))
    result = ReloadResult(False, False, "abc123", 5, problems, "file change")

    lines = render.plain(review_replies.reload_report(result)).split("\n\n", 1)
    lines = [lines[0], *lines[1].splitlines()]

    assert lines[0] == result.summary()
    assert f"{shown + 2} errors" in lines[0]
    assert lines[1] == "• kb/topics/a.yaml:1: error: problem 1"
    assert len(lines) == shown + 2
    assert lines[-1].startswith("• … and 3 more")


# --- 4. the watcher ---------------------------------------------------------------------------


async def test_the_watcher_picks_up_a_saved_change(expertbot: Bot, kb: Path) -> None:
    async with watching(expertbot.reloader):
        await polls(expertbot.reloader, 2)
        assert expertbot.reports == []  # nothing changed yet
        edit(kb / "topics" / "basics.yaml", SUNSCREEN_OLD, SUNSCREEN_NEW)
        await until(lambda: len(expertbot.reports) == 1)

    result = expertbot.reports[0]
    assert result.ok and result.changed and result.reason == "file change"
    assert expertbot.answer(SUNSCREEN_Q) == SUNSCREEN_NEW


async def test_a_file_rewritten_twice_quickly_is_reloaded_once_in_its_final_state(
    expertbot: Bot, kb: Path, count_loads: list[Path]
) -> None:
    basics = kb / "topics" / "basics.yaml"
    async with watching(expertbot.reloader):
        edit(basics, SUNSCREEN_OLD, "A first draft.")
        edit(basics, "A first draft.", SUNSCREEN_NEW)
        await until(lambda: expertbot.answer(SUNSCREEN_Q) == SUNSCREEN_NEW)
        await polls(expertbot.reloader, 4)

    assert len(count_loads) == 1
    assert [(r.ok, r.changed) for r in expertbot.reports] == [(True, True)]


async def test_a_change_seen_mid_save_is_not_loaded_until_it_settles(
    expertbot: Bot, kb: Path, count_loads: list[Path]
) -> None:
    basics = kb / "topics" / "basics.yaml"
    async with watching(expertbot.reloader):
        edit(basics, SUNSCREEN_OLD, "A first draft.")
        await polls(expertbot.reloader, 1)  # the watcher has seen the first save...
        edit(basics, "A first draft.", SUNSCREEN_NEW)  # ...which was not the last
        await until(lambda: expertbot.answer(SUNSCREEN_Q) == SUNSCREEN_NEW)
        await polls(expertbot.reloader, 4)

    assert len(count_loads) == 1
    assert len(expertbot.reports) == 1


async def test_a_broken_state_is_reported_once_then_the_fix_is_served(
    expertbot: Bot, kb: Path, count_loads: list[Path]
) -> None:
    tools = kb / "topics" / "tools.yaml"
    async with watching(expertbot.reloader):
        edit(tools, "    link: https://example.org/kb/jade-roller", "    lnk: https://x.org/")
        await until(lambda: len(expertbot.reports) == 1)
        assert not expertbot.reports[0].ok
        await polls(expertbot.reloader, 5)  # still broken: polled, not reloaded again
        assert len(count_loads) == 1

        # saved again unchanged (a `touch`, an editor's save): loaded again, not reported again
        stat = tools.stat()
        os.utime(tools, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        await until(lambda: len(count_loads) == 2)
        await polls(expertbot.reloader, 3)
        assert len(expertbot.reports) == 1
        expertbot.assert_old_knowledge_serves()

        edit(tools, "    lnk: https://x.org/", "    link: https://example.org/kb/jade-roller-2")
        await until(lambda: len(expertbot.reports) == 2)

    fixed = expertbot.reports[1]
    assert fixed.ok and fixed.changed
    assert expertbot.knowledge.entries["jade-roller"].link.endswith("jade-roller-2")


async def test_the_watcher_notices_the_folder_going_and_coming_back(
    expertbot: Bot, kb: Path, tmp_path: Path
) -> None:
    async with watching(expertbot.reloader):
        kb.rename(tmp_path / "elsewhere")
        await until(lambda: len(expertbot.reports) == 1)
        assert "knowledge folder not found" in str(expertbot.reports[0].errors[0])
        (tmp_path / "elsewhere").rename(kb)
        await until(lambda: len(expertbot.reports) == 2)

    assert expertbot.reports[1].ok  # the same version again: reported as fixed
    expertbot.assert_old_knowledge_serves()


async def test_a_change_during_loading_waits_for_the_final_state(
    expertbot: Bot, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder changed while it was read: that load is dropped, the final one is served."""
    basics = kb / "topics" / "basics.yaml"
    loads: list[str] = []

    def load_while_saving(root: Path) -> tuple[Knowledge | None, list[Problem]]:
        found = load_knowledge(root)
        loads.append(basics.read_text(encoding="utf-8"))
        if len(loads) == 1:  # the admin saves again while the first load runs
            edit(basics, "A first draft.", SUNSCREEN_NEW)
        return found

    monkeypatch.setattr(bot.runtime.reload, "load_knowledge", load_while_saving)
    async with watching(expertbot.reloader):
        edit(basics, SUNSCREEN_OLD, "A first draft.")
        await until(lambda: len(expertbot.reports) == 1)

    assert len(loads) == 2
    assert [(r.ok, r.changed) for r in expertbot.reports] == [(True, True)]
    assert expertbot.answer(SUNSCREEN_Q) == SUNSCREEN_NEW


async def test_a_change_before_watching_started_is_picked_up(expertbot: Bot, kb: Path) -> None:
    """Files saved between the bot's first load and the watcher's start are not missed."""
    edit(kb / "topics" / "basics.yaml", SUNSCREEN_OLD, SUNSCREEN_NEW)
    fresh = KnowledgeReloader(kb, expertbot.service)  # (its folder state: already the new one)

    async with watching(fresh):
        await until(lambda: expertbot.answer(SUNSCREEN_Q) == SUNSCREEN_NEW)


async def test_the_watcher_survives_errors_and_logs_them_once(
    expertbot: Bot, kb: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = folder_signature
    failing = True

    def flaky(directory: Path) -> Any:
        if failing:
            raise OSError("disk on fire")
        return real(directory)

    monkeypatch.setattr(bot.runtime.reload, "folder_signature", flaky)
    async with watching(expertbot.reloader):
        await polls(expertbot.reloader, 5)
        failing = False
        edit(kb / "topics" / "basics.yaml", SUNSCREEN_OLD, SUNSCREEN_NEW)
        await until(lambda: len(expertbot.reports) == 1)

    logged = [r for r in caplog.records if "disk on fire" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert expertbot.answer(SUNSCREEN_Q) == SUNSCREEN_NEW


async def test_stop_ends_the_watcher_at_once(expertbot: Bot) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(expertbot.reloader.watch(stop, interval=60))
    await until(lambda: expertbot.reloader.polls >= 1)

    stop.set()

    await asyncio.wait_for(task, 0.5)


def test_the_signature_sees_saves_renames_and_the_folder(kb: Path, tmp_path: Path) -> None:
    first = folder_signature(kb)
    assert first == folder_signature(kb)
    assert [f[0] for f in first[2]] == ["bot.yaml", "topics/basics.yaml", "topics/tools.yaml"]

    (kb / "topics" / "notes.txt").write_text("not knowledge")
    assert folder_signature(kb) == first  # only what load_knowledge reads

    tools = kb / "topics" / "tools.yaml"
    replacement = tmp_path / "tools.yaml"
    replacement.write_bytes(tools.read_bytes())
    os.utime(replacement, ns=(tools.stat().st_atime_ns, tools.stat().st_mtime_ns))
    replacement.replace(tools)  # an atomic save: same size, same mtime, new file
    assert folder_signature(kb) != first

    (kb / "topics" / "loop.yaml").symlink_to("loop.yaml")
    assert folder_signature(kb)[2][-2][0] == "topics/loop.yaml"  # recorded, no exception

    shutil.rmtree(kb)
    assert folder_signature(kb) == (False, False, ())


# --- 6. logging -------------------------------------------------------------------------------


def _records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bot.runtime.reload"]


async def test_logs_one_info_line_per_change_without_answer_text(
    expertbot: Bot, kb: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.runtime.reload")
    edit(kb / "topics" / "basics.yaml", SUNSCREEN_OLD, SUNSCREEN_NEW)

    result = await expertbot.reloader.reload("SIGHUP")

    assert _records(caplog) == [(logging.INFO, result.summary())]
    assert SUNSCREEN_NEW not in caplog.text and SUNSCREEN_OLD not in caplog.text


async def test_logs_one_warning_with_the_first_problems_on_failure(
    expertbot: Bot, kb: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.runtime.reload")
    edit(kb / "topics" / "basics.yaml", SUNSCREEN_OLD, SUNSCREEN_NEW)
    for name in ("basics", "tools"):  # five unknown fields, next to an answer's text
        path = kb / "topics" / f"{name}.yaml"
        text = path.read_text(encoding="utf-8").replace("    reviewed:", "    reviewd:")
        path.write_text(text, encoding="utf-8")

    result = await expertbot.reloader.reload("file change")

    assert len(result.errors) == 5
    records = _records(caplog)
    assert len(records) == 1
    level, message = records[0]
    assert level == logging.WARNING
    assert message.startswith(result.summary())
    assert str(result.errors[0]) in message and str(result.errors[2]) in message
    assert str(result.errors[3]) not in message
    assert SUNSCREEN_NEW not in caplog.text and SUNSCREEN_OLD not in caplog.text
