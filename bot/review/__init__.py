"""The doctor's side: the queue of questions the bot could not answer, and her statistics.

`service.ReviewService`: the queue grouped, answer / dismiss / link, stats. What she sees:
`replies` in Telegram, `terminal` in the terminal, `chart` as a PNG (matplotlib).
Private: `export` (`queue export`'s drafts, reached through the service).
"""

__all__ = ["chart", "replies", "service", "terminal"]
