"""With several worker processes, /metrics adds up every worker's requests, whichever answers."""

import re

import httpx
from loadtest.live_server import live_server

REQUESTS = 40


def _served(metrics: str) -> float:
    pattern = (
        r"assetwatch_http_request_duration_seconds_count"
        r'\{method="GET",route="/v1/assets",status="200"\} (\S+)'
    )
    match = re.search(pattern, metrics)
    return float(match.group(1)) if match else 0.0


def test_metrics_aggregate_across_workers() -> None:
    with live_server("workers", workers=2) as server:
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        for _ in range(REQUESTS):
            # a new connection each time, so the kernel may hand it to either worker
            with httpx.Client(base_url=server.base_url, headers=headers) as client:
                assert client.get("/v1/assets").status_code == 200
        with httpx.Client(base_url=server.base_url) as client:
            for _ in range(10):
                text = client.get("/metrics").text
                assert _served(text) == REQUESTS  # the same total whichever worker answers
        assert "assetwatch_build_info" in text
        # served from the shared files (MultiProcessCollector), not one worker's own registry,
        # which would also carry `_created` samples and the process collector's series
        assert "_created" not in text
        assert "process_cpu_seconds_total" not in text
