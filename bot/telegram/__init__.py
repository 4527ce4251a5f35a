"""python-telegram-bot glue: the only package that imports `telegram`.

- `app.py`: `run_bot` — build the Application, start-up checks, polling or webhook, signals.
- `reader.py`: the reader's handlers (commands, questions, buttons, non-text, groups).
- `updates.py`: reliable long polling (acknowledge after handling) and de-duplication.
- `webhook.py`: the webhook server (answers 200 after the update was handled).
- `sending.py`: Reply -> HTML messages with buttons; retries with backoff.
- `callbacks.py`: button <-> callback_data (≤ 64 bytes).
- `ratelimit.py`: the per-chat question limit.
"""
