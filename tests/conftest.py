"""Shared fixtures: a tiny valid knowledge folder in tmp_path, the bundled knowledge, a store on
a temporary SQLite file, and a way to run the CLI."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.knowledge.loading import Knowledge, load_knowledge
from bot.storage import Store
from bot.understanding import semantic
from bot.understanding.snapshot import Snapshot

# Most of the suite runs the light, words-only matcher (fast; child processes inherit this).
# The meaning signal of the default install is tested where it matters: tests/understanding/test_semantic.py,
# tests/understanding/test_quality.py and tests/e2e/test_default_install.py set it on explicitly.
os.environ["EXPERTBOT_SEMANTIC"] = "off"
collect_ignore = [] if semantic.available() else ["test_semantic.py", "test_triage_model.py"]

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def db_rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read through a second, independent connection: sees only committed data."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


async def until(
    condition: Callable[[], object],
    timeout: float = 10.0,
    what: str | Callable[[], str] = "the condition",
    step: float = 0.02,
) -> None:
    """Wait until `condition()` is true, checking every `step` seconds (for what nothing can
    signal: another process's database, a thread, a counter); fail after `timeout` seconds,
    saying what was awaited (`what` may be a function, to show the state at that moment)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {_said(what)}")
        await asyncio.sleep(step)


def _said(what: str | Callable[[], str]) -> str:
    return what if isinstance(what, str) else what()


def db_count(db: Path, table: str) -> int:
    """Rows in a table, read through an independent connection."""
    return int(db_rows(db, f"SELECT COUNT(*) FROM {table}")[0][0])


def schema_version(db: Path) -> int:
    return int(db_rows(db, "PRAGMA user_version")[0][0])


def invoke_cli(db: Path, *args: str) -> tuple[int, str, str]:
    """The command in this process (fast); for the many variants of one behaviour."""
    result = CliRunner().invoke(app, list(args), env={"EXPERTBOT_DB": str(db)})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def one_line_error(code: int, out: str, err: str) -> str:
    """Assert a clean failure: exit 1, one line on stderr, no traceback. Returns the line."""
    assert code == 1, (out, err)
    assert "Traceback" not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("expertbot: ")
    return lines[0]


KB_SMALL = DATA / "kb_small"
BUNDLED_KB = ROOT / "knowledge"
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A fresh copy of tests/data/kb_small (5 entries in 2 topics), free to break."""
    target = tmp_path / "kb"
    shutil.copytree(KB_SMALL, target)
    return target


@pytest.fixture
def kb_e2e_copy(tmp_path: Path) -> Path:
    """A fresh copy of tests/data/kb_e2e (the end-to-end knowledge), free to write into."""
    target = tmp_path / "kb"
    shutil.copytree(DATA / "kb_e2e", target)
    return target


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database path whose folder does not exist yet."""
    return tmp_path / "db" / "expertbot.sqlite3"


@pytest.fixture(scope="session")
def bundled_knowledge() -> Knowledge:
    """The bundled knowledge/ folder, loaded once (read-only: never mutate it in a test)."""
    knowledge, problems = load_knowledge(BUNDLED_KB)
    assert knowledge is not None, [str(p) for p in problems]
    return knowledge


@pytest.fixture(scope="session")
def bundled_snapshot(bundled_knowledge: Knowledge) -> Snapshot:
    """Snapshot.build of the bundled knowledge, built once (it is immutable)."""
    return Snapshot.build(bundled_knowledge)


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    """A real Store on a fresh SQLite file (`db_path`), closed after the test."""
    opened = await Store.open(db_path)
    yield opened
    await opened.close()


@pytest.fixture
def run_cli(tmp_path: Path, db_path: Path) -> RunCli:
    """run_cli(*args, stdin=None, env=None) -> (exit code, stdout, stderr).

    Runs `python -m bot ARGS` from the project root, with EXPERTBOT_DB set to `db_path`
    (a fresh temporary file) and no Telegram token, so nothing reaches the network.
    """

    def run(
        *args: str,
        stdin: str | bytes | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, str, str]:
        full_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "EXPERTBOT_", "DOCTOR_", "ADMIN_", "WEBHOOK_"))
        }
        full_env |= {"EXPERTBOT_DB": str(db_path), "PYTHONIOENCODING": "utf-8"}
        full_env["EXPERTBOT_SEMANTIC"] = os.environ["EXPERTBOT_SEMANTIC"]  # the lexical matcher
        full_env |= env or {}
        data = stdin.encode() if isinstance(stdin, str) else (stdin or b"")
        proc = subprocess.run(
            [PYTHON, "-m", "bot", *args],
            cwd=ROOT,
            env=full_env,
            input=data,
            capture_output=True,
            timeout=timeout,
        )
        out = proc.stdout.decode("utf-8", errors="replace")
        err = proc.stderr.decode("utf-8", errors="replace")
        return proc.returncode, out, err

    return run
