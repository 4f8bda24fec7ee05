#!/usr/bin/env bash
# Ordered rollout of assetwatch to Kubernetes, and the two other operations around it.
#
#   scripts/deploy.sh [--dry-run] IMAGE_TAG OVERLAY
#       1 render the overlay (kubectl kustomize) with every project image at IMAGE_TAG
#       2 apply the `infra` stage (namespace, service account, config, network policies, and in dev
#         the PostgreSQL StatefulSet); make the Secrets that do not exist yet (never printed)
#       3 run the migrate-up Job and wait for it; on failure stop: the Deployment is untouched
#       4 apply the `app` stage (API and worker Deployments, Service, Ingress, HPA, PDB);
#         `kubectl rollout status` of both
#       5 run the smoke Job; on failure (or a failed rollout) `kubectl rollout undo` of both
#         Deployments and print the migrate-down command that takes the schema back to what the
#         previous image expects
#   scripts/deploy.sh [--dry-run] --migrate-down REVISION IMAGE_TAG OVERLAY
#       run the migrate-down Job to REVISION with IMAGE_TAG, which must be the NEW image (the one
#       whose revisions are undone: only it holds their downgrade steps)
#   scripts/deploy.sh [--dry-run] --loadtest IMAGE_TAG OVERLAY
#       run the bounded headless Locust Job and exit with its SLO gate's code
#
# --dry-run prints the plan and the manifests of every stage, and needs no cluster.
# OVERLAY: dev, prod, or a path to a kustomization directory.
# Environment: KUBECTL (default kubectl, else the project's .venv/bin/kubectl), DATABASE_URL (when
# set, creates or updates the Secret assetwatch-db; required for an overlay without an in-cluster
# database the first time), ROLLOUT_TIMEOUT (default 600s), JOB_TIMEOUT (default 900 seconds).
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=rollout
dry_run=0
down_revision=""
while (($#)); do
    case $1 in
        --dry-run) dry_run=1 ;;
        --migrate-down) mode=migrate-down; down_revision=${2:?--migrate-down needs a REVISION}; shift ;;
        --loadtest) mode=loadtest ;;
        -h | --help) usage ;;
        --) shift; break ;;
        -*) echo "error: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
    shift
done
(($# == 2)) || usage
tag=$1
overlay=$2
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || { echo "error: invalid image tag '$tag'" >&2; exit 2; }
[[ $tag != latest ]] || { echo "error: refusing the tag 'latest': deploy an explicit version" >&2; exit 2; }
[[ -d $overlay ]] || overlay=$root/k8s/overlays/$overlay
[[ -f $overlay/kustomization.yaml ]] || { echo "error: no kustomization in $overlay" >&2; exit 2; }
overlay=$(cd "$overlay" && pwd)

KUBECTL=${KUBECTL:-kubectl}
if ! command -v "$KUBECTL" >/dev/null && [[ -x $root/.venv/bin/kubectl ]]; then
    KUBECTL=$root/.venv/bin/kubectl
fi
command -v "$KUBECTL" >/dev/null || { echo "error: kubectl not found (make install provides one)" >&2; exit 1; }
rollout_timeout=${ROLLOUT_TIMEOUT:-600s}
job_timeout=${JOB_TIMEOUT:-900}
namespace=assetwatch

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
umask 077

say() { printf '==> %s\n' "$*" >&2; }
# kubectl against the cluster: printed in a dry run, run otherwise.
k() {
    if ((dry_run)); then
        printf '    $ kubectl -n %s %s\n' "$namespace" "$*" >&2
    else
        "$KUBECTL" -n "$namespace" "$@"
    fi
}

# --- 1. render ------------------------------------------------------------------------------
# A throw-away kustomization on top of the overlay sets the tag (and the migrate-down target):
# nothing in the repository is edited.
render() {
    local base rel name
    base=$("$KUBECTL" kustomize "$overlay")
    rel=$(realpath --relative-to="$work" "$overlay")
    {
        printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n'
        printf 'resources:\n  - %s\nimages:\n' "$rel"
        # The project's images, as the overlay names them (registry/…/assetwatch[-smoke|-loadtest]).
        sed -n 's/^ *image: \(\([^ ]*\/\)\{0,1\}assetwatch\(-smoke\|-loadtest\)\{0,1\}\):[^:/]*$/\1/p' \
            <<<"$base" | sort -u | while read -r name; do
            printf '  - name: %s\n    newTag: "%s"\n' "$name" "$tag"
        done
        if [[ -n $down_revision ]]; then
            printf 'patches:\n  - target: {kind: ConfigMap, name: assetwatch-migrate-down}\n'
            printf '    patch: |-\n      - op: replace\n        path: /data/revision\n'
            printf '        value: "%s"\n' "$down_revision"
        fi
    } >"$work/kustomization.yaml"
    "$KUBECTL" kustomize "$work" >"$work/all.yaml"
    namespace=$(sed -n '/^kind: Namespace$/,/^---$/s/^  name: \(.*\)$/\1/p' "$work/all.yaml" | head -n 1)
    namespace=${namespace:-assetwatch}
    # One file per stage, selected by the same label `kubectl apply -l` would use.
    local stage
    for stage in infra migrate-up app smoke migrate-down loadtest loadtest-run; do
        awk -v want="    assetwatch/stage: $stage" '
            function flush() { if (doc != "" && keep) printf "---\n%s", doc; doc = ""; keep = 0 }
            /^---$/ { flush(); next }
            { doc = doc $0 "\n"; if ($0 == want) keep = 1 }
            END { flush() }' "$work/all.yaml" >"$work/$stage.yaml"
    done
    local total staged
    total=$(grep -c '^kind: ' "$work/all.yaml")
    staged=$(cat "$work"/{infra,migrate-up,app,smoke,migrate-down,loadtest,loadtest-run}.yaml | grep -c '^kind: ')
    ((total == staged)) || { echo "error: $((total - staged)) rendered objects carry no known assetwatch/stage label" >&2; exit 1; }
}

show_stage() {  # dry run: the manifests a step applies
    ((dry_run)) || return 0
    printf '    --- manifests of stage %s (%s objects) ---\n' "$1" "$(grep -c '^kind: ' "$work/$1.yaml")" >&2
    sed 's/^/    | /' "$work/$1.yaml" >&2
}

apply_stage() {
    show_stage "$1"
    k apply -f "$work/$1.yaml"
}

# Wait until a Job completes (0) or fails (1); print its logs either way.
wait_job() {
    local job=$1 deadline=$((SECONDS + job_timeout)) state=""
    if ((dry_run)); then
        printf '    $ kubectl -n %s wait --for=condition=complete job/%s (or condition=failed: stop)\n' "$namespace" "$job" >&2
        return 0
    fi
    while ((SECONDS < deadline)); do
        state=$("$KUBECTL" -n "$namespace" get "job/$job" \
            -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')
        case " $state " in
            *" Complete "*) break ;;
            *" Failed "*) break ;;
        esac
        sleep 3
    done
    "$KUBECTL" -n "$namespace" logs "job/$job" --tail=200 >&2 || true
    case " $state " in
        *" Complete "*) say "job/$job complete"; return 0 ;;
        *" Failed "*) say "job/$job FAILED"; return 1 ;;
        *) say "job/$job did not finish within ${job_timeout}s"; return 1 ;;
    esac
}

