# schemathesis' CLI over the whole HTTP contract (README, "Fuzzing the contract"): every check,
# every phase, the settings in schemathesis.toml. `make test` runs a small budget of the same.

.PHONY: fuzz

FUZZ_EXAMPLES ?= 100
FUZZ_SEED ?= 20261207

fuzz: install ## schemathesis, all checks and phases, FUZZ_EXAMPLES an operation (BASE_URL + API_KEY, or a live local server)
	$(RUN) python -m tests.fuzz --max-examples $(FUZZ_EXAMPLES) --seed $(FUZZ_SEED) \
		$(if $(BASE_URL),--base-url "$(BASE_URL)" --api-key "$(API_KEY)")
