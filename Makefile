# Every target installs what it needs first: uv (if missing), then the locked environment.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
# uv: PYTHON's own module when it has one; otherwise a copy of our own under .tools/uv, installed
# with pip's --target, which an externally managed Python (Debian's python3, PEP 668) allows where
# a plain `pip install` is refused.
UV_TOOLS := .tools/uv
UV := $(if $(shell $(PYTHON) -m uv --version 2>/dev/null),$(PYTHON) -m uv,$(UV_TOOLS)/bin/uv)
RUN := $(UV) run --frozen
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test test-unit test-integration lint lint-ruff format typecheck layers hooks \
	migrate revision

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --target $(UV_TOOLS) uv
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced ## install uv and the locked environment

run: install ## serve the demo on an embedded PostgreSQL (migrated) at http://$(HOST):$(PORT)
	$(RUN) assetwatch serve --demo --host $(HOST) --port $(PORT)

# The suites `make test` and `make coverage` (mk/dev.mk) run, in this order, one pytest each:
# unit alone (so its purity guard applies); the rest in parallel (pytest-xdist, one embedded
# PostgreSQL and template per worker; TEST_WORKERS=0 runs it serially); smoke, the browser tests
# and the short load run last and alone, as they drive or time a live server.
TEST_WORKERS ?= 2
XDIST = $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)
SERIAL_SUITES := tests/smoke tests/browser tests/loadtest
SUITE_unit := tests/unit
SUITE_integration = $(XDIST) --ignore=tests/unit $(addprefix --ignore=,$(SERIAL_SUITES))
SUITE_smoke := tests/smoke
SUITE_browser := tests/browser
SUITE_load := tests/loadtest
# The browser the browser tests drive; mk/browser.mk installs it when it is missing.
export CHROMIUM ?= /usr/bin/chromium

test: install $(CHROMIUM) ## the whole suite: unit (alone), integration + k8s (parallel), smoke, browser, load
	$(RUN) pytest $(SUITE_unit)
	$(RUN) pytest $(SUITE_integration)
	$(RUN) pytest $(SUITE_smoke)
	$(RUN) pytest $(SUITE_browser)
	$(RUN) pytest $(SUITE_load)

test-unit: install ## unit tests only (no database, no sockets)
	$(RUN) pytest tests/unit

test-integration: install ## integration tests on throw-away embedded PostgreSQL servers (TEST_WORKERS in parallel)
	$(RUN) pytest $(XDIST) tests/integration

# One list of checks: the hooks in .pre-commit-config.yaml, each calling one of the targets
# below (or in mk/*.mk). `make lint` runs them all; `make hooks` runs them on each commit.
# pre-commit runs from the venv but not under `uv run`, whose PATH would hide the uv that the
# hooks' own `make` calls need.
PRE_COMMIT := .venv/bin/pre-commit
lint: install ## every static check: the pre-commit hooks on all files (ruff, mypy, layers, squawk, hadolint, yamllint, shellcheck)
	$(PRE_COMMIT) run --all-files

hooks: install ## install the git pre-commit hook: the checks of `make lint`, run on each commit
	$(PRE_COMMIT) install

lint-ruff: install ## ruff lint + format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install ## apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

typecheck: install ## mypy strict on src/
	$(RUN) mypy

layers: install ## import-linter layer contracts
	$(RUN) lint-imports

migrate: install ## apply migrations to DATABASE_URL (or the embedded database)
	$(RUN) assetwatch migrate up

revision: install ## autogenerate a revision: make revision m="add tags"
	@test -n "$(m)" || { echo 'usage: make revision m="what changes"'; exit 2; }
	$(RUN) assetwatch migrate up
	$(RUN) alembic revision --autogenerate -m "$(m)"

# Targets owned by other parts of the project (migrations lint, image, k8s, load tests…).
-include $(wildcard mk/*.mk)
