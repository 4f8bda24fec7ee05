"""An API consumer's walk: generate a Python client from the live document with
openapi-python-client, then call every operation through it, typed.

Run in openapi-python-client's own environment (`uv tool run`, see
tests/integration/test_generated_client.py), as a consumer would, not in the project's: it
imports nothing of assetwatch. Exits non-zero with the reason on the first thing that is wrong.
Usage: python generated_client.py BASE_URL ADMIN_KEY WORK_DIR
"""

import datetime as dt
import importlib
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

PACKAGE = "assetwatch_client"


def generate(base_url: str, work: Path) -> None:
    document = work / "openapi.json"
    document.write_bytes(httpx.get(f"{base_url}/openapi.json", timeout=30).content)
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [str(generator), "generate", "--path", str(document), "--output-path",
         str(work / PACKAGE), "--meta", "none", "--overwrite"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    if result.returncode != 0 or "Warning" in output or "Unable to" in output:
        sys.exit(f"generation was not clean:\n{output}")


def expect(response: Any, status: int, parsed_type: str | None = None) -> Any:
    if response.status_code != status:
        sys.exit(f"expected {status}, got {response.status_code}: {response.content[:500]!r}")
    if parsed_type is not None and type(response.parsed).__name__ != parsed_type:
        sys.exit(f"expected a {parsed_type}, got {type(response.parsed).__name__}")
    return response.parsed


def walk(base_url: str, key: str) -> int:
    """Every operation once; returns how many were called."""
    api = importlib.import_module(f"{PACKAGE}.api")
    models = importlib.import_module(f"{PACKAGE}.models")
    client = importlib.import_module(PACKAGE).AuthenticatedClient(base_url=base_url, token=key)
    calls = 0

    def call(group: str, operation: str, status: int, parsed: str | None, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        module = importlib.import_module(f"{api.__name__}.{group}.{operation}")
        return expect(module.sync_detailed(client=client, **kwargs), status, parsed)

    call("health", "healthz", 200, "Health")
    call("health", "readyz", 200, "Readiness")
    call("health", "metrics", 200, None)

    asset = call("assets", "create_asset", 201, "AssetDetail", body=models.AssetCreate(
        name=f"Generated {uuid.uuid4().hex[:8]}", kind="tractor", tags=["generated"]))  # fmt: skip
    call("assets", "get_asset", 200, "AssetDetail", asset_id=asset.id)
    page = call("assets", "list_assets", 200, "PageAssetOut", tag="generated", limit=1)
    assert [a.id for a in page.items] == [asset.id], page
    changed = call("assets", "update_asset", 200, "AssetDetail", asset_id=asset.id,
                   body=models.AssetUpdate(description="made by a generated client"))  # fmt: skip
    assert changed.description == "made by a generated client"

    signal = call("assets", "create_signal", 201, "SignalOut", asset_id=asset.id,
                  body=models.SignalCreate(name="temp", unit="°C"))  # fmt: skip
    call("assets", "list_signals", 200, "PageSignalOut", asset_id=asset.id)
    call("signals", "get_signal", 200, "SignalOut", signal_id=signal.id)
    call("signals", "update_signal", 200, "SignalOut", signal_id=signal.id,
         body=models.SignalUpdate(description="coolant"))  # fmt: skip

    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)
    points = [models.Measurement(signal_id=signal.id, ts=start + dt.timedelta(minutes=i), value=i)
              for i in range(5)]  # fmt: skip
    written = call("telemetry", "write_measurements", 200, "IngestResult",
                   body=models.MeasurementBatch(points=points))  # fmt: skip
    assert written.written == 5
    readings = call("telemetry", "read_measurements", 200, "PageReadingOut",
                    signal_id=signal.id, start=start, limit=2)  # fmt: skip
    assert readings.items[0].ts == start, readings
    assert readings.next_cursor, readings
    following = call("telemetry", "read_measurements", 200, "PageReadingOut",
                     signal_id=signal.id, start=start, cursor=readings.next_cursor)  # fmt: skip
    assert [r.value for r in following.items] == [2.0, 3.0, 4.0]
    rollups = call("telemetry", "signal_rollups", 200, "Rollups", signal_id=signal.id,
                   bucket="1h", start=start - dt.timedelta(hours=1))  # fmt: skip
    assert sum(r.count for r in rollups.items) == 5
    call("telemetry", "asset_rollups", 200, "AssetRollups", asset_id=asset.id, bucket="1m")
    latest = call("telemetry", "latest_of_asset", 200, "Latest", asset_id=asset.id)
    assert latest.signals[0].value == 4.0

    issued = call("api_keys", "create_key", 201, "KeyCreated",
                  body=models.KeyCreate(name="generated", role=models.Role.READER))  # fmt: skip
    call("api_keys", "list_keys", 200, "PageKeyOut")
    revoked = call("api_keys", "revoke_key", 200, "KeyOut", key_id=issued.id)
    assert isinstance(revoked.revoked_at, dt.datetime)

    call("retention", "get_retention", 200, "RetentionOut")
    call("retention", "set_retention", 200, "RetentionOut",
         body=models.RetentionUpdate(days=None))  # fmt: skip

    call("signals", "delete_signal", 204, None, signal_id=signal.id)
    call("assets", "delete_asset", 204, None, asset_id=asset.id)
    gone = call("assets", "get_asset", 404, "Problem", asset_id=asset.id)
    assert gone.type_ == "urn:assetwatch:problem:not-found", gone
    return calls


def main() -> None:
    base_url, key, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    generate(base_url, work)
    sys.path.insert(0, str(work))
    print(f"{walk(base_url, key)} calls through the generated client")


if __name__ == "__main__":
    main()
