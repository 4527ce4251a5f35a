"""`expertbot run`: the composition root. It builds the bot from its parts and runs it until
SIGTERM/SIGINT.

Start-up, in order: check the settings (token; in webhook mode the secret and URL), load the
knowledge, open the database, then reach Telegram (getMe): a token Telegram rejects (401/404)
ends with exit code 2; network errors and 5xx are retried with backoff until Telegram answers
or a stop is requested. Then the command menu (setMyCommands), the background tasks
(`aio.Background`: heartbeat, retention, outbox, held questions, knowledge watcher, weekly
chart) and either long polling
(`updates.Poller`) or the webhook server (`webhook.WebhookServer`). A stop finishes the update
in hand and exits 0. Every fatal problem is one line on stderr, never a traceback.

Exit codes: 0 stopped cleanly, 1 unusable knowledge/database/address or a refused setting,
2 missing or rejected token (or webhook mode without WEBHOOK_SECRET).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot.conversation.held import HeldSweeper
from bot.conversation.service import AnswerService
from bot.models import Reply
from bot.proposals.service import ProposalService
from bot.review import replies as review_replies
from bot.review.service import ReviewService
from bot.runtime import logs
from bot.runtime.aio import Background, Backoff, Stopped
from bot.runtime.config import Config
from bot.runtime.ops import Heartbeat, retention_job
from bot.runtime.reload import KnowledgeReloader, ReloadResult, UnusableKnowledge, load_snapshot
from bot.storage import Store, StoreError
from bot.telegram.charts import Charts
from bot.telegram.doctor import ADMIN_REFUSAL, Doctor, Reload, set_doctor_commands
from bot.telegram.inline import Inline
from bot.telegram.outbox import Outbox, Roles
from bot.telegram.proposals import RELOAD_REASON, Proposals
from bot.telegram.reader import COMMANDS, Reader
from bot.telegram.sending import FIRST_DELAY, MAX_DELAY, quiet_retried_failures, with_retry
from bot.telegram.updates import ALLOWED_UPDATES, Poller, UpdateGate
from bot.telegram.webhook import WebhookServer
from bot.understanding.snapshot import Snapshot

log = logging.getLogger(__name__)

T = TypeVar("T")
OFFLINE_HINT = "or talk to the bot offline with: expertbot chat"
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token
RATE_LIMITER_RETRIES = 2  # 429s the rate limiter waits out itself before with_retry does
RELOAD_POLL = 1.0  # seconds between looks at the knowledge folder's files
STOP_TASKS = 30.0  # seconds the background tasks get to finish what they hold at a stop


class _Fatal(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def run_bot(cfg: Config, knowledge_dir: Path, webhook_url: str | None = None) -> int:
    """Run the bot until stopped; returns the process exit code."""
    redact = logs.protect([cfg.token, cfg.webhook_secret], cfg.log_format)
    try:
        return asyncio.run(_run(cfg, Path(knowledge_dir), webhook_url))
    except _Fatal as exc:
        print(f"expertbot: {redact.clean(str(exc))}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:  # a Ctrl-C before the signal handlers are installed
        return 0


async def _run(cfg: Config, knowledge_dir: Path, webhook_url: str | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _request_stop, stop, signum)
    if not cfg.token:
        raise _Fatal(f"TELEGRAM_BOT_TOKEN is not set: get one from @BotFather, {OFFLINE_HINT}", 2)
    if webhook_url is not None:
        _check_webhook(cfg, webhook_url)
    try:
        snapshot = load_snapshot(knowledge_dir)
    except UnusableKnowledge as exc:
        raise _Fatal(_unusable(exc), 1) from None
    try:
        store = await Store.open(cfg.db_path)
    except StoreError as exc:
        raise _Fatal(str(exc), 1) from None
    try:
        return await _serve(cfg, snapshot, store, knowledge_dir, webhook_url, stop)
    finally:
        await store.close()


def _unusable(exc: UnusableKnowledge) -> str:
    if not exc.errors:
        return f"knowledge folder {exc.root} not found (see EXPERTBOT_KNOWLEDGE)"
    return (
        f"the knowledge in {exc.root} has errors (first: {exc.errors[0]}); "
        f"run: expertbot kb check {exc.root}"
    )


def _check_webhook(cfg: Config, url: str) -> None:
    if not cfg.webhook_secret:
        raise _Fatal(
            "WEBHOOK_SECRET is required in webhook mode (1-256 letters, digits, _ or -): "
            "Telegram sends it with every update, so nobody else can post fake ones",
            2,
        )
    if not SECRET_RE.fullmatch(cfg.webhook_secret):
        raise _Fatal("WEBHOOK_SECRET may only hold 1-256 letters, digits, _ and -", 2)
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise _Fatal(f"the webhook URL must be a public https:// URL, not {url!r}", 2)


@dataclass(frozen=True)
class Parts:
    application: Application
    outbox: Outbox
    service: AnswerService
    charts: Charts
    sweeper: HeldSweeper


def build_application(
    cfg: Config,
    snapshot: Snapshot,
    store: Store,
    reload: Reload | None = None,
    *,
    request: BaseRequest | None = None,
    knowledge_dir: Path | None = None,
) -> Parts:
    """The PTB Application with the doctor's and the reader's handlers (the doctor's first:
    the first handler that matches takes an update), without PTB's Updater (see
    updates.py) or JobQueue (see bot/runtime/aio.py); the outbox that posts to the review chat and
    delivers her answers; the answer service serving `snapshot`, which wakes the outbox
    when it queues a question and tells it when saving fails; and the doctor's charts
    (/stats's photo, the weekly chart); the admins' /proposals, which write into
    `knowledge_dir` (by default cfg.knowledge_dir) and then `reload`. `request`: how Bot API
    calls are made (tests pass a double)."""
    assert cfg.token
    quiet_retried_failures()
    builder = ApplicationBuilder().token(cfg.token).base_url(cfg.api_url)
    builder = builder.updater(None).job_queue(None)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMITER_RETRIES)).build()
    roles = Roles(cfg.doctor_ids, cfg.admin_ids, cfg.review_chat_id)
    # (the outbox reads the knowledge the service serves now: it changes on reload)
    outbox = Outbox(application.bot, store, lambda: service.knowledge, roles)
    service = AnswerService(
        snapshot,
        store,
        on_queued=outbox.nudge,
        on_storage=outbox.storage,
        choices_grace=cfg.choices_grace,
        on_held=lambda: sweeper.nudge(),
    )
    sweeper = HeldSweeper(service)  # questions shown choices: to the doctor after the grace
    reader = Reader(service, rate_limit=cfg.rate_limit_per_minute)
    review = ReviewService(store, lambda: service.snapshot)
    charts = Charts(
        application.bot, review, lambda: service.knowledge, roles.targets, cfg.weekly_chart
    )
    proposals = Proposals(
        application.bot,
        ProposalService(store, lambda: service.snapshot),
        service,
        roles,
        knowledge_dir or cfg.knowledge_dir,
        ADMIN_REFUSAL,
        reload,
    )
    doctor = Doctor(service, review, outbox, roles, reader, reload, charts, proposals)
    application.add_handlers(doctor.handlers())
    application.add_handlers(reader.handlers())
    application.add_handlers(Inline(service).handlers())
    application.add_error_handler(_on_error)
    return Parts(application, outbox, service, charts, sweeper)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log and carry on: one failing update never stops the others."""
    update_id = update.update_id if isinstance(update, Update) else "-"
    error = context.error
    log.error(
        "update %s failed: %s: %s",
        update_id,
        type(error).__name__,
        error,
        exc_info=error if not isinstance(error, TelegramError) else None,
    )


def _until_answered(exc: TelegramError) -> bool:
    return not isinstance(exc, InvalidToken | BadRequest)


async def _until_telegram_answers(
    what: str, call: Callable[[], Awaitable[T]], stop: asyncio.Event
) -> T:
    """A start-up call: every Bot API failure is retried, backing off up to MAX_DELAY, but a
    rejected token or request (raised); a stop raises Stopped."""
    backoff = Backoff(FIRST_DELAY, MAX_DELAY)
    return await with_retry(call, what, None, retry=_until_answered, stop=stop, backoff=backoff)


async def _serve(
    cfg: Config,
    snapshot: Snapshot,
    store: Store,
    knowledge_dir: Path,
    webhook_url: str | None,
    stop: asyncio.Event,
) -> int:
    async def reload_now(reason: str) -> Reply:  # an admin's /reload (after start-up)
        return review_replies.reload_report(await reloader.reload(reason))

    parts = build_application(cfg, snapshot, store, reload_now, knowledge_dir=knowledge_dir)
    application, outbox, service = parts.application, parts.outbox, parts.service
    charts = parts.charts

    async def tell_admins(result: ReloadResult) -> None:
        # (the admin who typed /reload gets it in their chat; one who added a proposal sees
        # its card say so, and hears only of a failure)
        if result.reason != "/reload" and not (result.ok and result.reason == RELOAD_REASON):
            with contextlib.suppress(TimeoutError):
                report = review_replies.reload_report(result)
                await asyncio.wait_for(outbox.tell_doctors(report), 30)

    reloader = KnowledgeReloader(knowledge_dir, service, on_result=tell_admins)
    bot = application.bot

    async def starting(what: str, call: Callable[[], Awaitable[object]]) -> None:
        await _until_telegram_answers(what, call, stop)

    background = Background(grace=STOP_TASKS)
    try:
        await starting("getMe", bot.initialize)
        await application.initialize()
        await application.start()
        menu = [BotCommand(c, d) for c, d in COMMANDS]
        await starting("setMyCommands", lambda: bot.set_my_commands(menu))
        await set_doctor_commands(bot, outbox.roles)
        gate = UpdateGate(application, store)
        try:
            await store.prune_handled_updates()
        except StoreError as exc:
            log.warning("could not prune old update ids: %s", exc)
        knowledge = service.knowledge
        mode = f"webhook {webhook_url}" if webhook_url else "long polling"
        log.info(
            "@%s is up (%s): %d answers in %d topics, database %s",
            bot.username,
            mode,
            len(knowledge.entries),
            len(knowledge.topics),
            cfg.db_path,
        )
        heartbeat = Heartbeat(
            cfg.db_path, "webhook" if webhook_url else "polling", lambda: service.knowledge.version
        )
        await heartbeat.beat()  # before the first update: `expertbot health` passes from here
        background.start("heartbeat", heartbeat.run)
        background.start(
            "retention", lambda done: retention_job(cfg.db_path, cfg.retention_days, done)
        )
        background.start("outbox", outbox.run)  # (a send in hand is let finish)
        background.start("held questions", parts.sweeper.run)  # overdue ones first
        background.start("knowledge watcher", lambda done: reloader.watch(done, RELOAD_POLL))
        background.start("weekly chart", charts.run)
        hup = _on_sighup(reloader)
        try:
            if webhook_url:
                await _serve_webhook(
                    cfg, application, gate, webhook_url, stop, lambda: service.knowledge.version
                )
            else:
                await starting("deleteWebhook", bot.delete_webhook)
                await Poller(application, gate, stop).run()
        finally:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            await background.stop()
            for task in hup:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await heartbeat.beat(stopped=True)
    except Stopped:
        pass
    except InvalidToken:  # (its message quotes the token: not shown)
        raise _Fatal(
            "Telegram rejected the token in TELEGRAM_BOT_TOKEN (401/404): check it "
            f"with @BotFather, {OFFLINE_HINT}",
            2,
        ) from None
    except BadRequest as exc:
        raise _Fatal(f"Telegram refused a setting: {exc}", 1) from None
    finally:
        await _shutdown(application)
    log.info("stopped")
    return 0


def _on_sighup(reloader: KnowledgeReloader) -> set[asyncio.Task]:
    """SIGHUP reloads the knowledge (`kill -HUP <pid>`, `docker compose kill -s HUP bot`).
    Returns the set of reloads in progress, to cancel at stop."""
    running: set[asyncio.Task] = set()

    def reload() -> None:
        log.info("SIGHUP: reloading the knowledge")
        task = asyncio.ensure_future(reloader.reload("SIGHUP"))
        running.add(task)
        task.add_done_callback(running.discard)

    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)
    return running


