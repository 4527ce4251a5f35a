"""`python -m bot`: the same as the `expertbot` command."""

from bot.cli import main

main()
