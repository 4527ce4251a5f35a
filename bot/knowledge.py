"""The knowledge folder: schema, loading with file and line for every problem, built-in defaults.

Only `topics/` is required. A missing `bot.yaml`, `synonyms.yaml` or `safety.yaml` means the
defaults below, so another expert can start from nothing but their own entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from bot.models import Entry, Topic
from bot.yamlfile import LineDict, LineList, YamlProblem, line_of, load_yaml

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
    doctor_answered: str = "{expert} answered your question:"
    doctor_linked: str = "{expert} picked this vetted answer for your question:"
    dismissed_note: str = (
        "{expert} has read your question but can't answer it here. For advice about your own "
        "situation, please see a dermatologist or your doctor."
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
    gap: float = Field(0.1, ge=0, le=1)  # suggestions are within this of the best


@cache
def _fitted(mode: str) -> Calibration:
    """The defaults: fitted by bench/calibrate.py on labelled real readers' messages and
    written to bot/calibration.json. Without that file, a model that never answers directly."""
    try:
        data = json.loads((Path(__file__).parent / "calibration.json").read_text())
        return Calibration.model_validate(data[mode])
    except (OSError, ValueError, KeyError):
        return Calibration(answer=1.0)


class Matching(_Strict):
    """How sure the matcher must be, and how much of a message it reads."""

    max_suggestions: int = Field(3, ge=1, le=3)
    max_chars: int = Field(2000, ge=100)
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
    texts: Texts = Texts()
    matching: Matching = Matching()
    review: Review = Review()

    def text(self, name: str) -> str:
        raw: str = getattr(self.texts, name)
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
    phrases: list[Phrase] = Field(min_length=1)  # the signs, in the phrase syntax of safety.py
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
    link: str
    related: list[str] = []
    examples: list[str] = []
    reviewed: dt.date | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG.match(v):
            raise ValueError("must be a lowercase slug: letters, digits and single hyphens")
        return v

    @field_validator("link")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://\S+$", v):
            raise ValueError("must be a web address starting with http:// or https://")
        return v


class TopicFile(_Strict):
    title: str = Field(min_length=1)
    entries: list[EntryModel]


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    severity: Literal["error", "warning"]
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


@dataclass(slots=True)
class Knowledge:
    """A loaded, valid knowledge folder. Immutable once built; a reload builds a new one."""

    entries: dict[str, Entry]  # served entries only (reviewed)
    drafts: dict[str, Entry]
    topics: list[Topic]
    settings: BotSettings
    synonyms: dict[str, list[str]]
    red_flags: list[RedFlag]  # a RedFlags list: it carries safety.yaml's terms and cues
    version: str
    source: dict[str, tuple[str, int]] = field(default_factory=dict)  # entry id -> file, line
    # entry id -> key ("question", "answer", "examples.0", ...) -> line, for warnings
    key_lines: dict[str, dict[str, int]] = field(default_factory=dict)
    # safety.yaml: "red_flags.0.examples.2" -> file, line, for kb check's warnings on red flags
    safety_lines: dict[str, tuple[str, int]] = field(default_factory=dict)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def where(self, entry_id: str, key: str | None = None) -> tuple[str, int]:
        """File and line of an entry, or of one of its keys when known."""
        file, line = self.source.get(entry_id, ("?", 1))
        if key is not None:
            line = self.key_lines.get(entry_id, {}).get(key, line)
        return file, line


_FIELD_WORDS = {
    "missing": "missing required field",
    "extra_forbidden": "unknown field",
}


def _describe(error: dict[str, Any], model: type[BaseModel]) -> str:
    loc = [p for p in error["loc"] if isinstance(p, str)]
    name = loc[-1] if loc else "value"
    kind = error["type"]
    if kind == "missing":
        return f"missing required field '{name}'"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, error["loc"][:-1])
        return f"unknown field '{name}'" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    where = ".".join(str(p) for p in error["loc"]) or "value"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"'{where}': {message}"


def _allowed_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return []
        annotation = info.annotation
        args = getattr(annotation, "__args__", None)
        current = args[0] if args else annotation
    return list(getattr(current, "model_fields", {}))


def _validate(model: type[BaseModel], data: Any, rel: str) -> tuple[Any, list[Problem]]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        line = getattr(data, "line", 1)
        return None, [Problem(rel, line, "error", "the file must hold a mapping of fields")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = line_of(data, loc)
            problems.append(Problem(rel, line, "error", _describe(err, model)))
        return None, problems


def _read(path: Path, root: Path) -> tuple[Any, list[Problem]]:
    """Parse one file; anything wrong with it (even a pipe or a link loop) is a Problem on it.

    The bot reloads while admins edit, so a file may be missing, half-written or not a file
    at all by the time it is read: that must never raise, nor block on a pipe.
    """
    rel = rel_path(path, root)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return None, [Problem(rel, 1, "error", f"cannot read the file: {exc.strerror or exc}")]
    if stat.S_ISDIR(mode):
        return None, [Problem(rel, 1, "error", "is a folder, not a file")]
    if not stat.S_ISREG(mode):
        return None, [Problem(rel, 1, "error", "not a regular file (a pipe, socket or device)")]
    try:
        return load_yaml(path), []
    except YamlProblem as exc:
        return None, [Problem(rel, exc.line, "error", exc.message)]
    except RecursionError:
        return None, [Problem(rel, 1, "error", "invalid YAML: nested too deeply")]


def _present(path: Path) -> bool:
    """There, even as a broken or looping link: such a bot.yaml is an error, not "absent"
    (which would silently serve the built-in defaults)."""
    return path.exists() or path.is_symlink()


def rel_path(path: Path, root: Path) -> str:
    """How problems name a file: from the knowledge folder's own name, e.g. kb/bot.yaml."""
    try:
        return str(path.relative_to(root.parent if root.name else root))
    except ValueError:
        return str(path)


