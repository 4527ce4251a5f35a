"""How long does the bot take per reader message, inside the process, without the network?

Each dev-case text is sent as a Telegram update through the bot's real path: `UpdateGate`
(de-duplication, read and write in SQLite) → python-telegram-bot's `process_update` → the
reader handler → `AnswerService.ask` (safety, matcher, store) → `bot.conversation.render` → the keyboard →
PTB serialising the sendMessage call. The Bot API is the tests' double (tests/botapi.py),
which answers at once, and Telegram's own pacing (AIORateLimiter) is left out: what is timed
is the bot's own work. Knowledge bases of the real size and of 1,000 entries (the synthetic
entries of bench/synthetic.py); a temporary SQLite file; per-chat rate limit off.

    .venv/bin/python bench/bench_bot.py            # every dev case, 3 passes per size
    .venv/bin/python bench/bench_bot.py --quick    # every 4th case, 1 pass

Prints p50 / p99 / max per size; the target is p99 ≤ 20 ms at 1,000 entries.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_matching import load_inputs  # noqa: E402
from synthetic import SEED, knowledge_bases  # noqa: E402

from bot.conversation.service import AnswerService  # noqa: E402
from bot.knowledge.loading import Knowledge  # noqa: E402
from bot.models import Entry, Topic  # noqa: E402
from bot.storage import Store  # noqa: E402
from bot.telegram.reader import Reader  # noqa: E402
from bot.telegram.updates import UpdateGate  # noqa: E402
from bot.understanding.snapshot import Snapshot  # noqa: E402
from tests.botapi import BotApiDouble, application, text_update  # noqa: E402

TARGET_SIZE = 1_000
TARGET_P99_MS = 20.0


def knowledge_of(base: Knowledge, entries: Sequence[Entry]) -> Knowledge:
    served = {e.id: e for e in entries}
    extra = tuple(i for i in served if i not in base.entries)
    topics = [*base.topics, *([Topic("synthetic", "Synthetic", extra)] if extra else [])]
    return dataclasses.replace(base, entries=served, topics=topics)


async def bench_size(knowledge: Knowledge, queries: Sequence[str], passes: int) -> list[float]:
    snapshot = Snapshot.build(knowledge, meaning=False)  # the default install
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.sqlite3")
        timings: list[float] = []
        try:
            async with application(BotApiDouble()) as app:
                app.add_handlers(Reader(AnswerService(snapshot, store), rate_limit=0).handlers())
                gate = UpdateGate(app, store)
                for pass_number in range(passes + 1):  # the first pass warms up
                    for i, text in enumerate(queries):
                        incoming = text_update(app, 1000 + i, text)
                        started = time.perf_counter()
                        await gate.handle(incoming)
                        elapsed = (time.perf_counter() - started) * 1000
                        if pass_number:
                            timings.append(elapsed)
        finally:
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
    loaded = load_inputs(args)
    if loaded is None:
        return 1
    base, queries, passes = loaded
    real = list(base.entries.values())
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
