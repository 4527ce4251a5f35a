"""What each file of the knowledge folder may hold: the pydantic models it is validated with.

`bot.yaml` (`BotSettings`: names, the texts the bot says, the matching calibration, the review
digest), `safety.yaml` (`RedFlag`s) and `topics/*.yaml` (`TopicFile` of `EntryModel`s). Every
field of bot.yaml has its default here, so a folder with only `topics/` is a working bot.
Loading the files and reporting problems with file and line is `bot/knowledge/loading.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- bot.yaml -------------------------------------------------------------------------------


class Texts(_Strict):
    """Everything the bot says that is not an entry. `{expert}` and `{reply_time}` are filled in."""

    greeting: str = "Hello! I answer questions from {expert}'s vetted answers."
    about: str = (
        "Ask me a question in your own words. I reply with a vetted answer when there is one, "
        "and pass every other question to {expert}. I cannot look at photos, diagnose you or "
        "replace a visit."
    )
    disclaimer: str = "General information, not medical advice for your situation."
    privacy_short: str = (
        "I keep your questions so that {expert} can answer them; /forget deletes them."
    )
    privacy: str = (
        "What is stored: your chat id, the text of your questions, your 👍/👎 votes and when. "
        "Nothing else. /forget deletes all of it."
    )
    how_to_ask: str = "Write one question in a sentence or two, e.g. “How long does Botox last?”"
    suggest_intro: str = "I'm not sure which of these you mean. Did you mean…"
    suggest_one_intro: str = "I'm not sure I understood. Did you mean this question?"
    ask_doctor_button: str = "None of these — ask {expert}"
    likely_intro: str = "I think you're asking:"
    also: str = "You also asked"
    part_queued: str = (
        "I have no vetted answer yet to this part of your message, so I've passed it to "
        "{expert} ({reply_time}):"
    )
    part_not_queued: str = (
        "I have no vetted answer yet to this part of your message, and I couldn't save it for "
        "{expert} just now; please send it again later:"
    )
    show_answer_button: str = "Show the answer"
    not_quite_button: str = "Not quite — ask {expert}"
    # under every "Did you mean…" and "I think you're asking…": the question is held, and goes
    # to the doctor by itself after `choices_grace` unless the reader opens an offered answer
    held_note: str = "If none of these fits, I'll pass your question to {expert}."
    held_one_note: str = "If this isn't it, I'll pass your question to {expert}."  # one choice
    photo_note: str = (
        "I can't see photos, so this is based on your words only. To have a photo or a "
        "change in your skin assessed, please see a dermatologist in person."
    )
    foreign: str = (
        "I can only answer questions written in English for now. I've passed your message to "
        "{expert}, and any answer will come here ({reply_time})."
    )
    unmatched: str = (
        "I don't have a vetted answer to that yet, so I've passed your question to {expert}. "
        "If {expert} answers, you'll get the answer right here ({reply_time})."
    )
    unmatched_not_queued: str = (
        "I don't have a vetted answer to that yet, and I couldn't save your question just now. "
        "Please send it again in a few minutes."
    )
    queued_from_suggest: str = (
        "Thank you, I've passed your question to {expert}. You'll get the answer here "
        "({reply_time})."
    )
    urgent: str = (
        "This may need urgent care. Please don't wait for an answer here: contact your doctor "
        "now, or call your local emergency number."
    )
    urgent_queued: str = "I've also flagged your message to {expert} as urgent."
    smalltalk_greeting: str = "Hello! Ask me a question about your skin in your own words."
    smalltalk_thanks: str = "You're welcome! Ask any time."
    smalltalk_bye: str = "Take care!"
    smalltalk_ack: str = "👍 Ask me anything else whenever you like."
    empty: str = "Please write your question as text."
    non_text: str = (
        "I can only read text messages, and I can't assess photos, voice notes or files. "
        "Please describe your question in words."
    )
    rate_limited: str = "You're sending questions faster than I can answer. Please wait a minute."
    read_more: str = "Read more"
    related: str = "Related"
    topics_intro: str = "Pick a topic:"
    browse_button: str = "Browse topics"
    how_to_ask_button: str = "How to ask"
    back_button: str = "‹ Back"
    more_button: str = "More ›"
    all_topics_button: str = "All topics"
    page_of: str = "page {page} of {pages}"  # after a topic's title when it has more pages
    answer_changed: str = "This answer has changed since. Please ask your question again."
    forget_confirm: str = (
        "Delete all your questions and votes from this bot? This cannot be undone."
    )
    forget_button: str = "Yes, delete my data"
    cancel_button: str = "Cancel"
    forgotten: str = "Done: your questions and votes are deleted."
    forget_failed: str = "Sorry, that did not work. Please try /forget again later."
    cancelled: str = "Nothing was deleted."
    vote_thanks: str = "Thanks for the feedback!"
    share_button: str = "↗️ Share"
    share_elsewhere: str = (
        "In Telegram, Share sends this answer to another chat: pick the chat, then the answer."
    )
    inline_open_button: str = "Ask {name} more"  # under a card sent in inline mode
    doctor_answered: str = "{expert} answered your question:"
    doctor_linked: str = "{expert} picked this vetted answer for your question:"
    dismissed_note: str = (
        "{expert} has read your question but can't answer it here. For advice about your own "
        "situation, please see a dermatologist or your doctor."
    )
    # The doctor's chart (bot/review/chart.py): its words, and the captions of the photo in Telegram.
    # `{weeks}` is filled in too.
    chart_title: str = "Questions per day, last {weeks} weeks"
    chart_answered: str = "answered"
    chart_suggested: str = "did you mean"
    chart_to_doctor: str = "sent to {expert}"
    chart_urgent: str = "urgent"
    chart_waiting: str = "Most asked, still waiting for {expert}"
    chart_nothing_waiting: str = "Nothing is waiting."
    chart_no_questions: str = "No questions yet."
    chart_caption: str = "The last {weeks} weeks, and what readers ask most that has no answer yet."
    weekly_chart_caption: str = (
        "Your weekly picture: the last {weeks} weeks, and what readers ask most that has no "
        "answer yet. /queue lists them."
    )


class Calibration(_Strict):
    """How confident the matcher must be, for one signal set (with or without meaning).

    `confidence` = logistic(bias + Σ weight × feature) is the chance that the best entry
    answers the message; `bench/calibrate.py` fits it and picks the thresholds on real
    readers' messages (see README "Matching quality"). Admins rarely edit these by hand.
    """

    bias: float = 0.0
    weights: dict[str, float] = {}
    answer: float = Field(0.9, ge=0, le=1)  # confidence to answer directly
    likely: float = Field(0.5, ge=0, le=1)  # confidence for "I think you're asking: …"
    floor: float = Field(0.4, ge=0, le=1)  # closeness below which nothing is suggested
    # closeness below which no entry is offered in a "Did you mean…" list: with none left, the
    # honest "no vetted answer yet" and the question goes to the doctor
    offer: float = Field(0.0, ge=0, le=1)
    offer_sure: float = Field(0.0, ge=0, le=1)  # …and the confidence below which no list is shown
    gap: float = Field(0.1, ge=0, le=1)  # suggestions are within this of the best
    # the tuned meaning model's gate (bot/understanding/tuned/): answer directly, whatever the confidence,
    # when its cosine with the best entry reaches `tuned_answer` and its lead over every other
    # entry reaches `tuned_lead` (the tuned model then ranks that entry first too); 1.0: off
    tuned_answer: float = Field(1.0, ge=0, le=1)
    tuned_lead: float = Field(1.0, ge=0, le=1)
    # the tuned model's cosine below which no list is shown (0: the floor is another signal's)
    offer_tuned: float = Field(0.0, ge=0, le=1)


@cache
def _fitted(mode: str) -> Calibration:
    """The defaults: fitted by bench/calibrate.py on labelled real readers' messages and
    written to bot/understanding/calibration.json. Without that file, a model that never answers directly."""
    try:
        data = json.loads(
            (Path(__file__).parents[1] / "understanding" / "calibration.json").read_text()
        )
        return Calibration.model_validate(data[mode])
    except (OSError, ValueError, KeyError):
        return Calibration(answer=1.0)


class Matching(_Strict):
    """How sure the matcher must be, and how much of a message it reads."""

    max_suggestions: int = Field(3, ge=1, le=3)
    max_chars: int = Field(2000, ge=100)
    # with the tuned meaning model on (bot/understanding/tuned/, the default when it ships), with the base
    # meaning model alone (EXPERTBOT_MEANING_MODEL=base), and words only (light mode)
    tuned: Calibration = Field(default_factory=lambda: _fitted("tuned"))
    meaning: Calibration = Field(default_factory=lambda: _fitted("meaning"))
    words: Calibration = Field(default_factory=lambda: _fitted("words"))


class Review(_Strict):
    """How new questions reach the doctor's review chat."""

    # 0: post each question at once; N: collect them and post a digest every N minutes.
    # Urgent questions always go at once.
    digest_minutes: int = Field(0, ge=0, le=24 * 60)


