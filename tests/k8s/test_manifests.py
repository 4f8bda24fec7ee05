"""Policy facts about every rendered overlay, read from the YAML that would be applied."""

import re
import subprocess
import sys
from pathlib import Path

import click
import typer.main

from assetwatch.api.app import create_app
from assetwatch.cli import app as cli_app
from tests.k8s.conftest import (
    PROJECT_IMAGES,
    ROOT,
    STAGES,
    THIRD_PARTY_IMAGES,
    containers,
    find,
    find_prefix,
    labels_match,
    pod_spec,
    render,
    rendered,
)

TAG = re.compile(r"^(?P<name>[^@]+):(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$")


def test_every_overlay_renders_and_bases_render_alone() -> None:
    for path in ["base", "jobs", "loadtest"]:
        assert render(ROOT / "k8s" / path)


def test_every_object_has_a_deploy_stage_and_no_secret_is_committed(overlay: str) -> None:
    for obj in rendered(overlay):
        stage = obj["metadata"].get("labels", {}).get("assetwatch/stage")
        assert stage in STAGES, f"{obj['kind']}/{obj['metadata']['name']}: stage {stage!r}"
        assert obj["kind"] != "Secret", "Secrets are made at deploy time, never committed"


def test_selectors_match_pod_labels(overlay: str) -> None:
    objects = rendered(overlay)
    workloads = [o for o in objects if o["kind"] in {"Deployment", "StatefulSet"}]
    for workload in workloads:
        selector = workload["spec"]["selector"]["matchLabels"]
        assert labels_match(selector, workload["spec"]["template"]["metadata"]["labels"])
    pod_labels = [o["spec"]["template"]["metadata"]["labels"] for o in workloads]
    for service in (o for o in objects if o["kind"] == "Service"):
        selector = service["spec"]["selector"]
        assert any(labels_match(selector, labels) for labels in pod_labels), service
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            assert any(
                target in {p.get("name"), p["containerPort"]}
                for o in workloads
                if labels_match(selector, o["spec"]["template"]["metadata"]["labels"])
                for c in o["spec"]["template"]["spec"]["containers"]
                for p in c.get("ports", [])
            ), f"Service {service['metadata']['name']}: no container port {target}"
    for pdb in (o for o in objects if o["kind"] == "PodDisruptionBudget"):
        assert any(labels_match(pdb["spec"]["selector"]["matchLabels"], lb) for lb in pod_labels)
    for hpa in (o for o in objects if o["kind"] == "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        find(objects, target["kind"], target["name"])


def test_jobs_never_restart_and_clean_up(overlay: str) -> None:
    jobs = [o for o in rendered(overlay) if o["kind"] == "Job"]
    assert {j["metadata"]["name"] for j in jobs} >= {
        "assetwatch-migrate-up",
        "assetwatch-migrate-down",
        "assetwatch-smoke",
        "assetwatch-loadtest",
    }
    for job in jobs:
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
        assert job["spec"]["backoffLimit"] <= 1
        assert job["spec"]["ttlSecondsAfterFinished"] > 0
        assert job["spec"]["activeDeadlineSeconds"] > 0


def test_images_are_the_project_images_with_an_explicit_tag(overlay: str) -> None:
    allowed = THIRD_PARTY_IMAGES.get(overlay, set())
    for obj in rendered(overlay):
        if (spec := pod_spec(obj)) is None:
            continue
        for container in containers(spec):
            match = TAG.match(container["image"])
            assert match, f"{container['image']}: no explicit tag"
            assert match["tag"] != "latest", container["image"]
            name = match["name"]
            assert name.rsplit("/", 1)[-1] in PROJECT_IMAGES or name in allowed, name
            assert container["imagePullPolicy"] == "IfNotPresent"


def test_pods_are_locked_down_and_sized(overlay: str) -> None:
    for obj in rendered(overlay):
        if (spec := pod_spec(obj)) is None:
            continue
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", where
        assert spec["automountServiceAccountToken"] is False, where
        for container in containers(spec):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) >= {"cpu", "memory"}, where


