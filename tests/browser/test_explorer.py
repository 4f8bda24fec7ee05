"""The explorer in a real browser, on the demo farm: key, assets, charts, windows, failures."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, expect

from .conftest import DemoServer, Tab

DEMO_ASSETS = 5
DEMO_SIGNALS = {"Tractor 1": 5, "Grain Dryer": 4}


def sign_in(tab: Tab, key: str) -> None:
    tab.page.goto(f"{tab.base_url}/")
    tab.page.get_by_label("API key").fill(key)
    tab.page.get_by_role("button", name="Open").click()


def open_asset(tab: Tab, key: str, name: str) -> Locator:
    """The asset's charts once its first window has been drawn (`tab.requests` then holds
    only the asset page's requests)."""
    sign_in(tab, key)
    expect(tab.page.locator(".assets-view[data-state=ready]")).to_be_visible()
    tab.requests.clear()
    tab.page.get_by_role("link", name=name, exact=True).click()
    charts = tab.page.locator(".charts[data-state=ready]")
    expect(charts).to_have_attribute("data-loads", "1")
    return charts


def test_the_explorer_loads_with_no_error_and_no_request_off_its_origin(
    tab: Tab, server: DemoServer
) -> None:
    response = tab.page.goto(f"{server.base_url}/")
    assert response is not None
    assert urlsplit(tab.page.url).path == "/explorer/"
    expect(tab.page.get_by_label("API key")).to_be_visible()
    tab.page.wait_for_load_state("networkidle")

    assert tab.errors == []
    assert tab.foreign_requests() == []
    assert tab.api_requests("/v1/") == []  # nothing asked before there is a key


def test_a_key_lists_the_demo_assets_with_their_latest_values(
    tab: Tab, server: DemoServer, screenshots: Path
) -> None:
    sign_in(tab, server.admin_key)

    rows = tab.page.locator("table.assets tbody tr[data-asset-id]")
    expect(rows).to_have_count(DEMO_ASSETS)
    expect(rows.first).to_contain_text("Tractor 1")
    readings = tab.page.locator("li.reading[data-value]")
    expect(readings).to_have_count(25)  # every demo signal has a latest value
    assert all(
        re.search(r"\d+ (s|min) ago", age) for age in readings.locator(".age").all_inner_texts()
    )
    assert "key aw_" in tab.page.locator("#session").inner_text()
    assert server.admin_key not in tab.page.content()  # shown by its prefix only
    assert tab.errors == []
    assert tab.foreign_requests() == []
    tab.page.screenshot(path=screenshots / "explorer-assets.png", full_page=True)


def test_the_key_lives_in_session_storage_and_never_in_an_address(
    tab: Tab, server: DemoServer
) -> None:
    sign_in(tab, server.reader_key)
    expect(tab.page.locator("tr[data-asset-id]")).to_have_count(DEMO_ASSETS)

    stored = tab.page.evaluate("() => ({...sessionStorage})")
    assert list(stored.values()) == [server.reader_key]
    assert tab.page.evaluate("() => localStorage.length") == 0
    assert tab.page.context.cookies() == []
    assert not [url for url in tab.requests if server.reader_key in url]


def test_an_asset_page_draws_one_chart_per_signal_from_one_request(
    tab: Tab, server: DemoServer, screenshots: Path
) -> None:
    with tab.page.expect_response(re.compile(r"/v1/assets/\d+/rollups\?")) as answered:
        charts = open_asset(tab, server.admin_key, "Grain Dryer")
    body = answered.value.json()

    sections = charts.locator("section.chart")
    expect(sections).to_have_count(DEMO_SIGNALS["Grain Dryer"])
    drawn = {
        int(s.get_attribute("data-signal-id") or 0): int(s.get_attribute("data-points") or 0)
        for s in sections.all()
    }
    assert drawn == {s["signal_id"]: len(s["items"]) for s in body["signals"]}
    # The last day, every 5 minutes, in 2-minute buckets: about 288 points a chart.
    assert all(280 <= points <= 290 for points in drawn.values()), drawn
    expect(charts.locator("canvas")).to_have_count(len(drawn))
    assert charts.get_attribute("data-bucket") == body["bucket"] == "2m"
    asset_page = [urlsplit(url).path for url in tab.api_requests("/v1/")]
    assert asset_page == [
        f"/v1/assets/{body['asset_id']}",
        f"/v1/assets/{body['asset_id']}/rollups",
    ]
    assert tab.errors == []
    assert tab.foreign_requests() == []
    # For the README: a week, where each 15-minute bucket's min-max band shows.
    tab.page.get_by_role("button", name="Last week").click()
    expect(charts).to_have_attribute("data-loads", "2")
    tab.page.screenshot(path=screenshots / "explorer-asset.png", full_page=True)


