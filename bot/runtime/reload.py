"""Loading the knowledge to serve: once at start (`load_snapshot`, for `expertbot run` and the
commands that need the knowledge), and live (design.md §1, Admin).

The running bot picks up saved changes by itself (`KnowledgeReloader.watch`), and on demand
(`/reload` from an admin, SIGHUP: `KnowledgeReloader.reload`). A reload loads and indexes the
folder in a worker thread, so readers keep getting answers meanwhile, then swaps the whole
`Snapshot` at once: a question in flight finishes on the snapshot it started with. A folder
with errors is never served: the previous knowledge keeps serving and the admins are told
what is wrong, file and line, once per distinct set of problems.

The watcher polls file stats (no extra dependency; it also works on network and Docker
Desktop mounts, where file events may never arrive) and waits until a change has settled for
one poll, so an editor's save in progress or an atomic rename is not loaded half-done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.conversation.service import AnswerService
from bot.knowledge.files import Problem, fingerprint, knowledge_files, rel_path
from bot.knowledge.loading import Knowledge, load_knowledge
from bot.runtime.aio import sleep_or_stop
from bot.understanding.snapshot import Snapshot

log = logging.getLogger(__name__)

WATCH_REASON = "file change"
# Settings files that may be missing at start (defaults apply) but whose disappearance from a
# running bot is a mistake, not an edit: without safety.yaml, emergencies would get no safety
# message. A reload that lost one keeps the old knowledge.
SETTINGS_FILES = ("bot.yaml", "synonyms.yaml", "safety.yaml")
LOG_PROBLEMS = 3  # problems quoted in a failure's log line (all of them are in the result)

# (folder is a dir, topics/ is a dir, ((relative path, size, mtime_ns, ctime_ns, inode, mode
# or -errno), ...)): equal signatures mean "nothing an admin did since".
Signature = tuple[bool, bool, tuple[tuple[str, int, int, int, int, int], ...]]
OnResult = Callable[["ReloadResult"], Awaitable[None]]


class UnusableKnowledge(Exception):
    """The knowledge folder cannot be served: it is missing (`errors` empty) or has errors."""

    def __init__(self, root: Path, errors: list[Problem]) -> None:
        self.root = root
        self.errors = errors
        what = f"{len(errors)} error(s)" if errors else "not found"
        super().__init__(f"knowledge folder {root}: {what}")


def load_snapshot(root: Path) -> Snapshot:
    """The knowledge in `root`, indexed, or UnusableKnowledge (each front end words it)."""
    if not root.is_dir():
        raise UnusableKnowledge(root, [])
    knowledge, problems = load_knowledge(root)
    if knowledge is None:
        raise UnusableKnowledge(root, [p for p in problems if p.severity == "error"])
    return Snapshot.build(knowledge)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class ReloadResult:
    """What one reload did; `summary()` is the line for the log and for the admins (who get it
    with the problems: `review_replies.reload_report`)."""

    ok: bool  # the folder loaded without errors: its knowledge is what is served now
    changed: bool  # the served version changed (False when unchanged, and on failure)
    version: str  # the version served after this call
    entries: int  # answers served after this call
    problems: list[Problem] = field(default_factory=list)  # errors (on failure) and warnings
    reason: str = ""  # "file change", "/reload", "SIGHUP", ...

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def summary(self) -> str:
        """One line, no answer text: safe for the log and for a Telegram message."""
        if not self.ok:
            return (
                f"Knowledge NOT reloaded ({self.reason}): "
                f"{_plural(len(self.errors), 'error')}; still serving version {self.version}"
            )
        warned = f"; {_plural(len(self.warnings), 'warning')}" if self.warnings else ""
        if self.changed:
            return (
                f"Knowledge reloaded ({self.reason}): {self.entries} answers, "
                f"version {self.version}{warned}"
            )
        return (
            f"Knowledge checked ({self.reason}): no errors; {self.entries} answers, "
            f"version {self.version} unchanged{warned}"
        )


def folder_signature(directory: Path) -> Signature:
    """A cheap stat-only picture of the files `load_knowledge` reads (`knowledge_files`).

    It changes on any save (size, mtime), atomic rename (inode), chmod (ctime, mode), added or
    removed file, and on the folder itself appearing or going. It never raises: a file that
    cannot be stat'ed (a link loop, a dangling link) is recorded with its error number.
    """
    files: list[tuple[str, int, int, int, int, int]] = []
    try:
        paths = knowledge_files(directory)
    except OSError:
        paths = []
    for path in paths:
        rel = path.relative_to(directory).as_posix()
        try:
            st = path.stat()
        except OSError as exc:
            files.append((rel, -1, -1, -1, -1, -(exc.errno or 1)))
            continue
        files.append((rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode))
    return directory.is_dir(), (directory / "topics").is_dir(), tuple(files)


@dataclass
class _Loaded:
    """What the worker thread saw: the knowledge (or the problems) and the folder state."""

    knowledge: Knowledge | None
    problems: list[Problem]
    snapshot: Snapshot | None  # None when unchanged (not rebuilt) or on failure
    before: Signature  # the folder when reading began


class KnowledgeReloader:
    """Reloads `directory` into `service`, on demand or when its files change."""

    def __init__(
        self,
        directory: Path,
        service: AnswerService,
        *,
        on_result: OnResult | None = None,
    ) -> None:
        """Create it right after loading the knowledge that `service` serves: the folder as it
        is now counts as served. (`watch` also checks the served version when it starts.)

        `on_result` is awaited for every reload that changed the version or failed, and for
        the first success after a reported failure (the admins learn it is fixed). A failure
        the watcher finds again with the same problems is not reported again. It runs before
        the next reload may start: keep it short (send with a timeout).
        """
        self.directory = Path(directory)
        self.service = service
        self.on_result = on_result
        self.polls = 0  # folder checks done by `watch` (for tests and debugging)
        self._lock = asyncio.Lock()
        self._served_signature: Signature | None = folder_signature(self.directory)
        self._reported_failure: tuple[str, ...] | None = None  # its problems, as text
        self._settings = self._settings_files()

    async def reload(self, reason: str) -> ReloadResult:
        """Load the folder now and serve it if it has no errors. Never raises for bad files."""
        result = await self._reload(reason, settled=None)
        assert result is not None  # (only the watcher's reloads may be discarded)
        return result

    async def watch(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Poll the folder every `interval` seconds until `stop` is set; reload a change once
        it has stayed the same for one more poll, so a save in progress is not loaded. Errors
        are logged (once while they repeat), never fatal."""
        await self._check_served_version()
        pending: Signature | None = None  # a change seen, waiting to settle
        last_error = ""
        while not stop.is_set():
            try:
                current = await asyncio.to_thread(folder_signature, self.directory)
                if current == self._served_signature:
                    pending = None
                elif current == pending:
                    pending = None
                    await self._reload(WATCH_REASON, settled=current)
                else:
                    pending = current
                last_error = ""
            except Exception as exc:  # (keep watching whatever happens)
                if repr(exc) != last_error:  # (once, not every poll)
                    log.exception("knowledge watcher: %s", exc)
                last_error = repr(exc)
            self.polls += 1
            await sleep_or_stop(interval, stop)

    async def _check_served_version(self) -> None:
        """The files may have changed between loading and starting to watch (the bot talks to
        Telegram in between): then let the first poll see a change."""
        try:
            version = await asyncio.to_thread(lambda: fingerprint(knowledge_files(self.directory)))
        except Exception:
            log.exception("knowledge watcher: cannot read the folder")
            return
        if version != self.service.knowledge.version:
            self._served_signature = None

    async def _reload(self, reason: str, *, settled: Signature | None) -> ReloadResult | None:
        """`settled`: the signature the watcher waited on; if the folder changed while it was
        read, the result is dropped (None) and the watcher tries again once it settles."""
        async with self._lock:
            current = self.service.snapshot
            try:
                loaded = await asyncio.to_thread(self._load, current.knowledge.version, settled)
            except Exception as exc:  # a bug, or something no one foresaw: keep serving
                log.error("knowledge reload (%s) crashed", reason, exc_info=True)
                problem = Problem(
                    str(self.directory), 1, "error", f"could not load: {type(exc).__name__}: {exc}"
                )
                if settled is not None:  # (not again and again for the same files)
                    self._served_signature = settled
                result = self._result(False, False, current, [problem], reason)
                await self._finish(result, watcher=settled is not None)
                return result
            if loaded is None:
                log.debug("knowledge folder changed while loading: waiting for it to settle")
                return None
            self._served_signature = loaded.before
            if loaded.knowledge is None:
                result = self._result(False, False, current, loaded.problems, reason)
            elif loaded.snapshot is None:  # same version: nothing to swap
                result = self._result(True, False, current, loaded.problems, reason)
            else:
                self.service.swap(loaded.snapshot)
                self._settings = await asyncio.to_thread(self._settings_files)
                result = self._result(True, True, loaded.snapshot, loaded.problems, reason)
            await self._finish(result, watcher=settled is not None)
            return result

    def _settings_files(self) -> set[str]:
        return {name for name in SETTINGS_FILES if (self.directory / name).is_file()}

    def _load(self, served_version: str, settled: Signature | None) -> _Loaded | None:
        """In a worker thread: read, validate and (when new) index the folder. None when the
        watcher's folder changed while it was read (`settled` is what it waited on)."""
        before = folder_signature(self.directory)
        knowledge, problems = load_knowledge(self.directory)
        if settled is not None and folder_signature(self.directory) != settled:
            return None
        lost = self._settings - self._settings_files()
        if lost and knowledge is not None:
            knowledge = None
            problems = [
                Problem(
                    rel_path(self.directory / name, self.directory),
                    1,
                    "error",
                    "was deleted while the bot runs: restore it (or restart the bot to run "
                    "without it)",
                )
                for name in sorted(lost)
            ] + problems
        snapshot = None
        if knowledge is not None and knowledge.version != served_version:
            snapshot = Snapshot.build(knowledge)
        return _Loaded(knowledge, problems, snapshot, before)

    @staticmethod
    def _result(
        ok: bool, changed: bool, served: Snapshot, problems: list[Problem], reason: str
    ) -> ReloadResult:
        knowledge = served.knowledge
        return ReloadResult(
            ok=ok,
            changed=changed,
            version=knowledge.version,
            entries=len(knowledge.entries),
            problems=list(problems),
            reason=reason,
        )

    async def _finish(self, result: ReloadResult, *, watcher: bool) -> None:
        """Log the result and pass it on when it is news for the admins."""
        if result.ok:
            recovered = self._reported_failure is not None
            self._reported_failure = None
            if result.changed:
                log.info("%s", result.summary())
            else:  # (a `touch` is not worth a line; an admin's /reload is)
                log.log(logging.DEBUG if watcher else logging.INFO, "%s", result.summary())
            if not (result.changed or recovered):
                return
        else:
            key = tuple(str(p) for p in result.errors)
            if watcher and key == self._reported_failure:
                log.debug("%s (the same problems as reported before)", result.summary())
                return
            self._reported_failure = key
            first = "; ".join(str(p) for p in result.errors[:LOG_PROBLEMS])
            more = len(result.errors) - LOG_PROBLEMS
            log.warning(
                "%s: %s%s", result.summary(), first, f" (and {more} more)" if more > 0 else ""
            )
        if self.on_result is None:
            return
        try:
            await self.on_result(result)
        except Exception:
            log.exception("could not report the knowledge reload")
