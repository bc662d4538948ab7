# One command to run the bot, one to test it. The venv is (re)built from the lock file,
# with the pip that `python3 -m venv` brings, whenever the lock changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
EXPORT := $(BIN)/uv export --frozen --no-emit-project --no-header --format requirements-txt --quiet

.PHONY: run sandbox announce test test-postgres lint lock lock-check install-check bench \
	messages clean

# What running needs: the locked dependencies and the bot. The lock lists every package, so
# pip installs exactly those (--no-deps) and then checks that they fit together: resolving
# again would let pip 23 fail on a new release it is not even asked for (an extra, such as
# justext's lxml[html_clean], once lxml 6.2.0 came out).
$(RUN_STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

# What developing needs besides: the test, lint and lock tools.
$(DEV_STAMP): requirements-dev.txt $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-dev.txt
	$(BIN)/python -m pip check
	touch $@

run: announce $(RUN_STAMP)
	$(BIN)/articlebot run --sandbox-if-no-token

# `make sandbox ARGS="--subscribers 500 --lang es"`
sandbox: announce $(RUN_STAMP)
	$(BIN)/articlebot sandbox $(ARGS)

# Said before the install, which is quiet and takes a minute or two the first time.
announce:
	@[ -n "$$BOT_TOKEN" ] || grep -qs '^BOT_TOKEN=.' .env \
		|| echo "No BOT_TOKEN set: the offline sandbox starts once installed."
	@[ -f $(RUN_STAMP) ] && [ $(RUN_STAMP) -nt requirements.txt ] \
		|| echo "Installing articlebot and its locked dependencies into $(VENV)…"

lint: $(DEV_STAMP) lock-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

test: lint
	$(BIN)/pytest
	$(MAKE) --no-print-directory test-postgres

# The tests that touch SQL again on PostgreSQL: each worker starts a throw-away cluster
# (tests/postgres.py). Without PostgreSQL installed it says so and passes, unless
# POSTGRES_REQUIRED is set (as .ci/run does).
POSTGRES_TESTS := tests/test_storage.py tests/test_subscriptions_storage.py \
	tests/test_deliveries_storage.py tests/test_corrections_storage.py tests/test_digests.py \
	tests/test_quiet.py tests/test_scheduled.py tests/test_hooks.py tests/test_replicas.py \
	tests/test_copy.py tests/test_sessions_storage.py \
	--deselect tests/test_replicas.py::test_a_paused_leader_loses_its_lease_and_stops_when_it_wakes
test-postgres: $(DEV_STAMP)
	@if $(BIN)/python -m tests.postgres; then \
		ARTICLEBOT_TEST_DATABASE=postgresql $(BIN)/pytest $(POSTGRES_TESTS); \
	elif [ -n "$$POSTGRES_REQUIRED" ]; then exit 1; \
	else echo "(the PostgreSQL pass is skipped: install PostgreSQL 15+ to run it)"; fi

# Re-resolve the lock after changing pyproject.toml; `make lock UPGRADE=aiohttp` moves one
# dependency to its newest allowed version (UPGRADE=all: every one).
lock: $(DEV_STAMP)
	$(BIN)/uv lock $(if $(filter all,$(UPGRADE)),--upgrade,$(if $(UPGRADE),--upgrade-package $(UPGRADE)))
	$(EXPORT) -o requirements.txt
	$(EXPORT) --all-extras -o requirements-dev.txt

# Fails when pyproject.toml and uv.lock disagree, or the requirements files are stale.
lock-check: $(DEV_STAMP)
	$(BIN)/uv lock --check --quiet
	$(EXPORT) | diff - requirements.txt > /dev/null \
		|| { echo "requirements.txt is stale: run make lock"; exit 1; }
	$(EXPORT) --all-extras | diff - requirements-dev.txt > /dev/null \
		|| { echo "requirements-dev.txt is stale: run make lock"; exit 1; }

# What a new user does: build the wheel, install it with a fresh venv's own pip (no
# upgrade, dependencies resolved from pyproject.toml), import every module, start the CLI.
install-check: $(DEV_STAMP)
	bash .ci/install-check

# The quick sizes; the README gives the full runs (a 1M-article store takes about an hour).
bench: $(DEV_STAMP)
	$(BIN)/python bench/search.py --sizes 10000,100000
	$(BIN)/python bench/recipients.py --sizes 10000,100000
	$(BIN)/python bench/commands.py
	$(BIN)/python bench/broadcast.py --sizes 10000
	$(BIN)/python bench/corrections.py --sizes 10000
	$(BIN)/python bench/failover.py --kills 5 --pauses 1
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/publish.py --sizes 10000 --days 10 --audience 2000
	$(BIN)/python bench/digests.py --size 20000
	$(BIN)/python bench/broadcast.py --rates 2,5,25,1000
	$(BIN)/python bench/hooks.py
	$(BIN)/python bench/flood.py --runs 3
	$(BIN)/python bench/outage.py --seconds 20 --kinds 502

# Re-extract the bot's texts after changing them; then translate the new entries in
# bot/locales/es/LC_MESSAGES/articlebot.po (the i18n test lists what is missing).
messages: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header --sort-output \
		-o bot/locales/articlebot.pot bot storage
	$(BIN)/pybabel update -i bot/locales/articlebot.pot -d bot/locales -D articlebot \
		--no-fuzzy-matching --ignore-obsolete --width 99

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
