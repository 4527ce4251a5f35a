"""Kept for code written before the storage became a package: import from `bot.storage`."""

from bot.storage import *  # noqa: F403
from bot.storage import __all__  # noqa: F401
