"""What each overlay exposes through its Ingress, decided as Kubernetes matches paths: every route
of the API except the operational ones, which Prometheus scrapes inside the cluster instead."""

import re
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.routing import Mount

from assetwatch.api.app import create_app
from tests.k8s.conftest import Manifest, find, labels_match, rendered

# Served without a key, for the cluster's eyes only.
INTERNAL = {"/metrics"}
SCRAPE = "prometheus.io/"


@dataclass(frozen=True)
class IngressPath:
    path: str
    path_type: str

    def matches(self, request_path: str) -> bool:
        """networking.k8s.io/v1: Exact compares whole paths; Prefix compares `/`-separated
        elements, so `/v1` takes `/v1` and `/v1/assets` but not `/v1x`."""
        if self.path_type == "Exact":
            return request_path == self.path
        wanted = [e for e in self.path.split("/") if e]
        return [e for e in request_path.split("/") if e][: len(wanted)] == wanted


def _api_paths(objects: list[Manifest]) -> list[IngressPath]:
    """Every Ingress path whose backend is a Service of the API pods."""
    api = find(objects, "Deployment", "assetwatch")["spec"]["template"]["metadata"]["labels"]
    services = {
        o["metadata"]["name"]
        for o in objects
        if o["kind"] == "Service" and labels_match(o["spec"]["selector"], api)
    }
    found = []
    for ingress in (o for o in objects if o["kind"] == "Ingress"):
        default = ingress["spec"].get("defaultBackend", {}).get("service", {}).get("name")
        assert default not in services, "a default backend would route every path to the API"
        for rule in ingress["spec"].get("rules", []):
            for entry in rule.get("http", {}).get("paths", []):
                if entry["backend"]["service"]["name"] in services:
                    # ImplementationSpecific is up to the controller: nothing could be proven.
                    assert entry["pathType"] in {"Exact", "Prefix"}, entry
                    found.append(IngressPath(entry["path"], entry["pathType"]))
    return found


def _request_paths(app: FastAPI) -> set[str]:
    """A request path (parameters filled in) for every route the app serves: the paths of its
    OpenAPI document, and what its own router holds beside them (documentation, mounts)."""
    templates = set(app.openapi()["paths"])
    paths = set()
    for route in app.routes:
        if isinstance(route, Mount):
            paths.add(route.path.rstrip("/") + "/index.html")
        elif (template := getattr(route, "path", None)) is not None:
            templates.add(template)
    return paths | {re.sub(r"\{[^}]*\}", "1", template) for template in templates}


def test_the_ingress_routes_every_public_route_and_no_internal_one(overlay: str) -> None:
    paths = _api_paths(rendered(overlay))
    assert paths, "the Ingress routes nothing to the API"
    requests = _request_paths(create_app())
    assert requests >= INTERNAL, "an internal route the app no longer serves"
    for request in sorted(requests):
        routed = any(p.matches(request) for p in paths)
        if request in INTERNAL:
            assert not routed, f"{request} is reachable through the Ingress"
        else:
            assert routed, f"{request} is served by the API but not routed by the Ingress"
    for spelling in ("/metrics/", "/metrics/x"):  # whatever the app does with them
        assert not any(p.matches(spelling) for p in paths), spelling


def _served_metrics_port(container: Manifest) -> int:
    """The port on which the container's `assetwatch` command serves /metrics."""
    args = container["args"]
    option = "--metrics-port" if args[0] == "worker" else "--port"
    return int(args[args.index(option) + 1])


def test_prometheus_scrapes_every_metrics_endpoint_inside_the_cluster(overlay: str) -> None:
    objects = rendered(overlay)
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    for name in ("assetwatch", "assetwatch-worker"):
        template = find(objects, "Deployment", name)["spec"]["template"]
        (container,) = template["spec"]["containers"]
        port = _served_metrics_port(container)
        annotations = template["metadata"].get("annotations", {})
        assert annotations.get(SCRAPE + "scrape") == "true", name
        assert annotations.get(SCRAPE + "path") == "/metrics", name
        assert int(annotations[SCRAPE + "port"]) == port, name
        assert port in {p["containerPort"] for p in container["ports"]}, name
        # Some policy selecting the pod admits the scrape on that port.
        labels = template["metadata"]["labels"]
        assert any(
            any(p["port"] == port for p in rule.get("ports", []))
            for policy in policies
            if "Ingress" in policy["spec"]["policyTypes"]
            and labels_match(policy["spec"]["podSelector"].get("matchLabels", {}), labels)
            for rule in policy["spec"].get("ingress", [])
        ), f"{name}: no NetworkPolicy admits the scrape on {port}"
