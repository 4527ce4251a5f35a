"""Settings from the environment: one typed place. Secrets come only from here, never from files
in the repository, and are never logged (`Config.__repr__` hides the token)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.runtime import schedule
from bot.runtime.schedule import Schedule

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_RETENTION_DAYS = 365
LOG_FORMATS = ("text", "json")


class ConfigError(ValueError):
    pass


def _ids(raw: str, name: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in raw.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated numeric Telegram user ids") from None


@dataclass(frozen=True)
class Config:
    token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("data/expertbot.sqlite3")
    knowledge_dir: Path = Path("knowledge")
    doctor_ids: frozenset[int] = frozenset()
    admin_ids: frozenset[int] = frozenset()
    review_chat_id: int | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8080
    # per-chat questions a minute; None = bot.yaml's rate_limit_per_minute, 0 = no limit
    rate_limit_per_minute: int | None = None
    log_format: str = "text"  # "text" or "json" (one JSON object per line)
    retention_days: int = DEFAULT_RETENTION_DAYS  # questions, closed queue items, votes, alternates
    # EXPERTBOT_WEEKLY_CHART: when the doctors get the weekly chart ("mon 08:00" UTC by
    # default; a number: every N seconds; "off": None). See bot/runtime/schedule.py.
    weekly_chart: Schedule | None = field(default_factory=lambda: schedule.parse(None))
    # EXPERTBOT_CHOICES_GRACE: seconds a question shown choices waits for the reader before it
    # goes to the doctor; None = bot.yaml's choices_grace (minutes)
    choices_grace: float | None = None
    # TELEGRAM_BOT_USERNAME: the bot's @username, for the start links of `kb links` (the
    # running bot asks Telegram instead)
    bot_username: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        doctors = _ids(env.get("DOCTOR_IDS", ""), "DOCTOR_IDS")
        admins_raw = env.get("ADMIN_IDS", "")
        review = env.get("REVIEW_CHAT_ID", "").strip()
        port = env.get("WEBHOOK_PORT", "8080").strip() or "8080"
        if not port.isdigit():
            raise ConfigError("WEBHOOK_PORT must be a number")
        rate = env.get("EXPERTBOT_RATE_LIMIT", "").strip()
        if rate and not rate.isdigit():
            raise ConfigError("EXPERTBOT_RATE_LIMIT must be a whole number (0 = no limit)")
        log_format = env.get("LOG_FORMAT", "").strip().lower() or "text"
        if log_format not in LOG_FORMATS:
            raise ConfigError("LOG_FORMAT must be text or json")
        retention = env.get("RETENTION_DAYS", "").strip() or str(DEFAULT_RETENTION_DAYS)
        if not retention.isdigit() or int(retention) < 1:
            raise ConfigError("RETENTION_DAYS must be a whole number of days, at least 1")
        try:
            weekly_chart = schedule.parse(env.get("EXPERTBOT_WEEKLY_CHART"))
        except schedule.ScheduleError as exc:
            raise ConfigError(str(exc)) from None
        grace = env.get("EXPERTBOT_CHOICES_GRACE", "").strip()
        try:
            choices_grace = float(grace) if grace else None
        except ValueError:
            choices_grace = -1.0
        if choices_grace is not None and not 0 <= choices_grace < 1e7:
            raise ConfigError("EXPERTBOT_CHOICES_GRACE must be a number of seconds (0 or more)")
        try:
            review_id = int(review) if review else None
        except ValueError:
            raise ConfigError("REVIEW_CHAT_ID must be a numeric chat id") from None
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            api_url=env.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL,
            db_path=Path(env.get("EXPERTBOT_DB", "").strip() or "data/expertbot.sqlite3"),
            knowledge_dir=Path(env.get("EXPERTBOT_KNOWLEDGE", "").strip() or "knowledge"),
            doctor_ids=doctors,
            admin_ids=_ids(admins_raw, "ADMIN_IDS") if admins_raw.strip() else doctors,
            review_chat_id=review_id,
            webhook_secret=env.get("WEBHOOK_SECRET", "").strip() or None,
            webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "0.0.0.0",
            webhook_port=int(port),
            rate_limit_per_minute=int(rate) if rate else None,
            log_format=log_format,
            retention_days=int(retention),
            weekly_chart=weekly_chart,
            choices_grace=choices_grace,
            bot_username=env.get("TELEGRAM_BOT_USERNAME", "").strip() or None,
        )
