"""Webhook mode: a small HTTP server that Telegram POSTs updates to.

Unlike python-telegram-bot's own webhook server (which answers 200 as soon as the update is
queued), this one answers 200 only after the update was handled, so the question is stored
before Telegram considers it delivered; if the bot dies first, Telegram sends it again and the
`UpdateGate` skips what was already handled. Every request must carry the secret set with
setWebhook in the `X-Telegram-Bot-Api-Secret-Token` header: missing or wrong → 403, nothing is
processed. `GET /healthz` (no secret; it processes nothing) reports the knowledge version and
the number of pending queue items, or 503 when the database is unusable. Built on tornado, which python-telegram-bot's `webhooks` extra already brings.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path

import tornado.web
from telegram import Bot, Update
from tornado.httpserver import HTTPServer

from bot.runtime.ops import OpsError, queue_status
from bot.telegram.updates import UpdateGate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"  # (the webhook path wins if it is /healthz too)
MAX_BODY = 1 << 20  # bytes; an update is a few kilobytes


class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    async def post(self) -> None:
        server = self.server
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), server.secret.encode()):
            log.warning("webhook request with a missing or wrong secret token: refused")
            self.set_status(HTTPStatus.FORBIDDEN)
            return
        if server.stopping:
            self.set_status(HTTPStatus.SERVICE_UNAVAILABLE)  # Telegram will send it again
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, server.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook request with a malformed update: %s", type(exc).__name__)
            update = None
        if update is None:
            self.set_status(HTTPStatus.BAD_REQUEST)
            return
        server.in_flight += 1
        server.idle.clear()
        try:
            await server.gate.handle(update)
        finally:
            server.in_flight -= 1
            if server.in_flight == 0:
                server.idle.set()
        self.set_status(HTTPStatus.OK)

    def log_exception(self, typ, value, tb) -> None:  # type: ignore[no-untyped-def]
        # tornado's default logs the whole request; the update is the reader's private text
        log.error("webhook request failed: %s", typ.__name__ if typ else "?")


class _HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 {"status": "ok", "knowledge_version", "queue_pending"}; 503 with a
    reason when the database is unusable (or the server is stopping). No secret: it reads
    only counts and processes nothing."""

    SUPPORTED_METHODS = ("GET",)  # type: ignore[assignment]

    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    async def get(self) -> None:
        server = self.server
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        if server.stopping:
            self.set_status(HTTPStatus.SERVICE_UNAVAILABLE)
            self.finish({"status": "unavailable", "reason": "stopping"})
            return
        try:
            pending = await asyncio.to_thread(queue_status, server.db_path)
        except OpsError as exc:
            log.warning("healthz: %s", exc)
            self.set_status(HTTPStatus.SERVICE_UNAVAILABLE)
            self.finish({"status": "unavailable", "reason": str(exc)})
            return
        self.finish(
            {
                "status": "ok",
                "knowledge_version": server.knowledge_version(),
                "queue_pending": pending,
            }
        )

    def log_exception(self, typ, value, tb) -> None:  # type: ignore[no-untyped-def]
        log.error("healthz request failed: %s", typ.__name__ if typ else "?")


class _App(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """No access log: a webhook path may hold a secret of its own."""


class WebhookServer:
    def __init__(
        self,
        bot: Bot,
        gate: UpdateGate,
        *,
        secret: str,
        listen: str,
        port: int,
        path: str,
        db_path: Path | None = None,
        knowledge_version: Callable[[], str] = lambda: "",
    ) -> None:
        self.bot = bot
        self.db_path = db_path if db_path is not None else gate.store.path
        self.knowledge_version = knowledge_version
        self.gate = gate
        self.secret = secret
        self.listen = listen
        self.port = port
        self.path = path if path.startswith("/") else "/" + path
        self.stopping = False
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        app = _App(
            [
                (re.escape(self.path), _UpdateHandler, {"server": self}),
                (re.escape(HEALTH_PATH), _HealthHandler, {"server": self}),
            ]
        )
        self._http = HTTPServer(app, max_body_size=MAX_BODY)

    def start(self) -> None:
        """Listen; raises OSError when the address can't be used."""
        self._http.listen(self.port, address=self.listen)

    async def stop(self, timeout: float = 20) -> None:
        """Refuse new updates, let the ones in hand finish, then close."""
        self.stopping = True
        self._http.stop()
        try:
            await asyncio.wait_for(self.idle.wait(), timeout)
        except TimeoutError:
            log.warning("stopping with %d webhook request(s) still in hand", self.in_flight)
        await self._http.close_all_connections()