def test_api_deployment_rolls_safely(overlay: str) -> None:
    objects = rendered(overlay)
    deployment = find(objects, "Deployment", "assetwatch")
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spec = deployment["spec"]["template"]["spec"]
    (init,) = spec["initContainers"]
    assert init["args"][:2] == ["migrate", "wait"]
    (api,) = spec["containers"]
    assert api["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    grace = spec["terminationGracePeriodSeconds"]
    assert int(api["lifecycle"]["preStop"]["exec"]["command"][1]) < grace
    # The PDB must allow an eviction at the smallest size the HPA may choose.
    hpa = find(objects, "HorizontalPodAutoscaler", "assetwatch")
    smallest = min(deployment["spec"]["replicas"], hpa["spec"]["minReplicas"])
    assert (
        hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
    )
    pdb = find(objects, "PodDisruptionBudget", "assetwatch")["spec"]
    if "minAvailable" in pdb:
        assert pdb["minAvailable"] < smallest
    else:
        assert pdb["maxUnavailable"] >= 1


def test_probes_point_at_real_routes_on_the_served_port(overlay: str) -> None:
    routes = set(create_app().openapi()["paths"])
    api = find(rendered(overlay), "Deployment", "assetwatch")["spec"]["template"]["spec"]
    (container,) = api["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    served = int(container["args"][container["args"].index("--port") + 1])
    expected = {
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
        "startupProbe": "/healthz",
    }
    for probe, path in expected.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path
        assert path in routes
        assert ports[get["port"]] == served


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_the_worker_runs_alone_on_the_api_image_after_the_schema(overlay: str) -> None:
    objects = rendered(overlay)
    api = find(objects, "Deployment", "assetwatch")
    worker = find(objects, "Deployment", "assetwatch-worker")
    # One instance works at a time (advisory lock): one replica, and never two during a rollout.
    assert worker["spec"]["replicas"] == 1
    assert worker["spec"]["strategy"] == {"type": "Recreate"}
    assert worker["metadata"]["labels"]["assetwatch/stage"] == "app"
    labels = worker["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "assetwatch"
    assert labels["app.kubernetes.io/component"] == "worker"
    spec, api_spec = worker["spec"]["template"]["spec"], api["spec"]["template"]["spec"]
    (api_container,) = api_spec["containers"]
    (init,) = spec["initContainers"]
    (container,) = spec["containers"]
    # The same image, settings, database Secret and locked-down pod as the API.
    for c in (init, container):
        assert c["image"] == api_container["image"]
        assert c["envFrom"] == api_container["envFrom"]
        assert c["env"] == api_container["env"]
        assert c["securityContext"] == api_container["securityContext"]
    assert spec["securityContext"] == api_spec["securityContext"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["serviceAccountName"] == api_spec["serviceAccountName"]
    assert labels["assetwatch/db-client"] == "true"
    # It starts only once the schema is at this image's head, as the API does.
    assert init["args"] == api_spec["initContainers"][0]["args"]
    assert init["args"][:2] == ["migrate", "wait"]
    # `assetwatch worker` (the entrypoint is `assetwatch`), metrics reachable from outside the pod.
    assert "command" not in container
    assert container["args"][0] == "worker"
    assert "--once" not in container["args"]
    assert _option(container["args"], "--metrics-host") == "0.0.0.0"  # noqa: S104 (in the pod)
    served = int(_option(container["args"], "--metrics-port"))
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert list(ports.values()) == [served]
    # Probes without the API: the metrics endpoint on the port the worker serves.
    for probe in ("livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/metrics"
        assert ports.get(get["port"], get["port"]) == served
    assert 0 < spec["terminationGracePeriodSeconds"] <= 60


def test_nothing_of_the_api_selects_the_worker(overlay: str) -> None:
    objects = rendered(overlay)
    worker = find(objects, "Deployment", "assetwatch-worker")
    labels = worker["spec"]["template"]["metadata"]["labels"]
    api_labels = find(objects, "Deployment", "assetwatch")["spec"]["template"]["metadata"]["labels"]
    assert not labels_match(labels, api_labels)
    for kind in ("Deployment", "StatefulSet"):
        for other in (o for o in objects if o["kind"] == kind and o is not worker):
            assert not labels_match(other["spec"]["selector"]["matchLabels"], labels), other
    for service in (o for o in objects if o["kind"] == "Service"):
        assert not labels_match(service["spec"]["selector"], labels), service["metadata"]["name"]
    for pdb in (o for o in objects if o["kind"] == "PodDisruptionBudget"):
        assert not labels_match(pdb["spec"]["selector"]["matchLabels"], labels), pdb
    for hpa in (o for o in objects if o["kind"] == "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] != "assetwatch-worker", hpa
    # Network: the worker takes in only the metrics port, and reaches PostgreSQL as a db client.
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    metrics = {p["containerPort"] for p in container["ports"]}
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    selecting = [
        p for p in policies if labels_match(p["spec"]["podSelector"].get("matchLabels", {}), labels)
    ]
    ingress = [
        rule
        for p in selecting
        if "Ingress" in p["spec"]["policyTypes"]
        for rule in p["spec"].get("ingress", [])
    ]
    assert all(rule.get("ports") for rule in ingress), "an ingress rule open on every port"
    ingress_ports = {port["port"] for rule in ingress for port in rule["ports"]}
    assert ingress_ports == metrics
    assert any(
        port["port"] == 5432
        for p in selecting
        if "Egress" in p["spec"]["policyTypes"]
        for rule in p["spec"].get("egress", [])
        for port in rule.get("ports", [])
    )


def _parse(args: list[str]) -> None:
    """Parse ARGS as `assetwatch ARGS` would, down to the leaf command; raise on a bad call."""
    command: click.Command = typer.main.get_command(cli_app)
    ctx = command.make_context("assetwatch", list(args))
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None, f"no command {name}"
        command, ctx = sub, sub.make_context(name or "", rest, parent=ctx)


def _expand(args: list[str], container: dict[str, object], overlay: str) -> list[str]:
    """Kubernetes' $(VAR) expansion from the container's env (literals and ConfigMap keys)."""
    values: dict[str, str] = {}
    for env in container.get("env", []):  # type: ignore[attr-defined]
        if "value" in env:
            values[env["name"]] = env["value"]
        elif ref := env.get("valueFrom", {}).get("configMapKeyRef"):
            values[env["name"]] = find(rendered(overlay), "ConfigMap", ref["name"])["data"][
                ref["key"]
            ]
    return [re.sub(r"\$\((\w+)\)", lambda m: values[m[1]], a) for a in args]


def test_every_assetwatch_command_is_a_real_cli_invocation(overlay: str) -> None:
    seen = set()
    for obj in rendered(overlay):
        if (spec := pod_spec(obj)) is None:
            continue
        for container in containers(spec):
            name = TAG.match(container["image"])["name"].rsplit("/", 1)[-1]  # type: ignore[index]
            if name not in {"assetwatch", "assetwatch-smoke"}:
                continue
            assert "command" not in container, "the image's entrypoint is `assetwatch`"
            args = _expand(container["args"], container, overlay)
            _parse(args)
            seen.add(tuple(args[:2]))
    assert {
        ("migrate", "up"),
        ("migrate", "down"),
        ("migrate", "wait"),
        ("serve", "--host"),
        ("worker", "--metrics-host"),
    } <= seen
    assert any(call[0] == "smoke" for call in seen)


def test_the_migrate_down_target_comes_from_its_configmap(overlay: str) -> None:
    objects = rendered(overlay)
    job = find(objects, "Job", "assetwatch-migrate-down")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["migrate", "down", "$(MIGRATE_DOWN_REVISION)"]
    assert find(objects, "ConfigMap", "assetwatch-migrate-down")["data"]["revision"]
    config = find_prefix(objects, "ConfigMap", "assetwatch-config")
    for workload in (o for o in objects if (s := pod_spec(o)) and "assetwatch" in str(s)):
        for ref in re.findall(r"assetwatch-config[-\w]*", str(workload)):
            assert ref == config["metadata"]["name"], "a config reference missed the hash suffix"


def test_loadtest_commands_use_real_locust_options_and_files(overlay: str) -> None:
    help_text = subprocess.run(
        [str(Path(sys.executable).parent / "locust"), "--help"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for obj in rendered(overlay):
        if (spec := pod_spec(obj)) is None or "loadtest" not in spec["containers"][0]["image"]:
            continue
        words = [w.rstrip(";") for w in " ".join(spec["containers"][0]["args"]).split()]
        for option in (w for w in words if w.startswith("--")):
            assert re.search(rf"(^|[\s,]){re.escape(option)}[\s=,]", help_text), option
        for path in (w for w in words if w.startswith("/app/loadtest/")):
            assert (ROOT / Path(path).relative_to("/app")).is_file(), path


def test_deploy_dry_run_plans_stages_in_order(overlay: str) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "deploy.sh"), "--dry-run", "1.2.3", overlay],
        check=True,
        capture_output=True,
        text=True,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},  # kubectl from the venv
    )
    plan = "\n".join(line for line in result.stderr.splitlines() if "$ kubectl" in line)
    steps = [
        "apply -f .*/infra.yaml",
        "migrate-up.yaml",
        "wait --for=condition=complete job/assetwatch-migrate-up",
        "/app.yaml",
        "rollout status deploy/assetwatch ",
        "rollout status deploy/assetwatch-worker ",
        "smoke.yaml",
        "complete job/assetwatch-smoke",
    ]
    positions = [re.search(step, plan).start() for step in steps]  # type: ignore[union-attr]
    assert positions == sorted(positions), plan
    assert ":1.2.3" in result.stderr
    assert ":latest" not in result.stderr
