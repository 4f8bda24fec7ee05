# The post-deploy smoke suite against a deployed service (make test runs it against a live
# local server it starts itself).

.PHONY: smoke

smoke: install ## smoke-test a deployment: make smoke BASE_URL=https://… API_KEY=aw_…
	@test -n "$(BASE_URL)" || { echo 'usage: make smoke BASE_URL=http://host:port API_KEY=aw_…'; exit 2; }
	@SMOKE_API_KEY="$(API_KEY)" $(RUN) assetwatch smoke --base-url "$(BASE_URL)" $(if $(JUNITXML),--junitxml $(JUNITXML))
