# Browser tests (tests/browser): the explorer, /docs and /redoc in Debian's headless Chromium,
# driven by Playwright for Python against a live `assetwatch serve --demo`. Playwright's own
# browser builds cannot be downloaded here, so the tests launch $(CHROMIUM) (set in the
# Makefile), which the rule below installs from Debian when it is missing: `make test`,
# `make coverage` and `make test-browser` depend on it, so a fresh machine passes.

.PHONY: chromium test-browser screenshots

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "The browser tests need Chromium at $(CHROMIUM). Install it as root:"; \
	  echo "  sudo apt-get install -y chromium"; \
	  echo "or point CHROMIUM at another Chromium or Chrome binary: make test CHROMIUM=/path"; \
	  exit 1; \
	fi

chromium: $(CHROMIUM) ## install Debian's chromium for the browser tests unless it is there (needs root)

test-browser: install $(CHROMIUM) ## the browser tests: explorer, /docs, /redoc in headless Chromium on the demo
	$(RUN) pytest $(SUITE_browser)

screenshots: install $(CHROMIUM) ## the browser tests, saving their screenshots into docs/images (shown in README)
	$(RUN) pytest $(SUITE_browser) --screenshot-dir docs/images
