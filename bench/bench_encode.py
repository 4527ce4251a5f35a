"""Encoding one reader message: the base model vs the tuned one (bot/understanding/tuned/) vs both at once.

    .venv/bin/python bench/bench_encode.py     # writes bench/results_encode.json

The tuned model changes only the top layers' weights, so it should cost what the base model
costs; `encode_both` (the two sharing the frozen layers) costs the top layers once more. The
messages are the real ones (tests/data/real_dev.yaml) and the team's (dev_cases.yaml), one at a
time as the bot encodes them; the three ways alternate message by message so that a busy spell
on the (shared) machine hits them alike. `message` is what one reader's message costs the
default install: the triage's encoding (the base vector and the learned check's own top two
layers, sharing the lower four) plus the tuned vector. Target: p50 <= 30 ms per message.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.understanding.semantic import shared_encoder  # noqa: E402

OUT = ROOT / "bench" / "results_encode.json"
FILES = [ROOT / "tests" / "data" / "real_dev.yaml", ROOT / "tests" / "data" / "dev_cases.yaml"]
PASSES = 2
TARGET_P50_MS = 30.0


def main() -> int:
    texts = [str(c["text"]) for f in FILES for c in yaml.safe_load(f.read_text("utf-8"))]
    encoder = shared_encoder()
    ways = {
        "base": lambda t: encoder.encode([t]),
        "tuned": lambda t: encoder.encode([t], tuned=True),
        "both": lambda t: encoder.encode_both([t]),
    }
    if encoder.triage_layers:  # what one message costs the default install: the triage's
        # encoding (base vector + the triage check's own top layers), then the tuned vector
        ways["message"] = lambda t: (encoder.encode_triage([t]), encoder.encode([t], tuned=True))
    for way in ways.values():  # warm up
        way(texts[0])
    ms: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(PASSES):
        for text in texts:
            for name, way in ways.items():
                start = time.perf_counter()
                way(text)
                ms[name].append((time.perf_counter() - start) * 1000)
    result = {
        name: {
            "p50_ms": round(statistics.median(v), 2),
            "p99_ms": round(sorted(v)[int(0.99 * len(v))], 2),
            "mean_ms": round(statistics.fmean(v), 2),
        }
        for name, v in ms.items()
    }
    result["messages"] = len(texts)
    result["passes"] = PASSES
    result["load_average_1min"] = round(os.getloadavg()[0], 2)
    result["target_p50_ms"] = TARGET_P50_MS
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0 if result["tuned"]["p50_ms"] <= TARGET_P50_MS else 1


if __name__ == "__main__":
    sys.exit(main())
