"""Understanding a reader's message: what it asks, which entry answers it, and whether it is an
emergency. Pure of Telegram and of the database.

Flow: `snapshot` (the knowledge served now, with its indexes) reads the message (`reading`,
`text`), triages it (`triage`: the rules of `safety` over `phrases`, the reading of `stance`,
the learned `triage_model`), then matches it (`matching`, with `semantic`'s meaning signal) and
decides (`decision`, fitted in calibration.json). `followup` reads a message in the context of
the last answer; `evaluate` is `expertbot eval`.

Private: `analysis` (text to terms) and `meaning` (the meaning side: cosines per entry), the
matcher's; `bert` (the numpy forward pass's pieces) and `phrasings` (vectors per entry), the
meaning signal's; `smalltalk` (the snapshot's).
Package data: calibration.json (bench/calibrate.py), triage_model.json and
triage_layers.safetensors (the learned triage check's head and its own top layers,
bench/train_safety.py), tuned/ (the meaning model's tuned top layers, bench/train_meaning.py).
"""

__all__ = [
    "decision",
    "evaluate",
    "followup",
    "matching",
    "phrases",
    "reading",
    "safety",
    "semantic",
    "snapshot",
    "stance",
    "text",
    "triage",
    "triage_model",
]
