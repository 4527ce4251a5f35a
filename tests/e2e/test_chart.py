"""The doctor's chart with the real bot process over the fake Bot API: the weekly chart reaches
every doctor (EXPERTBOT_WEEKLY_CHART=2: every 2 seconds, for the test), its last send is kept
in the database, and /stats from a doctor is the text and then the chart as a photo (sendPhoto,
a multipart upload)."""

from __future__ import annotations

from bot.models import Outcome
from tests.conftest import until

from .conftest import UNMATCHED_CANDIDATES, Chat, StartBot, text_with
from .fake_telegram import FakeTelegram

DOCTORS = (900, 901)
READER = 41
PNG = b"\x89PNG\r\n\x1a\n"
WEEKLY = (
    "Your weekly picture: the last 4 weeks, and what readers ask most that has no answer yet. "
    "/queue lists them."
)
AFTER_STATS = "The last 4 weeks, and what readers ask most that has no answer yet."
# the first chart may wait for matplotlib's font cache on a fresh machine
FIRST_CHART = 60.0


async def test_the_weekly_chart_reaches_each_doctor_and_stats_sends_text_and_chart(
    tg: FakeTelegram, start_bot: StartBot
) -> None:
    for doctor in DOCTORS:
        tg.send_text(doctor, "/start")  # (each opened a chat with the bot)
    env = {"DOCTOR_IDS": ",".join(map(str, DOCTORS)), "EXPERTBOT_WEEKLY_CHART": "2"}
    bot = await start_bot(env=env)

    await Chat(tg, READER).say(text_with(Outcome.UNMATCHED, UNMATCHED_CANDIDATES))

    for doctor in DOCTORS:
        (first, *_) = await tg.wait_for(
            "sendPhoto", lambda c, d=doctor: c.params.get("chat_id") == d, timeout=FIRST_CHART
        )
        assert first.params["caption"] == WEEKLY
        assert tg.photos[doctor][0].startswith(PNG) and len(tg.photos[doctor][0]) > 5_000
    await until(
        lambda: bot.rows("SELECT value FROM meta WHERE key = 'weekly_chart_sent_at'"),
        what="the time of the last weekly chart in the meta table",
    )

    doctor = Chat(tg, DOCTORS[0])
    photos_before = len(tg.photos_to(doctor.chat_id))
    (text,) = await doctor.say("/stats")
    assert text.text is not None and "Statistics" in text.text
    after = await tg.wait_for(
        "sendPhoto",
        lambda c: (
            c.params.get("chat_id") == doctor.chat_id and c.params.get("caption") == AFTER_STATS
        ),
        timeout=FIRST_CHART,
    )
    assert after[0].time > text.time  # the photo comes after the text
    assert len(tg.photos_to(doctor.chat_id)) > photos_before
    assert all(png.startswith(PNG) for png in tg.photos[doctor.chat_id])
    assert not [c for c in tg.rejected() if c.method == "sendPhoto"]
    assert "Traceback" not in bot.log
