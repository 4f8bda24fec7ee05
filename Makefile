# Every target installs what it needs first: uv (if missing), then the locked environment.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test test-unit test-integration lint format typecheck layers migrate revision

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced ## install uv and the locked environment

run: install ## serve the demo on an embedded PostgreSQL (migrated) at http://$(HOST):$(PORT)
	$(RUN) assetwatch serve --demo --host $(HOST) --port $(PORT)

test: install ## the whole suite: unit (alone, so its purity guard applies), then the rest
	$(RUN) pytest tests/unit
	$(RUN) pytest --ignore=tests/unit

test-unit: install ## unit tests only (no database, no sockets)
	$(RUN) pytest tests/unit

test-integration: install ## integration tests on a throw-away embedded PostgreSQL
	$(RUN) pytest tests/integration

lint: install ## ruff lint + format check
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
