# Container image and Kubernetes targets (issue 6). Included by the root Makefile.
#   make image-lint   checkov on the Dockerfile (hadolint and shellcheck: make lint)   (CI, ~10 s)
#   make k8s-check    render, schema-validate and policy-check every overlay (yamllint: make
#                     lint); run the manifests' commands locally; deploy.sh --dry-run (CI, ~1 min)
#   make lint-docker / lint-shell / lint-yaml   hadolint, shellcheck, yamllint: hooks of
#                     .pre-commit-config.yaml, so part of `make lint`
#   make image        build the runtime, smoke (and loadtest) images with podman/buildah
#   make image-test   run the built images: read-only, non-root, migrate, /readyz, smoke
# image and image-test need root, podman (or buildah) and, with no registry, debootstrap:
#   apt-get install -y podman buildah runc debootstrap

.PHONY: image-lint lint-docker lint-shell lint-yaml k8s-check k8s-render image image-base image-test

K8S_OUT := build/k8s
K8S_OVERLAYS := $(notdir $(wildcard k8s/overlays/*))
KUBECTL := .venv/bin/kubectl
# checkov pulls ~90 packages whose pins clash with the project's (pytest, packaging), so it runs
# in its own pinned, cached tool environment instead of the locked dev group.
CHECKOV_VERSION ?= 3.3.30
CHECKOV := $(UV) tool run --from checkov==$(CHECKOV_VERSION) checkov
SHELL_SCRIPTS := $(wildcard scripts/*.sh) .ci/run

image-lint: install ## policy-check the Dockerfile (checkov; hadolint and shellcheck are in make lint)
	$(CHECKOV) --file Dockerfile --framework dockerfile --compact --quiet --skip-download

lint-docker: install ## hadolint on the Dockerfile
	$(RUN) hadolint Dockerfile

lint-shell: install ## shellcheck on scripts/*.sh and .ci/run
	$(RUN) shellcheck $(SHELL_SCRIPTS)

lint-yaml: install ## yamllint on the Kustomize sources and .pre-commit-config.yaml
	$(RUN) yamllint --strict -c k8s/.yamllint.yaml k8s/ .pre-commit-config.yaml

k8s-render: install ## render every overlay (and each base) into build/k8s/
	@rm -rf $(K8S_OUT) && mkdir -p $(K8S_OUT)/overlays
	@for dir in k8s/base k8s/jobs k8s/loadtest; do \
	  $(KUBECTL) kustomize $$dir > $(K8S_OUT)/$$(basename $$dir).yaml || exit 1; done
	@for overlay in $(K8S_OVERLAYS); do \
	  $(KUBECTL) kustomize k8s/overlays/$$overlay > $(K8S_OUT)/overlays/$$overlay.yaml || exit 1; \
	  echo "rendered overlay $$overlay: $$(grep -c '^kind: ' $(K8S_OUT)/overlays/$$overlay.yaml) objects"; done

k8s-check: k8s-render ## validate the manifests offline: schemas, policy, commands, deploy.sh --dry-run
	$(RUN) kubernetes-validate --strict --quiet $(K8S_OUT)/*.yaml $(K8S_OUT)/overlays/*.yaml k8s/base/secret.example.yaml
	$(CHECKOV) --config-file k8s/.checkov.yaml --directory $(K8S_OUT)/overlays
	$(RUN) pytest -m k8s tests/k8s
	@for overlay in $(K8S_OVERLAYS); do \
	  echo "deploy.sh --dry-run 0.1.0 $$overlay"; \
	  KUBECTL=$(KUBECTL) scripts/deploy.sh --dry-run 0.1.0 $$overlay > $(K8S_OUT)/plan-$$overlay.txt 2>&1 \
	    || { cat $(K8S_OUT)/plan-$$overlay.txt; exit 1; }; \
	  KUBECTL=$(KUBECTL) scripts/deploy.sh --dry-run --migrate-down 0001 0.1.0 $$overlay >/dev/null 2>&1 || exit 1; \
	  KUBECTL=$(KUBECTL) scripts/deploy.sh --dry-run --loadtest 0.1.0 $$overlay >/dev/null 2>&1 || exit 1; \
	done
	@echo "k8s-check: all overlays render, validate, pass policy and plan (plans in $(K8S_OUT)/plan-*.txt)"

# --- images (not in CI: they need root and podman) ---------------------------------------------
CONTAINER_ENGINE ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo buildah)
export CONTAINERS_CONF ?= $(CURDIR)/scripts/podman/containers.conf
IMAGE_REPO ?= localhost/assetwatch
IMAGE_TAG ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LOCAL_BASE_IMAGE := localhost/assetwatch-base:3.11-bookworm
# No registry reachable here: build on the debootstrapped base. Elsewhere: make image BASE_IMAGE=
# docker.io/library/python:3.11-slim-bookworm (the Dockerfile's default).
BASE_IMAGE ?= $(LOCAL_BASE_IMAGE)
IMAGE_TARGETS ?= runtime smoke $(if $(wildcard loadtest/locustfile.py),loadtest)
# PyPI may sit behind a TLS-intercepting proxy whose CA only the host trusts: lend the build
# steps the host bundle (a build-time mount, never part of an image).
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
IMAGE_BUILD_FLAGS = --format docker --network host --build-arg BASE_IMAGE=$(BASE_IMAGE) \
	$(if $(wildcard $(CA_BUNDLE)),-v $(CA_BUNDLE):/etc/ssl/certs/ca-certificates.crt:ro)

image-base: ## make the local base image (debootstrap bookworm + python3) unless it exists
	@if [ "$(BASE_IMAGE)" = "$(LOCAL_BASE_IMAGE)" ]; then scripts/local-base-image.sh $(LOCAL_BASE_IMAGE); fi

image: image-base ## build the images: $(IMAGE_REPO)[-smoke|-loadtest]:$(IMAGE_TAG)
	@for target in $(IMAGE_TARGETS); do \
	  name=$(IMAGE_REPO)$$([ $$target = runtime ] || echo -$$target):$(IMAGE_TAG); \
	  echo "building $$name (target $$target)"; \
	  $(CONTAINER_ENGINE) build $(IMAGE_BUILD_FLAGS) --target $$target -t $$name . || exit 1; \
	done
	@$(CONTAINER_ENGINE) images --filter reference='$(IMAGE_REPO)*:$(IMAGE_TAG)'

image-test: ## run the built images: read-only, non-root, --help, migrate up, /readyz, smoke
	scripts/image-test.sh $(IMAGE_REPO) $(IMAGE_TAG)