class BotSettings(_Strict):
    name: str = "ExpertBot"
    expert: str = "the doctor"
    reply_time: str = "usually within a few days"
    rate_limit_per_minute: int = Field(6, ge=0)
    # minutes a question shown choices waits for the reader before it goes to the doctor by
    # itself (EXPERTBOT_CHOICES_GRACE, in seconds, overrides it)
    choices_grace: float = Field(30, ge=0, le=7 * 24 * 60)
    # minutes after an answer in which a short message that does not stand on its own is
    # read together with the last question (bot/understanding/followup.py); 0: every message alone
    followup_window: int = Field(10, ge=0, le=24 * 60)
    texts: Texts = Texts()
    matching: Matching = Matching()
    review: Review = Review()

    def text(self, name: str) -> str:
        raw: str = getattr(self.texts, name)
        raw = raw.replace("{name}", self.name)
        return raw.replace("{expert}", self.expert).replace("{reply_time}", self.reply_time)


# --- safety.yaml ----------------------------------------------------------------------------


def _phrase_text(value: Any) -> Any:
    """A phrase may be a number ("for 8 weeks" needs `8`), never a YAML true/false: unquoted
    `no`, `yes`, `on` and `off` are read as true/false, which would silently drop a cue."""
    if isinstance(value, bool):
        raise ValueError(
            "YAML reads an unquoted no, yes, on or off as true/false: put it in quotes ('no')"
        )
    if isinstance(value, int | float):
        return str(value)
    return value


