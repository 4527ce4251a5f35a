"""EXPERTBOT_WEEKLY_CHART (bot/runtime/schedule.py): parsing, and when the weekly chart is next due —
including after a restart, which must neither send it again nor skip a week."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.runtime import schedule
from bot.runtime.config import Config, ConfigError
from bot.runtime.schedule import Schedule, ScheduleError

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, Schedule(0, dt.time(8, 0))),
        ("", Schedule(0, dt.time(8, 0))),
        ("mon 08:00", Schedule(0, dt.time(8, 0))),
        ("  Fri 17:30 ", Schedule(4, dt.time(17, 30))),
        ("sunday 7:05", Schedule(6, dt.time(7, 5))),
        ("wed\t23:59", Schedule(2, dt.time(23, 59))),
        ("2", Schedule(every=2.0)),
        ("0.5", Schedule(every=0.5)),
        ("3600", Schedule(every=3600.0)),
    ],
)
def test_parse(raw: str | None, expected: Schedule) -> None:
    assert schedule.parse(raw) == expected


@pytest.mark.parametrize("raw", ["off", "OFF", "none", "0"])
def test_off(raw: str) -> None:
    assert schedule.parse(raw) is None


@pytest.mark.parametrize(
    "raw", ["mon", "08:00", "mun 08:00", "monxyz 08:00", "mon 24:00", "mon 08:60", "-5", "nan"]
)
def test_bad_values_are_refused_with_the_setting_named(raw: str) -> None:
    with pytest.raises(ScheduleError, match="EXPERTBOT_WEEKLY_CHART"):
        schedule.parse(raw)


def test_config_reads_it() -> None:
    assert Config().weekly_chart == Schedule(0, dt.time(8, 0))
    assert Config.from_env({}).weekly_chart == Schedule(0, dt.time(8, 0))
    assert Config.from_env({"EXPERTBOT_WEEKLY_CHART": "2"}).weekly_chart == Schedule(every=2)
    assert Config.from_env({"EXPERTBOT_WEEKLY_CHART": "off"}).weekly_chart is None
    with pytest.raises(ConfigError, match="EXPERTBOT_WEEKLY_CHART"):
        Config.from_env({"EXPERTBOT_WEEKLY_CHART": "someday"})


def test_it_reads_as_a_time() -> None:
    assert str(schedule.parse("mon 08:00")) == "mon 08:00 UTC"
    assert str(schedule.parse("2")) == "every 2 s"


# --- weekly: when it is due ---------------------------------------------------------------------

MONDAY_8 = Schedule(0, dt.time(8, 0))


def test_previous_slot() -> None:
    assert MONDAY_8.previous_slot(at("2026-11-23 08:00")) == at("2026-11-23 08:00")  # Monday
    assert MONDAY_8.previous_slot(at("2026-11-23 07:59")) == at("2026-11-16 08:00")
    assert MONDAY_8.previous_slot(at("2026-11-27 12:00")) == at("2026-11-23 08:00")  # Friday
    assert MONDAY_8.previous_slot(at("2026-11-29 23:59")) == at("2026-11-23 08:00")  # Sunday


def test_a_bot_that_never_sent_waits_for_the_first_weekly_time() -> None:
    assert MONDAY_8.next_due(None, at("2026-11-27 12:00")) == at("2026-11-30 08:00")
    assert MONDAY_8.next_due(None, at("2026-11-23 07:00")) == at("2026-11-23 08:00")


def test_sent_this_week_waits_for_next_week() -> None:
    last = at("2026-11-23 08:00:02")
    for now in ("2026-11-23 08:00:03", "2026-11-25 10:00", "2026-11-30 07:59:59"):
        assert MONDAY_8.next_due(last, at(now)) == at("2026-11-30 08:00")
    assert MONDAY_8.next_due(last, at("2026-11-30 08:00")) <= at("2026-11-30 08:00")  # due


def test_a_restart_right_after_sending_does_not_send_again() -> None:
    sent = at("2026-11-23 08:00:01")
    restarted = at("2026-11-23 08:05")
    due = MONDAY_8.next_due(sent, restarted)
    assert due > restarted and due == at("2026-11-30 08:00")


def test_down_at_the_weekly_time_sends_once_when_it_starts_again() -> None:
    last = at("2026-11-16 08:00:01")
    restarted = at("2026-11-23 11:00")  # down from Sunday to Monday 11:00
    due = MONDAY_8.next_due(last, restarted)
    assert due <= restarted  # now
    # sent at 11:00: next week, not again now
    assert MONDAY_8.next_due(restarted, restarted + dt.timedelta(seconds=1)) == at(
        "2026-11-30 08:00"
    )


def test_down_for_weeks_sends_once_not_once_per_missed_week() -> None:
    last = at("2026-10-05 08:00")
    now = at("2026-11-25 09:00")
    assert MONDAY_8.next_due(last, now) <= now
    assert MONDAY_8.next_due(now, now + dt.timedelta(minutes=1)) == at("2026-11-30 08:00")


def test_naive_and_other_zones_are_read_as_utc_times() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    now = dt.datetime(2026, 11, 23, 9, 30, tzinfo=paris)  # 08:30 UTC, Monday
    assert MONDAY_8.previous_slot(now) == at("2026-11-23 08:00")
    assert MONDAY_8.next_due(dt.datetime(2026, 11, 23, 8, 10), now) == at("2026-11-30 08:00")


# --- every N seconds ----------------------------------------------------------------------------


def test_every_n_seconds() -> None:
    every = Schedule(every=2)
    now = at("2026-11-27 12:00:00")
    assert every.next_due(None, now) == at("2026-11-27 12:00:02")
    assert every.next_due(at("2026-11-27 11:59:59"), now) == at("2026-11-27 12:00:01")
    assert every.next_due(at("2026-11-27 11:00:00"), now) <= now  # overdue: at once, once