def _request_stop(stop: asyncio.Event, signum: int) -> None:
    if not stop.is_set():
        log.info("%s: stopping after the update in hand", signal.Signals(signum).name)
    stop.set()


async def _shutdown(application: Application) -> None:
    try:
        if application.running:
            await application.stop()
        await application.shutdown()
        await application.bot.shutdown()  # closes the HTTP clients if initialize() failed
    except Exception as exc:  # shutting down anyway
        log.warning("shutdown: %s", exc)


async def _serve_webhook(
    cfg: Config,
    application: Application,
    gate: UpdateGate,
    url: str,
    stop: asyncio.Event,
    knowledge_version: Callable[[], str],
) -> None:
    assert cfg.webhook_secret
    server = WebhookServer(
        application.bot,
        gate,
        secret=cfg.webhook_secret,
        listen=cfg.webhook_listen,
        port=cfg.webhook_port,
        path=urlsplit(url).path or "/",
        db_path=cfg.db_path,
        knowledge_version=knowledge_version,
    )
    try:
        server.start()
    except OSError as exc:
        raise _Fatal(
            f"cannot listen on {cfg.webhook_listen}:{cfg.webhook_port}: {exc.strerror or exc}"
            " (see WEBHOOK_LISTEN and WEBHOOK_PORT)",
            1,
        ) from None
    try:
        await _until_telegram_answers(
            "setWebhook",
            lambda: application.bot.set_webhook(
                url, secret_token=cfg.webhook_secret, allowed_updates=ALLOWED_UPDATES
            ),
            stop,
        )
        log.info("listening on %s:%d", cfg.webhook_listen, cfg.webhook_port)
        await stop.wait()
    finally:
        await server.stop()
