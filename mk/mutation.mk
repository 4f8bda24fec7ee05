# Mutation testing of the domain and the use cases (README, "Mutation testing"). Included by the
# root Makefile; not part of `make test` (minutes, not seconds).
#
# mutmut ([tool.mutmut] in pyproject.toml) copies src/ into mutants/, mutates every function of
# src/assetwatch/domain and src/assetwatch/services and runs, for each mutant, the unit tests
# that reach its function. mutants/ keeps the verdicts: a rerun tests only the mutants of
# functions that changed, plus those not killed last time (scripts/mutation_report.py forget),
# as a new test may kill them now. MUTATION_FRESH=1 starts from nothing (after deleting or
# weakening a test: a mutant it killed stays killed in mutants/ otherwise).
# scripts/mutation_report.py then writes docs/mutation.md and fails under MUTATION_MIN % killed.

.PHONY: mutation

MUTATION_WORKERS ?= 2
MUTATION_MIN ?= 85
MUTATION_FRESH ?=
# pytest's own temporary folders, apart from other sessions' (each mutant is a pytest session).
MUTATION_TMP := $(or $(TMPDIR),/tmp)/assetwatch-mutation
MUTATION_LOG := $(MUTATION_TMP)/mutmut.log

mutation: install ## mutation-test domain/ and services/ with the unit suite; writes docs/mutation.md, fails under MUTATION_MIN % killed
	$(if $(MUTATION_FRESH),rm -rf mutants)
	@mkdir -p $(MUTATION_TMP)
	@fresh=$$([ -d mutants ] || echo --fresh); started=$$(date +%s); \
	  if [ -d mutants ]; then $(RUN) python scripts/mutation_report.py forget || exit 1; fi; \
	  TMPDIR=$(MUTATION_TMP) $(RUN) mutmut run --max-children $(MUTATION_WORKERS) >$(MUTATION_LOG) 2>&1 \
	    || { tail -n 40 $(MUTATION_LOG); exit 1; }; \
	  tail -n 3 $(MUTATION_LOG) | tr '\r' '\n' | tail -n 2; \
	  $(RUN) python scripts/mutation_report.py report --minimum $(MUTATION_MIN) \
	    --seconds $$(( $$(date +%s) - started )) --workers $(MUTATION_WORKERS) $$fresh
