#!/usr/bin/env bash
# Run the images `make image` built, the way the cluster runs them: read-only root filesystem,
# the image's non-root user, no capabilities. The API talks to the embedded PostgreSQL inside
# the container (its data on a tmpfs at /app/.data), since DATABASE_URL is unset.
#   1 runtime: `assetwatch --help`; runs as uid 10001; `migrate up` on an empty database
#   2 runtime: its default command (`serve` on 0.0.0.0:8000 inside the container, published on
#     127.0.0.1 only); /healthz and /readyz answer 200; the image's HEALTHCHECK passes;
#     `migrate check` in the running container
#   3 smoke: `assetwatch smoke` against that server with a writer key made by the CLI
#   4 loadtest (when built): a short headless Locust run of loadtest/locustfile.py against that
#     server, as the in-cluster Job runs it (sh -c, CSV in /tmp), then loadtest/slo_check.py:
#     no failed request and some requests made (p99 is gated loosely: this is not the cluster)
# usage: scripts/image-test.sh IMAGE_REPO TAG      (e.g. localhost/assetwatch 1a2b3c4)
# env:   CONTAINER_ENGINE (podman), CONTAINERS_CONF (default scripts/podman/containers.conf),
#        LOADTEST_SECONDS (10)
set -euo pipefail

# Without it, plain podman here fails every `run` (crun, and ulimits the sandbox refuses).
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$(dirname "$0")" && pwd)/podman/containers.conf}

repo=${1:?usage: image-test.sh IMAGE_REPO TAG}
tag=${2:?usage: image-test.sh IMAGE_REPO TAG}
engine=${CONTAINER_ENGINE:-podman}
runtime=$repo:$tag
name=assetwatch-image-test-$$
# Containers as the cluster runs them (the pod securityContext of k8s/base/deployment.yaml).
hardened=(--no-healthcheck --read-only --cap-drop=ALL --security-opt=no-new-privileges
    --tmpfs "/app/.data:rw,size=512m,mode=1777" --tmpfs "/tmp:rw,size=64m,mode=1777")

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
cleanup() { "$engine" rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

"$engine" image exists "$runtime" || fail "$runtime not built (make image IMAGE_TAG=$tag)"
started=$SECONDS

say "1 $runtime: --help, user, migrate up on an empty database"
"$engine" run --rm --network none "${hardened[@]}" "$runtime" --help >/dev/null || fail "assetwatch --help"
user=$("$engine" image inspect --format '{{.Config.User}}' "$runtime")
[[ $user == 10001:10001 ]] || fail "image user is '$user', expected 10001:10001"
uid=$("$engine" run --rm --network none "${hardened[@]}" --entrypoint id "$runtime" -u)
[[ $uid == 10001 ]] || fail "runs as uid $uid"
"$engine" run --rm --network none "${hardened[@]}" "$runtime" migrate up || fail "migrate up"

say "2 $runtime: serve, /healthz, /readyz, HEALTHCHECK, migrate check"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
# podman has no systemd here to schedule HEALTHCHECK timers (it logs errors about it); the check
# is run once by hand below.
"$engine" run -d --name "$name" -p "127.0.0.1:$port:8000" "${hardened[@]:1}" --health-interval disable \
    "$runtime" >/dev/null
get() {  # status code of GET $1, 000 when nothing answers
    python3 - "$1" <<'EOF'
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except urllib.error.HTTPError as error:
    print(error.code)
except OSError:
    print("000")
EOF
}
status=000
for _ in $(seq 60); do
    status=$(get "$base/readyz")
    [[ $status == 200 ]] && break
    [[ $("$engine" inspect --format '{{.State.Running}}' "$name") == true ]] || break
    sleep 1
done
[[ $status == 200 ]] || { "$engine" logs "$name" >&2 || true; fail "/readyz answered $status"; }
[[ $(get "$base/healthz") == 200 ]] || fail "/healthz"
say "/healthz and /readyz: 200"
"$engine" healthcheck run "$name" || fail "the image's HEALTHCHECK"
"$engine" exec "$name" assetwatch migrate check || fail "migrate check in the running container"

say "3 $repo-smoke:$tag against $base"
smoke=$repo-smoke:$tag
if ! "$engine" image exists "$smoke"; then
    fail "$smoke not built"
elif ! "$engine" run --rm --network none "${hardened[@]}" "$smoke" smoke --help >/dev/null 2>&1; then
    say "SKIPPED: the smoke image has no \`assetwatch smoke\` command yet (issue 5)"
else
    "$engine" exec "$name" assetwatch orgs create --slug smoke --name "Smoke tests" >/dev/null
    key=$("$engine" exec "$name" assetwatch keys create --org smoke --role writer --name image-test)
    "$engine" run --rm --network host "${hardened[@]}" -e SMOKE_API_KEY="$key" "$smoke" \
        smoke --base-url "$base" || fail "the smoke suite"
fi

loadtest=$repo-loadtest:$tag
if "$engine" image exists "$loadtest"; then
    say "4 $loadtest: locust --version, then ${LOADTEST_SECONDS:-10}s headless against $base"
    "$engine" run --rm --network none "${hardened[@]}" "$loadtest" --version || fail "locust --version"
    "$engine" exec "$name" assetwatch orgs create --slug loadtest --name "Load test" >/dev/null
    admin=$("$engine" exec "$name" assetwatch keys create --org loadtest --role admin --name image-test)
    # Locust's own log and summary go to a file, shown only when the gate fails.
    # shellcheck disable=SC2016  # expanded by the container's sh, like the Job's args
    "$engine" run --rm --network host "${hardened[@]}" -e AW_ADMIN_KEY="$admin" \
        -e TARGET_URL="$base" -e DURATION="${LOADTEST_SECONDS:-10}s" --entrypoint /bin/sh "$loadtest" -c '
        mkdir -p /tmp/reports
        locust -f /app/loadtest/locustfile.py --headless --host "$TARGET_URL" --users 5 \
            --spawn-rate 5 --run-time "$DURATION" --csv /tmp/reports/run --only-summary \
            --stop-timeout 5 --exit-code-on-error 0 >/tmp/reports/locust.log 2>&1
        python /app/loadtest/slo_check.py /tmp/reports/run --p99-ms 2000 \
            || { cat /tmp/reports/locust.log >&2; exit 1; }' || fail "the load test"
else
    say "4 SKIPPED: $loadtest not built (no loadtest/locustfile.py yet)"
fi
say "image-test passed in $((SECONDS - started))s"
