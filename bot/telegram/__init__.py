"""python-telegram-bot glue: the only package that imports `telegram`.

- `app.py`: the composition root — `run_bot` (start-up checks, polling or webhook, signals,
  the background tasks) and `build_application` (the Application, its handlers, the outbox,
  the answer service).
- `reader.py`: the reader's handlers (commands, start links, questions, buttons, non-text,
  groups).
- `inline.py`: inline mode (`@bot query` in any chat → vetted answers to send), over
  `AnswerService.inline`.
- `doctor.py`: the doctor's and admins' handlers (card buttons, replies that answer, /queue,
  /stats, /cancel, /reload, /proposals), and their scoped command menus.
- `proposals.py`: the admins' /proposals cards and their buttons (✅ Add, 📝 Add as draft and
  its topic picker, ❌ Reject, pages) over `ProposalService`; the admin is checked on every tap.
- `charts.py`: the doctor's chart as a photo (sendPhoto) after /stats, and the weekly chart
  to the review group, or else each doctor (EXPERTBOT_WEEKLY_CHART; its last send kept in the
  `meta` table).
- `outbox.py`: what the bot sends on its own, driven by SQLite: questions to the review chat,
  the doctor's answers to readers, notices for the doctors; `deliver_now` for the terminal.
- `updates.py`: reliable long polling (acknowledge after handling) and de-duplication.
- `webhook.py`: the webhook server (answers 200 after the update was handled) and /healthz.
- `sending.py`: Reply -> HTML messages with buttons; the one retry loop (`with_retry`) and
  what is retried; PTB's own ERROR lines about retried failures kept out of the log.
- `callbacks.py`: button <-> callback_data (≤ 64 bytes).
- `ratelimit.py`: the per-chat question limit.
"""

# what the rest may use: the composition root (cli: run), the outbox (cli: deliver_now), the
# reader and the updates loop (bench/bench_bot.py)
__all__ = ["app", "outbox", "reader", "updates"]
