"""Knowledge proposals: phrasings readers and the doctor taught the bot, for an admin to accept
into the knowledge files or reject.

`service.ProposalService` lists, accepts (checked in a copy first) and rejects them; `listing`
the values and what is listed (`Proposal`, `Accepted`, the errors); what an
admin sees: `replies` in Telegram (/proposals), `terminal` for `expertbot kb proposals`.
"""

__all__ = ["listing", "replies", "service", "terminal"]
