# One command to run the bot, one to test it. The venv is (re)built when pyproject changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/articlebot run --sandbox-if-no-token

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# The quick sizes; the README gives the full runs (a 1M-article store takes about an hour).
bench: $(STAMP)
	$(BIN)/python bench/search.py --sizes 10000,100000
	$(BIN)/python bench/recipients.py --sizes 10000,100000
	$(BIN)/python bench/commands.py
	$(BIN)/python bench/broadcast.py --sizes 10000

# Re-extract the bot's texts after changing them; then translate the new entries in
# bot/locales/es/LC_MESSAGES/articlebot.po (the i18n test lists what is missing).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header --sort-output \
		-o bot/locales/articlebot.pot bot
	$(BIN)/pybabel update -i bot/locales/articlebot.pot -d bot/locales -D articlebot \
		--no-fuzzy-matching --ignore-obsolete --width 99

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