@pytest.mark.parametrize(
    ("window", "bucket"), [("Last hour", "5s"), ("Last week", "15m"), ("Last 30 days", "1h")]
)
def test_changing_the_window_changes_the_bucket_asked_for(
    tab: Tab, server: DemoServer, window: str, bucket: str
) -> None:
    charts = open_asset(tab, server.reader_key, "Tractor 1")

    with tab.page.expect_request(re.compile(r"/v1/assets/\d+/rollups\?")) as asked:
        tab.page.get_by_role("button", name=window).click()
    expect(charts).to_have_attribute("data-loads", "2")

    query = parse_qs(urlsplit(asked.value.url).query)
    assert query["bucket"] == [bucket]
    assert charts.get_attribute("data-bucket") == bucket
    points = [
        int(p or 0)
        for p in charts.locator("section.chart").evaluate_all(
            "sections => sections.map(s => s.dataset.points)"
        )
    ]
    assert len(points) == DEMO_SIGNALS["Tractor 1"]
    assert all(0 < p <= 1000 for p in points), points
    assert tab.errors == []


def test_zooming_in_draws_raw_points_and_a_double_click_resets(
    tab: Tab, server: DemoServer
) -> None:
    charts = open_asset(tab, server.admin_key, "Tractor 1")
    plot = charts.locator("section.chart").first.locator(".u-over")
    box = plot.bounding_box()
    assert box is not None

    with tab.page.expect_request(re.compile(r"/v1/signals/\d+/measurements\?")):
        tab.page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
        tab.page.mouse.down()
        tab.page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2, steps=5)
        tab.page.mouse.up()
    expect(charts).to_have_attribute("data-loads", "2")
    sources = charts.locator("section.chart").evaluate_all(
        "sections => sections.map(s => s.dataset.source)"
    )
    assert sources == ["raw"] * DEMO_SIGNALS["Tractor 1"]  # a fifth of a day: ~29 points each
    assert "start=" in tab.page.url

    plot = charts.locator("section.chart").first.locator(".u-over")
    plot.dblclick()
    expect(charts).to_have_attribute("data-loads", "3")
    assert charts.get_attribute("data-bucket") == "2m"
    assert tab.page.url.endswith("?window=1d")
    assert tab.errors == []


def test_a_window_without_data_says_so_on_every_chart(tab: Tab, server: DemoServer) -> None:
    sign_in(tab, server.reader_key)
    expect(tab.page.locator(".assets-view[data-state=ready]")).to_be_visible()
    with tab.page.expect_response(re.compile(r"/v1/assets/\d+/rollups\?")) as answered:
        tab.page.goto(
            f"{server.base_url}/explorer/#/assets/1?start=2020-01-01T00:00:00Z&end=2020-01-02T00:00:00Z"
        )
    assert answered.value.status == 200
    charts = tab.page.locator(".charts[data-state=ready] section.chart")
    expect(charts).to_have_count(DEMO_SIGNALS["Tractor 1"])
    expect(charts.locator(".empty", has_text="No data in this window")).to_have_count(
        DEMO_SIGNALS["Tractor 1"]
    )
    assert set(charts.evaluate_all("sections => sections.map(s => s.dataset.points)")) == {"0"}
    assert tab.errors == []


def test_a_wrong_key_is_told_and_asked_again(tab: Tab, server: DemoServer) -> None:
    sign_in(tab, "aw_000000000000_not-a-real-secret")

    message = tab.page.locator("#key-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("401")
    expect(tab.page.get_by_label("API key")).to_be_visible()
    assert tab.page.evaluate("() => sessionStorage.length") == 0
    # The browser reports the refused request itself; nothing else may fail.
    assert all("401" in error for error in tab.errors), tab.errors


def test_an_organisation_without_assets_says_so(tab: Tab, server: DemoServer) -> None:
    sign_in(tab, server.empty_org_key)
    expect(tab.page.locator(".assets-view[data-state=ready]")).to_contain_text("No assets")
    assert tab.errors == []


def test_an_api_that_does_not_answer_is_told_until_it_is_back(tab: Tab, server: DemoServer) -> None:
    sign_in(tab, server.admin_key)
    expect(tab.page.locator("tr[data-asset-id]")).to_have_count(DEMO_ASSETS)

    tab.page.route("**/v1/**", lambda route: route.abort("connectionrefused"))
    banner = tab.page.locator("#banner")
    expect(banner).to_contain_text("not answering", timeout=12_000)
    tab.page.unroute("**/v1/**")
    expect(banner).to_be_hidden(timeout=12_000)


def test_an_asset_of_another_organisation_is_not_found(tab: Tab, server: DemoServer) -> None:
    sign_in(tab, server.empty_org_key)
    tab.page.goto(f"{server.base_url}/explorer/#/assets/1")
    expect(tab.page.locator("#banner")).to_contain_text("404")


def test_the_explorer_is_served_with_a_strict_policy(server: DemoServer) -> None:
    page = httpx.get(f"{server.base_url}/explorer/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe" not in policy
    assert "http" not in policy  # no other origin
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    script = httpx.get(f"{server.base_url}/static/explorer/main.js")
    assert script.headers["content-type"].startswith("text/javascript")
