# Load tests with Locust and the SLO gate (any failure, or any endpoint's p99 >= 200 ms, fails).

.PHONY: loadtest

DURATION ?= 60s
USERS ?= 20
SPAWN_RATE ?= 5
REPORTS := loadtest/reports

loadtest: install ## Locust headless for DURATION (USERS, SPAWN_RATE; HOST + AW_ADMIN_KEY or a local server), then the SLO gate
# HOST given on the command line or in the environment (the root Makefile's HOST is for `run`)
ifneq ($(filter command line environment,$(origin HOST)),)
	@test -n "$$AW_ADMIN_KEY" || { echo 'set AW_ADMIN_KEY to an admin key of the target'; exit 2; }
	mkdir -p $(REPORTS)
	$(RUN) locust -f loadtest/locustfile.py --headless --host "$(HOST)" -u $(USERS) -r $(SPAWN_RATE) \
		-t $(DURATION) --csv $(REPORTS)/run --html $(REPORTS)/report.html --only-summary --stop-timeout 5
	$(RUN) python loadtest/slo_check.py $(REPORTS)/run
else
	$(RUN) python -m loadtest.run_local --users $(USERS) --spawn-rate $(SPAWN_RATE) --duration $(DURATION) --reports $(REPORTS)
endif

# Benchmark: assetwatch against the raw floor (its own SQL behind a bare FastAPI/psycopg app) on
# one embedded PostgreSQL; rewrites docs/benchmarks.md (figures) and loadtest/reports/bench.json.
.PHONY: bench
BENCH_SECONDS ?= 10
BENCH_WORKERS ?= 1
BENCH_OUT ?= docs/benchmarks.md
BENCH_ROUNDS ?= 5
BENCH_ARGS ?=

bench: install ## assetwatch vs the raw floor (ingest, last-100 read): max rate, p99 at 70 %; writes docs/benchmarks.md
	@command -v wrk >/dev/null || echo 'wrk not installed: using the asyncio client (apt-get install wrk for lower client overhead)'
	timeout 900 $(RUN) python -m loadtest.bench.run --seconds $(BENCH_SECONDS) --rounds $(BENCH_ROUNDS) --workers $(BENCH_WORKERS) --out $(BENCH_OUT) $(BENCH_ARGS)

# Storage at scale: N points as rows, then as segments after the worker, in one run on a
# throw-away embedded PostgreSQL; rewrites docs/benchmarks-scale.md. Not part of `make test`.
.PHONY: bench-scale
SCALE_POINTS ?= 10M
SCALE_READS ?= 200
SCALE_MIN_REQUESTS ?= 5
SCALE_ROWS_FROM ?=

bench-scale: install ## storage at SCALE_POINTS (default 10M): bytes a point, reads, rollups, ingest; writes docs/benchmarks-scale.md
	$(RUN) python -m loadtest.bench.scale --points $(SCALE_POINTS) --reads $(SCALE_READS) --min-requests $(SCALE_MIN_REQUESTS) $(if $(SCALE_ROWS_FROM),--rows-from $(SCALE_ROWS_FROM)) --out docs/benchmarks-scale.md
