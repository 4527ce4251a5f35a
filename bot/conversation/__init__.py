"""The conversation with a reader, whatever the front end (Telegram, the console, the CLI).

`service.AnswerService` takes a message in and gives a `Reply` out (it logs and queues the
question first); `replies` builds those `Reply` values from decisions and bot.yaml's texts,
`render` turns them into Telegram HTML or plain text (the doctor's formatting: `rich`).
`held` queues questions shown choices once their grace ends; `inline` is inline mode without
Telegram; `links` are start links (t.me/<bot>?start=<entry-id>).
"""

__all__ = ["held", "inline", "links", "render", "replies", "rich", "service"]
