"""What a benchmark ran on and what it measured: the machine (CPU, cores, load), the commit
and a hash of the bot's code; written beside every result."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

import rapidfuzz

ROOT = Path(__file__).resolve().parent.parent


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@dataclass(frozen=True, slots=True)
class MatcherVersion:
    """Which matcher was measured: the commit and a hash of bot/**/*.py as imported."""

    commit: str
    bot_sha256: str


@dataclass(frozen=True, slots=True)
class Machine:
    cpu: str
    cores: int | None
    python: str
    rapidfuzz: str
    platform: str
    load_before: float | None  # 1-minute load average: others' work on the machine skews times
    load_after: float | None


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def matcher_version() -> MatcherVersion:
    code = hashlib.sha256()
    for path in sorted((ROOT / "bot").rglob("*.py")):
        code.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--", "bot"):
        commit += "+uncommitted bot/ changes"
    return MatcherVersion(commit, code.hexdigest()[:12])


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def machine(load_before: float | None) -> Machine:
    return Machine(
        cpu=cpu_model(),
        cores=os.cpu_count(),
        python=platform.python_version(),
        rapidfuzz=rapidfuzz.__version__,
        platform=platform.platform(),
        load_before=load_before,
        load_after=load_average(),
    )