run_job() {  # delete the previous run (Job specs are immutable), apply the stage, wait
    local stage=$1 job=$2
    k delete "job/$job" --ignore-not-found --wait=true
    apply_stage "$stage"
    wait_job "$job"
}

exists() { ((dry_run)) && return 1; "$KUBECTL" -n "$namespace" get "$@" >/dev/null 2>&1; }

# --- secrets (never committed, never printed) -------------------------------------------------
ensure_db_secret() {
    local in_cluster_db=0
    grep -q '^  name: postgres$' "$work/infra.yaml" && in_cluster_db=1
    if [[ -n ${DATABASE_URL:-} ]]; then
        say "Secret assetwatch-db from \$DATABASE_URL"
        printf 'DATABASE_URL=%s\n' "$DATABASE_URL" >"$work/db.env"
    elif exists secret/assetwatch-db; then
        say "Secret assetwatch-db exists"
        return 0
    elif ((in_cluster_db)); then
        say "Secret assetwatch-db for the in-cluster PostgreSQL, with a random password"
        local password
        password=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
        printf 'POSTGRES_PASSWORD=%s\nDATABASE_URL=postgresql://assetwatch:%s@postgres:5432/assetwatch\n' \
            "$password" "$password" >"$work/db.env"
    elif ((dry_run)); then
        say "(Secret assetwatch-db must exist, or DATABASE_URL be set)"
        return 0
    else
        echo "error: Secret assetwatch-db does not exist: set DATABASE_URL (see k8s/base/secret.example.yaml)" >&2
        exit 1
    fi
    if ((dry_run)); then
        printf '    $ kubectl -n %s create secret generic assetwatch-db --from-env-file=… (value not shown) | kubectl apply -f -\n' "$namespace" >&2
    else
        "$KUBECTL" -n "$namespace" create secret generic assetwatch-db --from-env-file="$work/db.env" \
            --dry-run=client -o yaml | "$KUBECTL" -n "$namespace" apply -f - >/dev/null
    fi
    rm -f "$work/db.env"
}