def topic_files(root: Path) -> list[Path]:
    """`topics/*.yaml` and `*.yml`, sorted; empty when the folder is missing or unreadable."""
    folder = root / "topics"
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


def knowledge_files(root: Path) -> list[Path]:
    """Every file whose change should trigger a reload (the optional ones only when present)."""
    extra = [root / n for n in ("bot.yaml", "synonyms.yaml", "safety.yaml")]
    return [p for p in extra if _present(p)] + topic_files(root)


def fingerprint(paths: Iterable[Path]) -> str:
    """A short hash of the files' names and bytes: `Knowledge.version`. Never raises nor
    blocks: a file that cannot be read, or is not a regular file, counts as "?"."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                raise OSError("not a regular file")
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()[:12]


def load_knowledge(root: Path | str) -> tuple[Knowledge | None, list[Problem]]:
    """Load and validate a knowledge folder. Returns (None, problems) when there is any error."""
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(str(root), 1, "error", "knowledge folder not found")]
    if not (root / "topics").is_dir():
        return None, [
            Problem(str(root / "topics"), 1, "error", "no topics/ folder: it is required")
        ]
    try:  # (glob would quietly find no files in a folder it may not list)
        with os.scandir(root / "topics"):
            pass
    except OSError as exc:
        return None, [
            Problem(
                rel_path(root / "topics", root),
                1,
                "error",
                f"cannot read the topics/ folder: {exc.strerror or exc}",
            )
        ]

    settings = BotSettings()
    bot_path = root / "bot.yaml"
    if _present(bot_path):
        data, found = _read(bot_path, root)
        problems += found
        if not found:
            model, found = _validate(BotSettings, data, rel_path(bot_path, root))
            problems += found
            settings = model or settings

    synonyms: dict[str, list[str]] = {}
    syn_path = root / "synonyms.yaml"
    if _present(syn_path):
        data, found = _read(syn_path, root)
        problems += found
        synonyms, found = _check_synonyms(data, rel_path(syn_path, root))
        problems += found

    red_flags = RedFlags()
    safety_lines: dict[str, tuple[str, int]] = {}
    safety_path = root / "safety.yaml"
    if _present(safety_path):
        data, found = _read(safety_path, root)
        problems += found
        if not found:
            rel = rel_path(safety_path, root)
            model, found = _validate(SafetyFile, data, rel)
            problems += found
            if model is not None:
                found, safety_lines = _check_safety(model, data, rel)
                problems += found
                red_flags = RedFlags(model.red_flags, model.terms, model.cues)

    entries: dict[str, Entry] = {}
    drafts: dict[str, Entry] = {}
    topics: list[Topic] = []
    source: dict[str, tuple[str, int]] = {}
    key_lines: dict[str, dict[str, int]] = {}
    related_refs: list[tuple[str, int, str, str]] = []
    files = topic_files(root)
    if not files:
        problems.append(
            Problem(rel_path(root / "topics", root), 1, "error", "no topic files (*.yaml)")
        )
    for path in files:
        rel = rel_path(path, root)
        data, found = _read(path, root)
        problems += found
        if found:
            continue
        model, found = _validate(TopicFile, data, rel)
        problems += found
        if model is None:
            continue
        ids: list[str] = []
        for i, item in enumerate(model.entries):
            raw = data["entries"][i]
            line = getattr(raw, "line", 1)
            if item.id in source:
                first_file, first_line = source[item.id]
                problems.append(
                    Problem(
                        rel,
                        line_of(raw, ("id",)),
                        "error",
                        f"duplicate id '{item.id}' (first at {first_file}:{first_line})",
                    )
                )
                continue
            source[item.id] = (rel, line)
            key_lines[item.id] = _key_lines(raw)
            entry = Entry(
                id=item.id,
                question=item.question,
                answer=item.answer.strip(),
                link=item.link,
                alternates=tuple(item.alternates),
                related=tuple(item.related),
                examples=tuple(item.examples),
                reviewed=item.reviewed,
                topic=path.stem,
            )
            for j, ref in enumerate(item.related):
                related_refs.append((rel, line_of(raw, ("related", j)), item.id, ref))
            if entry.is_draft:
                drafts[entry.id] = entry
                problems.append(
                    Problem(
                        rel,
                        line,
                        "warning",
                        f"entry '{entry.id}' has no 'reviewed' date: "
                        "it is a draft and is not served",
                    )
                )
            else:
                entries[entry.id] = entry
                ids.append(entry.id)
        topics.append(Topic(id=path.stem, title=model.title, entry_ids=tuple(ids)))

    for rel, line, owner, ref in related_refs:
        if ref == owner:
            problems.append(Problem(rel, line, "error", f"'{owner}' lists itself in related"))
        elif ref not in source:
            problems.append(Problem(rel, line, "error", f"related id '{ref}' does not exist"))

    if any(p.severity == "error" for p in problems):
        return None, problems
    knowledge = Knowledge(
        entries=entries,
        drafts=drafts,
        topics=[t for t in topics if t.entry_ids],
        settings=settings,
        synonyms=synonyms,
        red_flags=red_flags,
        version=fingerprint(knowledge_files(root)),
        source=source,
        key_lines=key_lines,
        safety_lines=safety_lines,
    )
    return knowledge, problems


def _key_lines(raw: Any) -> dict[str, int]:
    if not isinstance(raw, LineDict):
        return {}
    lines = dict(raw.key_lines)
    examples = raw.get("examples")
    if isinstance(examples, LineList):
        lines.update({f"examples.{i}": n for i, n in enumerate(examples.item_lines)})
    return lines


def _check_synonyms(data: Any, rel: str) -> tuple[dict[str, list[str]], list[Problem]]:
    """synonyms.yaml is a mapping: canonical term -> list of words or phrases meaning the same."""
    if data is None:
        return {}, []
    if not isinstance(data, LineDict):
        return {}, [
            Problem(
                rel,
                getattr(data, "line", 1),
                "error",
                "must be a mapping: term: [other words, ...]",
            )
        ]
    result: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for key, value in data.items():
        line = data.key_lines.get(key, 1)
        if not isinstance(value, LineList) or not all(isinstance(v, str) for v in value):
            problems.append(Problem(rel, line, "error", f"'{key}' must be a list of words"))
            continue
        result[key] = [str(v) for v in value]
    return result, problems


def _check_safety(
    model: SafetyFile, data: Any, rel: str
) -> tuple[list[Problem], dict[str, tuple[str, int]]]:
    """What the schema cannot see in safety.yaml: phrases that do not parse, unknown {terms},
    duplicate flag ids. Also returns the line of every example, for kb check's warnings."""
    from bot.safety import phrase_error  # (safety imports this module)

    problems: list[Problem] = []
    lines: dict[str, tuple[str, int]] = {}

    def at(*path: str | int) -> int:
        return line_of(data, tuple(path))

    for name, words in model.terms.items():
        for j, word in enumerate(words):
            error = phrase_error(word, {}, term=True)
            if error:
                problems.append(
                    Problem(rel, at("terms", name, j), "error", f"term '{name}': {error}")
                )
    for name in Cues.model_fields:
        for j, phrase in enumerate(getattr(model.cues, name)):
            error = phrase_error(phrase, model.terms)
            if error:
                problems.append(
                    Problem(rel, at("cues", name, j), "error", f"cue '{name}': {error}")
                )
    seen: dict[str, int] = {}
    for i, flag in enumerate(model.red_flags):
        if flag.id in seen:
            problems.append(
                Problem(
                    rel,
                    at("red_flags", i, "id"),
                    "error",
                    f"duplicate red flag id '{flag.id}' (first at line {seen[flag.id]})",
                )
            )
        else:
            seen[flag.id] = at("red_flags", i, "id")
        for key in ("phrases", "context", "ignore"):
            for j, phrase in enumerate(getattr(flag, key)):
                error = phrase_error(phrase, model.terms)
                if error:
                    problems.append(
                        Problem(
                            rel,
                            at("red_flags", i, key, j),
                            "error",
                            f"red flag '{flag.id}', {key}: {error}",
                        )
                    )
        for key in ("examples", "not_urgent"):
            for j in range(len(getattr(flag, key))):
                lines[f"red_flags.{i}.{key}.{j}"] = (rel, at("red_flags", i, key, j))
    return problems, lines
