"""scripts/deploy.sh for real (not --dry-run) against a fake kubectl that records its calls and
answers as a cluster would: the order of the steps, the stop on a failed migration, and the
rollback on a failed smoke suite."""

import os
import subprocess
import sys
from pathlib import Path

from tests.k8s.conftest import ROOT

FAKE_KUBECTL = r"""#!/usr/bin/env bash
# kustomize is real; every call to the cluster is logged and answered from $FAKE_FAIL_JOB.
[[ $1 == kustomize ]] && exec "$REAL_KUBECTL" "$@"
echo "$*" >>"$FAKE_LOG"
case "$*" in
    *" get job/"*) [[ "$*" == *"job/$FAKE_FAIL_JOB "* ]] && echo "Failed " || echo "Complete " ;;
    *"migrate current"*) echo "0002 (head)" ;;
    *" logs "*) echo "(job log)" ;;
esac
exit 0
"""


def deploy(tmp_path: Path, fail_job: str = "") -> tuple[int, list[str], str]:
    fake = tmp_path / "kubectl"
    fake.write_text(FAKE_KUBECTL)
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    env = {
        **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}},
        "KUBECTL": str(fake),
        "REAL_KUBECTL": str(Path(sys.executable).parent / "kubectl"),
        "FAKE_LOG": str(log),
        "FAKE_FAIL_JOB": fail_job,
        "JOB_TIMEOUT": "10",
    }
    result = subprocess.run(
        [str(ROOT / "scripts" / "deploy.sh"), "2.0.0", "prod"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result.returncode, calls, result.stderr


def index(calls: list[str], fragment: str) -> int:
    return next(i for i, call in enumerate(calls) if fragment in call)


def test_a_good_release_runs_every_step_in_order(tmp_path: Path) -> None:
    code, calls, _ = deploy(tmp_path)
    assert code == 0
    order = [
        "infra.yaml",
        "migrate-up.yaml",
        "/app.yaml",
        "rollout status deploy/assetwatch ",
        "rollout status deploy/assetwatch-worker ",
        "smoke.yaml",
    ]
    positions = [index(calls, step) for step in order]
    assert positions == sorted(positions)
    assert not any("rollout undo" in call for call in calls)


def test_a_failed_migration_leaves_the_deployment_untouched(tmp_path: Path) -> None:
    code, calls, err = deploy(tmp_path, fail_job="assetwatch-migrate-up")
    assert code == 1
    assert "the Deployment is untouched" in err
    assert not any("/app.yaml" in call or "smoke.yaml" in call for call in calls)


def test_a_failed_smoke_suite_rolls_back_and_says_how_to_migrate_down(tmp_path: Path) -> None:
    code, calls, err = deploy(tmp_path, fail_job="assetwatch-smoke")
    assert code == 1
    assert index(calls, "smoke.yaml") < index(calls, "rollout undo deploy/assetwatch")
    # the worker goes back too: on the new image it would run on a schema migrated down under it
    assert index(calls, "smoke.yaml") < index(calls, "rollout undo deploy/assetwatch-worker")
    assert "scripts/deploy.sh --migrate-down 0002 2.0.0 prod" in err