# The smoke suite needs a writer key: made once through the CLI in a running API pod.
ensure_smoke_secret() {
    if exists secret/assetwatch-smoke; then return 0; fi
    say "Secret assetwatch-smoke: a writer key of organisation 'smoke', made with the CLI"
    if ((dry_run)); then
        k exec deploy/assetwatch -c api -- assetwatch orgs create --slug smoke --name "Smoke tests"
        k exec deploy/assetwatch -c api -- assetwatch keys create --org smoke --role writer --name smoke-job
        printf '    $ kubectl -n %s create secret generic assetwatch-smoke --from-env-file=… (key not shown)\n' "$namespace" >&2
        return 0
    fi
    # The organisation may exist already (a Secret deleted by hand): keys create tells.
    k exec deploy/assetwatch -c api -- assetwatch orgs create --slug smoke --name "Smoke tests" >&2 || true
    local token
    token=$(k exec deploy/assetwatch -c api -- assetwatch keys create --org smoke --role writer --name smoke-job)
    printf 'SMOKE_API_KEY=%s\n' "$token" >"$work/smoke.env"
    k create secret generic assetwatch-smoke --from-env-file="$work/smoke.env" >/dev/null
    rm -f "$work/smoke.env"
}

# The load test's setup step needs an admin key (AW_ADMIN_KEY) of its own organisation.
ensure_loadtest_secret() {
    if exists secret/assetwatch-loadtest; then return 0; fi
    say "Secret assetwatch-loadtest: an admin key of organisation 'loadtest', made with the CLI"
    if ((dry_run)); then
        k exec deploy/assetwatch -c api -- assetwatch orgs create --slug loadtest --name "Load tests"
        k exec deploy/assetwatch -c api -- assetwatch keys create --org loadtest --role admin --name locust
        printf '    $ kubectl -n %s create secret generic assetwatch-loadtest --from-env-file=… (key not shown)\n' "$namespace" >&2
        return 0
    fi
    k exec deploy/assetwatch -c api -- assetwatch orgs create --slug loadtest --name "Load tests" >&2 || true
    local token
    token=$(k exec deploy/assetwatch -c api -- assetwatch keys create --org loadtest --role admin --name locust)
    printf 'AW_ADMIN_KEY=%s\n' "$token" >"$work/loadtest.env"
    k create secret generic assetwatch-loadtest --from-env-file="$work/loadtest.env" >/dev/null
    rm -f "$work/loadtest.env"
}

rollback() {
    say "ROLLING BACK: $1"
    k rollout undo deploy/assetwatch || true
    # The worker too: left on the new image, it would work on a schema migrated down under it.
    k rollout undo deploy/assetwatch-worker || true
    cat >&2 <<EOF
==> The Deployments are back on the previous image. Their pods wait (init container migrate-wait,
    up to 300 s) for the schema that image expects$( [[ -n $previous_revision ]] && printf ' (%s)' "$previous_revision").
    If this release migrated the schema, take it back with the NEW image, which holds the
    downgrade steps:
        scripts/deploy.sh --migrate-down ${previous_revision:-REVISION} $tag $(basename "$overlay")
EOF
    exit 1
}

# --- the three modes ------------------------------------------------------------------------
render
((dry_run)) && say "DRY RUN: nothing is sent to a cluster. Namespace $namespace, tag $tag, overlay $overlay"
say "images: $(grep -ho 'image: .*' "$work/all.yaml" | sort -u | cut -d' ' -f2 | paste -sd ' ')"

case $mode in
    migrate-down)
        say "1/1 migrate-down Job to revision $down_revision with image tag $tag"
        run_job migrate-down assetwatch-migrate-down
        say "schema at $down_revision; the Deployment's pods whose image expects it become ready"
        ;;
    loadtest)
        say "1/1 bounded headless Locust Job and its SLO gate (image tag $tag)"
        ensure_loadtest_secret
        run_job loadtest-run assetwatch-loadtest
        ;;
    rollout)
        say "1/5 infra: namespace, service account, config, network policies, database"
        apply_stage infra
        ensure_db_secret
        if grep -q '^kind: StatefulSet$' "$work/infra.yaml"; then
            k rollout status statefulset/postgres --timeout="$rollout_timeout"
        fi
        previous_revision=""
        if ((dry_run)); then
            say "(when the Deployment exists) the running image's schema, for a rollback:"
            k exec deploy/assetwatch -c api -- assetwatch migrate current
        elif exists deploy/assetwatch; then
            # `migrate current` prints e.g. "0003 (head)": the revision is the first word.
            previous_revision=$(k exec deploy/assetwatch -c api -- assetwatch migrate current 2>/dev/null |
                awk 'NR == 1 { print $1 }' || true)
            say "the running image's schema: ${previous_revision:-unknown}"
        fi
        say "2/5 migrate-up Job (the new image's migrations, before the Deployment changes)"
        run_job migrate-up assetwatch-migrate-up || {
            say "migrate-up failed: stopping here, the Deployment is untouched"
            exit 1
        }
        say "3/5 app: API and worker Deployments, Service, Ingress, HPA, PDB"
        apply_stage app
        k rollout status deploy/assetwatch --timeout="$rollout_timeout" || rollback "rollout did not finish"
        k rollout status deploy/assetwatch-worker --timeout="$rollout_timeout" ||
            rollback "the worker's rollout did not finish"
        say "4/5 smoke Job against the Service"
        ensure_smoke_secret
        run_job smoke assetwatch-smoke || rollback "the smoke suite failed"
        say "5/5 done: $tag is live and passed the smoke suite"
        ;;
esac
