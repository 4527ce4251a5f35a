"""Running the bot: what every front end shares around the services.

`config` (settings from the environment), `logs` (text or JSON lines, secrets redacted), `aio`
(asyncio idioms, one copy each), `reload` (the knowledge loaded to serve, and live reloads),
`ops` (heartbeat, health, backup / restore), `schedule` (when the weekly chart is due).
"""

__all__ = ["aio", "config", "logs", "ops", "reload", "schedule"]