Phrase = Annotated[str, BeforeValidator(_phrase_text)]

# How a described sign can be calmed (knowledge/README.md, "safety.yaml"): each is a list of
# cues in safety.yaml's `cues`, and each flag lists in `calm_when` the ones it listens to.
CalmReason = Literal["negated", "question", "resolved", "treated", "long_standing", "not_recent"]
# the default of `calm_when`; "not_recent" (the procedure was weeks ago) is opt-in per flag
DEFAULT_CALM: tuple[CalmReason, ...] = (
    "negated",
    "question",
    "resolved",
    "treated",
    "long_standing",
)


class RedFlag(_Strict):
    id: str
    title: str
    phrases: list[Phrase] = Field(min_length=1)  # the signs, in the phrase syntax of phrases.py
    context: list[Phrase] = []  # the message must mention one of these too (e.g. a procedure)
    ignore: list[Phrase] = []  # look like a sign but are not one ("purple bruise")
    calm_when: list[CalmReason] = list(DEFAULT_CALM)
    examples: list[str] = []  # messages that must raise this flag (kb check warns if not)
    not_urgent: list[str] = []  # messages that must not raise any flag (kb check warns if so)
    advice: str


class Cues(_Strict):
    """Context words that decide whether a described sign is happening now. Empty by default:
    without them every sign counts wherever it appears (the cautious side)."""

    breaks: list[Phrase] = []  # words that start a new clause: but, however, although …
    subjects: list[Phrase] = []  # after a comma or "and", these start a new clause: i, my, it …
    negation: list[Phrase] = []  # before the sign: no, not, without, never …
    not_negation: list[Phrase] = []  # look like a negation but are not: not sure, no idea …
    scope_ends: list[Phrase] = []  # end a negation's reach: why, if, until … ("not sure why")
    question: list[Phrase] = []  # before the sign: a general question or a fear, not a report
    not_question: list[Phrase] = []  # look like a question cue but are not one: as if …
    planned: list[Phrase] = []  # before a `context` word: the procedure is only planned
    current: list[Phrase] = []  # the writer has it now: overrides `question`
    resolved: list[Phrase] = []  # the episode is over
    still: list[Phrase] = []  # still, again, came back: overrides `resolved` and `long_standing`
    long_standing: list[Phrase] = []  # for 8 weeks, for years: a stable, long-known state
    treated: list[Phrase] = []  # anywhere in the message: a clinician is already treating it
    failing: list[Phrase] = []  # anywhere: worse, spreading, not working: overrides `treated`
    long_ago: list[Phrase] = []  # anywhere: the procedure was weeks or months ago
    recent: list[Phrase] = []  # anywhere: today, hours ago, suddenly: overrides `long_ago`


