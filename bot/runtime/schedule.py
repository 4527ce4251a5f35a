"""When the weekly chart goes to the doctors (EXPERTBOT_WEEKLY_CHART), and when it is next due.

- `"mon 08:00"` (the default): every week, on that day at that time, UTC (a day is its first
  three letters — mon tue wed thu fri sat sun — or its full name; the time is HH:MM, 24-hour);
- a number: every that many seconds (for tests);
- `"off"`: never.

`next_due(last, now)` is pure, and the time of the last send is kept in the database (the
`meta` table), so a restart neither sends again nor skips a week: a bot that was down at the
weekly time sends at once when it starts again — once, however many weeks it missed — and a
bot that already sent this week waits for the next one. A bot that never sent waits for the
first weekly time (or one period) after its start.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

DEFAULT = "mon 08:00"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = dt.timedelta(days=7)
FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKLY = re.compile(r"([a-z]+)\s+(\d{1,2}):(\d{2})")


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Schedule:
    """Weekly at `weekday` (0 = Monday) `at` (UTC), or every `every` seconds."""

    weekday: int = 0
    at: dt.time = dt.time(8, 0)
    every: float | None = None

    def __str__(self) -> str:
        if self.every is not None:
            return f"every {self.every:g} s"
        return f"{DAYS[self.weekday]} {self.at:%H:%M} UTC"

    def previous_slot(self, now: dt.datetime) -> dt.datetime:
        """The latest weekly time at or before `now` (weekly schedules only)."""
        now = _utc(now)
        days_back = (now.weekday() - self.weekday) % 7
        slot = dt.datetime.combine(now.date() - dt.timedelta(days=days_back), self.at, dt.UTC)
        return slot if slot <= now else slot - WEEK

    def next_due(self, last: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        """When the next chart is due, given when the last one was sent (None: never). A time
        at or before `now` means: send now."""
        now = _utc(now)
        if self.every is not None:
            step = dt.timedelta(seconds=self.every)
            return now + step if last is None else _utc(last) + step
        previous = self.previous_slot(now)
        if last is not None and _utc(last) < previous:
            return previous  # missed (the bot was down then): now, once
        return previous + WEEK


def parse(raw: str | None) -> Schedule | None:
    """EXPERTBOT_WEEKLY_CHART as a Schedule; None for "off". Raises ScheduleError."""
    text = (raw or "").strip().lower() or DEFAULT
    if text in ("off", "no", "none", "0"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        if not seconds > 0 or seconds != seconds or seconds == float("inf"):
            raise ScheduleError("EXPERTBOT_WEEKLY_CHART: a number of seconds must be above 0")
        return Schedule(every=seconds)
    match = _WEEKLY.fullmatch(text)
    if match is None or match.group(1) not in DAYS + FULL:
        raise ScheduleError(
            f'EXPERTBOT_WEEKLY_CHART must be a day and a UTC time like "{DEFAULT}", a number '
            f'of seconds, or "off" (not {raw!r})'
        )
    day, hour, minute = match.group(1)[:3], int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ScheduleError(f"EXPERTBOT_WEEKLY_CHART: {hour:02d}:{minute:02d} is not a time")
    return Schedule(weekday=DAYS.index(day), at=dt.time(hour, minute))


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
