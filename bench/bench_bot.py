"""How long does the bot take per reader message, inside the process, without the network?

Each dev-case text is sent as a Telegram update through the bot's real path: `UpdateGate`
(de-duplication, read and write in SQLite) → python-telegram-bot's `process_update` → the
reader handler → `AnswerService.ask` (safety, matcher, store) → `bot.render` → the keyboard →
PTB serialising the sendMessage call. The Bot API is a stub that answers at once, and
Telegram's own pacing (AIORateLimiter) is left out: what is timed is the bot's own work.
Knowledge bases of the real size and of 1,000 entries (the synthetic entries of
bench_matching.py); a temporary SQLite file; per-chat rate limit off.

    .venv/bin/python bench/bench_bot.py            # every dev case, 3 passes per size
    .venv/bin/python bench/bench_bot.py --quick    # every 4th case, 1 pass

Prints p50 / p99 / max per size; the target is p99 ≤ 20 ms at 1,000 entries.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_matching import SEED, knowledge_bases, load_queries  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder  # noqa: E402
from telegram.request import BaseRequest, RequestData  # noqa: E402

from bot.knowledge import Knowledge, load_knowledge  # noqa: E402
from bot.models import Entry, Topic  # noqa: E402
from bot.service import AnswerService  # noqa: E402
from bot.snapshot import Snapshot  # noqa: E402
from bot.storage import Store  # noqa: E402
from bot.telegram.reader import Reader  # noqa: E402
from bot.telegram.updates import UpdateGate  # noqa: E402

TOKEN = "123:BENCH"
TARGET_SIZE = 1_000
TARGET_P99_MS = 20.0


class StubRequest(BaseRequest):
    """Answers every Bot API call at once with a plausible result."""

    def __init__(self) -> None:
        self.message_ids = itertools.count(1)
        self.calls = 0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        self.calls += 1
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        result: object = True
        if name == "getMe":
            result = {"id": 123, "is_bot": True, "first_name": "Bench", "username": "BenchBot"}
        elif name == "sendMessage":
            chat_id = int(params.get("chat_id", 1))
            result = {
                "message_id": next(self.message_ids),
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "text": "…",
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()


def knowledge_of(base: Knowledge, entries: Sequence[Entry]) -> Knowledge:
    served = {e.id: e for e in entries}
    extra = tuple(i for i in served if i not in base.entries)
    topics = [*base.topics, *([Topic("synthetic", "Synthetic", extra)] if extra else [])]
    return dataclasses.replace(base, entries=served, topics=topics)


def update(number: int, chat_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": number,
        "message": {
            "message_id": number,
            "date": 0,
            "chat": {"id": chat_id, "type": "private", "first_name": "R"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "R"},
            "text": text,
        },
    }


async def bench_size(knowledge: Knowledge, queries: Sequence[str], passes: int) -> list[float]:
    snapshot = Snapshot.build(knowledge, meaning=False)  # the default install
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.sqlite3")
        stub = StubRequest()
        application: Application = (
            ApplicationBuilder()
            .token(TOKEN)
            .request(stub)
            .get_updates_request(StubRequest())
            .updater(None)
            .build()
        )
        application.add_handlers(Reader(AnswerService(snapshot, store), rate_limit=0).handlers())
        await application.initialize()
        gate = UpdateGate(application, store)
        numbers = itertools.count(1)
        timings: list[float] = []
        try:
            for pass_number in range(passes + 1):  # the first pass warms up
                for i, text in enumerate(queries):
                    number = next(numbers)
                    incoming = Update.de_json(update(number, 1000 + i, text), application.bot)
                    started = time.perf_counter()
                    await gate.handle(incoming)
                    elapsed = (time.perf_counter() - started) * 1000
                    if pass_number:
                        timings.append(elapsed)
        finally:
            await application.shutdown()
            await store.close()
    return timings


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every 4th case, one pass")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--cases", type=Path, default=ROOT / "tests" / "data" / "dev_cases.yaml")
    args = parser.parse_args(argv)
    base, problems = load_knowledge(args.knowledge)
    if base is None:
        print("\n".join(map(str, problems)), file=sys.stderr)
        return 1
    real = list(base.entries.values())
    queries = load_queries(args.cases, every=4 if args.quick else 1)
    passes = 1 if args.quick else args.passes
    sizes = sorted({len(real), TARGET_SIZE})
    bases = knowledge_bases(real, sizes, SEED)
    print(f"{len(queries)} messages × {passes} passes per size (after a warm-up pass)\n")
    print("| entries | p50 ms | p99 ms | max ms | mean ms |")
    print("|--------:|-------:|-------:|-------:|--------:|")
    verdict = True
    for size in sizes:
        timings = await bench_size(knowledge_of(base, bases[size]), queries, passes)
        p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
        print(
            f"| {size:,} | {p50:.2f} | {p99:.2f} | {max(timings):.2f} "
            f"| {statistics.fmean(timings):.2f} |"
        )
        if size == TARGET_SIZE:
            verdict = p99 <= TARGET_P99_MS
    print(
        f"\ntarget p99 ≤ {TARGET_P99_MS:.0f} ms at {TARGET_SIZE:,} entries: {'met' if verdict else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
