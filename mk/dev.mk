# The developer's loop (README, "Developing"): serve with reload, unit tests on change, coverage
# of every suite. The pre-commit hooks (`make hooks`) are in the root Makefile, beside `make lint`.

.PHONY: dev test-watch coverage

TESTS ?= tests/unit
COVERAGE_DIR := build/coverage
COVERAGE_SUITES := unit integration smoke browser load

dev: install ## serve the demo at http://$(HOST):$(PORT), restarting on changes under src/ (database and key kept)
	$(RUN) assetwatch serve --demo --reload --host $(HOST) --port $(PORT)

# '**/*.py', not ptw's default '*.py': watchdog 7 matches patterns against the whole path.
test-watch: install ## re-run the unit tests (or TESTS=path) on every change to a .py file; Ctrl-C quits
	$(RUN) python scripts/test_watch.py --now --clear --delay 0.3 --patterns '**/*.py' --ignore-patterns '**/.venv/**' $(CURDIR) $(TESTS)

# Each suite of `make test` runs under `coverage run` into a folder of its own; `patch = subprocess`
# and `sigterm = true` (pyproject.toml) measure the processes the tests start too: the live
# `assetwatch serve` of the smoke, browser, load and API-over-TCP tests, its reloader's and
# workers' children, the CLI and the xdist workers. The report combines them per suite and in all.
covered = mkdir -p $(COVERAGE_DIR)/$(1) && COVERAGE_FILE=$(CURDIR)/$(COVERAGE_DIR)/$(1)/.coverage \
	$(RUN) coverage run -m pytest $(SUITE_$(1))

coverage: install $(CHROMIUM) ## every suite under coverage: a table per package and suite, build/coverage/html, fails under the ratchet
	rm -rf $(COVERAGE_DIR)
	$(call covered,unit)
	$(call covered,integration)
	$(call covered,smoke)
	$(call covered,browser)
	$(call covered,load)
	$(RUN) python scripts/coverage_report.py $(COVERAGE_DIR) $(COVERAGE_SUITES)