class RedFlags(list[RedFlag]):
    """`Knowledge.red_flags`: the flags in file order, carrying the file's `terms` and `cues`
    so that `SafetyCheck(knowledge.red_flags)` has all of safety.yaml."""

    terms: dict[str, list[str]]
    cues: Cues

    def __init__(
        self,
        flags: Iterable[RedFlag] = (),
        terms: dict[str, list[str]] | None = None,
        cues: Cues | None = None,
    ) -> None:
        super().__init__(flags)
        self.terms = dict(terms or {})
        self.cues = cues or Cues()


class SafetyFile(_Strict):
    terms: dict[str, list[Phrase]] = {}  # named word lists, used as {name} in any phrase
    cues: Cues = Cues()
    red_flags: list[RedFlag] = []


# --- topics/*.yaml ---------------------------------------------------------------------------


class EntryModel(_Strict):
    id: str
    question: str = Field(min_length=3)
    alternates: list[str] = []
    answer: str = Field(min_length=1)
    link: str | None  # required, except on an entry marked `draft: true`
    related: list[str] = []
    examples: list[str] = []
    # questions close to this entry that it does NOT answer (another product, area, timing or
    # question about the same treatment): never served, never matched; training data for the
    # tuned meaning model (`make train`), which learns to push them away from the entry
    near_misses: list[str] = []
    reviewed: dt.date | None = None
    # an entry written as a draft on purpose (an accepted proposal of a new entry, bot/knowledge/writing.py):
    # never served, may lack `link`, and is no warning; an admin adds `link` and `reviewed` and
    # deletes the mark
    draft: bool = False

    @model_validator(mode="before")
    @classmethod
    def _draft_link(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("draft") is True and "link" not in data:
            return {**data, "link": None}
        return data

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG.match(v):
            raise ValueError("must be a lowercase slug: letters, digits and single hyphens")
        return v

    @field_validator("link")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^https?://\S+$", v):
            raise ValueError("must be a web address starting with http:// or https://")
        return v

    @model_validator(mode="after")
    def _link_unless_draft(self) -> EntryModel:
        if self.link is None and not self.draft:
            raise ValueError("'link' is empty: give the source's web address")
        return self


class TopicFile(_Strict):
    title: str = Field(min_length=1)
    entries: list[EntryModel]
