"""assetwatch load test: devices pushing batches, dashboards reading them.

Run headless:    locust -f loadtest/locustfile.py --headless -u 20 -r 5 -t 60s --host URL
Distributed:     locust -f loadtest/locustfile.py --master --expect-workers N ...
                 locust -f loadtest/locustfile.py --worker --master-host MASTER
Needs an admin key in AW_ADMIN_KEY: the run creates (or finds) the assets and signals it uses,
so it works against an empty deployment, and every worker finds the same ones by name.
"""

import os
import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from locust import HttpUser, between, constant_pacing, events, task

# --- the traffic mix: every knob in one place -----------------------------------------------
ASSETS = 4
SIGNALS = ("engine_temp", "fuel_level", "engine_rpm")
DEVICE_WEIGHT, DASHBOARD_WEIGHT = 1, 3
DEVICE_PACING_SECONDS = 1.0  # one batch a second per device
BATCH_POINTS = (100, 1_000)  # points per batch, uniformly in this range
DASHBOARD_WAIT_SECONDS = (0.5, 2.0)
DASHBOARD_TASKS = {"latest": 4, "last_hour": 3, "list_assets": 2, "rollups_7d": 1}
ASSET_PREFIX = "loadtest-asset-"

Fleet = list[tuple[int, list[int]]]  # (asset id, signal ids)
_fleet: Fleet = []
_fleet_lock = threading.Lock()


def _admin_headers() -> dict[str, str]:
    key = os.environ.get("AW_ADMIN_KEY")
    if not key:
        raise RuntimeError("set AW_ADMIN_KEY to an admin key of the target organisation")
    return {"Authorization": f"Bearer {key}"}


def _ensure_asset(host: str, headers: dict[str, str], name: str) -> tuple[int, list[int]]:
    created = requests.post(
        f"{host}/v1/assets", json={"name": name, "kind": "loadtest"}, headers=headers, timeout=10
    )
    if created.status_code == 201:
        asset = created.json()
    else:  # 409: made by an earlier run or another worker
        found = requests.get(f"{host}/v1/assets", params={"q": name}, headers=headers, timeout=10)
        asset = next(a for a in found.json()["items"] if a["name"] == name)
    detail = requests.get(f"{host}/v1/assets/{asset['id']}", headers=headers, timeout=10).json()
    signals = {s["name"]: s["id"] for s in detail["signals"]}
    for signal in SIGNALS:
        if signal not in signals:
            made = requests.post(
                f"{host}/v1/assets/{asset['id']}/signals",
                json={"name": signal},
                headers=headers,
                timeout=10,
            )
            if made.status_code == 201:
                signals[signal] = made.json()["id"]
            else:
                again = requests.get(
                    f"{host}/v1/assets/{asset['id']}", headers=headers, timeout=10
                ).json()
                signals = {s["name"]: s["id"] for s in again["signals"]}
    return asset["id"], [signals[s] for s in SIGNALS]


def fleet(host: str) -> Fleet:
    """The run's assets and signals, created on first use (idempotent, safe on every worker)."""
    with _fleet_lock:
        if not _fleet:
            headers = _admin_headers()
            _fleet.extend(_ensure_asset(host, headers, f"{ASSET_PREFIX}{n}") for n in range(ASSETS))
        return _fleet


@events.test_start.add_listener
def _set_up(environment: Any, **_: Any) -> None:
    if environment.host:
        fleet(environment.host)


class _KeyedUser(HttpUser):
    abstract = True

    def on_start(self) -> None:
        self.client.headers.update(_admin_headers())
        self.fleet = fleet(self.host)


class DeviceUser(_KeyedUser):
    """A gateway pushing its asset's signals in batches, timestamps moving forward."""

    weight = DEVICE_WEIGHT
    wait_time = constant_pacing(DEVICE_PACING_SECONDS)

    def on_start(self) -> None:
        super().on_start()
        self.asset_id, self.signal_ids = random.choice(self.fleet)
        self.cursor = datetime.now(UTC) - timedelta(hours=6, seconds=random.randrange(3600))

    @task
    def push_batch(self) -> None:
        steps = random.randint(*BATCH_POINTS) // len(self.signal_ids)
        now = datetime.now(UTC)
        if self.cursor + timedelta(seconds=steps) > now:
            self.cursor = now - timedelta(seconds=steps)  # caught up with real time
        points = [
            {
                "signal_id": signal_id,
                "ts": (self.cursor + timedelta(seconds=i)).isoformat(),
                "value": round(random.gauss(80, 5), 2),
            }
            for i in range(steps)
            for signal_id in self.signal_ids
        ]
        self.cursor += timedelta(seconds=steps)
        self.client.post("/v1/measurements", json={"points": points}, name="/v1/measurements")


class DashboardUser(_KeyedUser):
    """A person watching a dashboard: latest state, the last hour, a week of hourly rollups."""

    weight = DASHBOARD_WEIGHT
    wait_time = between(*DASHBOARD_WAIT_SECONDS)

    def _signal(self) -> int:
        return random.choice(random.choice(self.fleet)[1])

    @task(DASHBOARD_TASKS["latest"])
    def latest(self) -> None:
        asset_id = random.choice(self.fleet)[0]
        self.client.get(f"/v1/assets/{asset_id}/latest", name="/v1/assets/{asset_id}/latest")

    @task(DASHBOARD_TASKS["last_hour"])
    def last_hour(self) -> None:
        start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        self.client.get(
            f"/v1/signals/{self._signal()}/measurements",
            params={"start": start},
            name="/v1/signals/{signal_id}/measurements",
        )

    @task(DASHBOARD_TASKS["list_assets"])
    def list_assets(self) -> None:
        self.client.get("/v1/assets", name="/v1/assets")

    @task(DASHBOARD_TASKS["rollups_7d"])
    def rollups_7d(self) -> None:
        end = datetime.now(UTC)
        self.client.get(
            f"/v1/signals/{self._signal()}/rollups",
            params={
                "bucket": "1h",
                "start": (end - timedelta(days=7)).isoformat(),
                "end": end.isoformat(),
            },
            name="/v1/signals/{signal_id}/rollups",
        )
