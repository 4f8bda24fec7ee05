# syntax=docker/dockerfile:1
# assetwatch images, one Dockerfile, three targets:
#   runtime  (default) the API (`assetwatch serve`) and the migrate Jobs/init container
#   smoke    runtime + the `smoke` dependency group (pytest, its plugins, httpx) and tests/smoke:
#            the post-deploy smoke Job
#   loadtest runtime + the `loadtest` dependency group (Locust) and loadtest/: the in-cluster
#            load test and its SLO gate
# Neither ships the `dev` group (linters, type checker, kubectl, schemathesis, py-spy…).
# Build: make image (podman/buildah), or e.g. `docker build --target runtime -t assetwatch:TAG .`
#
# BASE_IMAGE only needs a python3 (3.11) with venv and CA certificates. Where no registry is
# reachable, scripts/local-base-image.sh makes one with debootstrap and `make image` passes it.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm
# checkov:skip=CKV_DOCKER_7: the base is a build argument (checkov cannot resolve it); its default
# carries an explicit version tag, and the local base image is tagged 3.11-bookworm, never latest.

# ---------------------------------------------------------------------------------------------
# builder: resolves nothing, installs exactly uv.lock into /app/.venv (no dev dependencies).
FROM ${BASE_IMAGE} AS builder
ARG UV_VERSION=0.13.9
# Build-stage only (never shipped): the CA bundle path is where a build may mount the host's
# bundle (podman build -v …:ro) when PyPI is reached through a TLS-intercepting proxy.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_NO_CACHE=1 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /app
# Dependencies first (a layer that changes only with the lock), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY alembic ./alembic
COPY src ./src
# Editable install: migrations.py finds alembic.ini from src/ (ALEMBIC_CONFIG set below too).
RUN /opt/uv/bin/uv sync --frozen --no-dev \
    && /app/.venv/bin/python -m compileall -q src alembic

# builder-smoke / builder-loadtest: the same venv plus one dependency group each (pyproject.toml),
# for the smoke and loadtest targets only. `uv sync` is exact: nothing of another group stays.
FROM builder AS builder-smoke
RUN /opt/uv/bin/uv sync --frozen --no-dev --group smoke

FROM builder AS builder-loadtest
RUN /opt/uv/bin/uv sync --frozen --no-dev --group loadtest

# ---------------------------------------------------------------------------------------------
# app-base: what every shipped target shares. Code is owned by root and read-only to the app user.
FROM ${BASE_IMAGE} AS app-base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ALEMBIC_CONFIG=/app/alembic.ini \
    DATA_DIR=/app/.data \
    HOME=/tmp
RUN groupadd --system --gid 10001 assetwatch \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin assetwatch
WORKDIR /app
COPY --from=builder /app/alembic.ini ./
COPY --from=builder /app/alembic ./alembic
EXPOSE 8000

# ---------------------------------------------------------------------------------------------
FROM app-base AS smoke
COPY --from=builder-smoke /app/.venv ./.venv
COPY --from=builder /app/src ./src
COPY pyproject.toml ./
COPY tests/__init__.py tests/conftest.py ./tests/
COPY tests/smoke ./tests/smoke
# The root filesystem is read-only in the cluster: no pytest cache.
ENV PYTEST_ADDOPTS="-p no:cacheprovider"
USER 10001:10001
ENTRYPOINT ["assetwatch"]
CMD ["smoke", "--help"]

# ---------------------------------------------------------------------------------------------
FROM app-base AS loadtest
COPY --from=builder-loadtest /app/.venv ./.venv
COPY --from=builder /app/src ./src
COPY loadtest ./loadtest
USER 10001:10001
EXPOSE 5557 8089
ENTRYPOINT ["locust"]
CMD ["--help"]

# ---------------------------------------------------------------------------------------------
# runtime: last, so a plain `docker build .` gives the API image.
FROM app-base AS runtime
COPY --from=builder /app/.venv ./.venv
COPY --from=builder /app/src ./src
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["assetwatch"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
