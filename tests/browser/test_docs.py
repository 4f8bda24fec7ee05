"""/docs (Swagger UI) and /redoc (ReDoc) in a real browser, offline: every asset from the app."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import DemoServer, Tab

METHODS = {"get", "post", "put", "patch", "delete"}


def operations(server: DemoServer) -> list[tuple[str, str]]:
    spec = httpx.get(f"{server.base_url}/openapi.json").json()
    return [
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    ]


def test_docs_list_every_operation_offline(tab: Tab, server: DemoServer, screenshots: Path) -> None:
    tab.page.goto(f"{server.base_url}/docs")

    expect(tab.page.locator(".opblock")).to_have_count(len(operations(server)))
    expect(tab.page.locator(".opblock-summary-path[data-path='/v1/assets/{asset_id}/rollups']"))
    tab.page.wait_for_load_state("networkidle")
    assert tab.errors == []
    assert tab.foreign_requests() == []
    tab.page.screenshot(path=screenshots / "docs.png")


def test_docs_authorize_with_a_bearer_key_and_try_it_out(tab: Tab, server: DemoServer) -> None:
    page = tab.page
    page.goto(f"{server.base_url}/docs")
    page.locator("button.authorize").click()
    page.locator(".auth-container input").fill(server.reader_key)
    page.locator(".auth-container .modal-btn.authorize").click()
    page.locator(".auth-container .btn-done").click()

    operation = page.locator(
        ".opblock-get", has=page.locator(".opblock-summary-path[data-path='/v1/assets']")
    )
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    with page.expect_request("**/v1/assets?*") as sent:
        operation.get_by_role("button", name="Execute").click()

    assert sent.value.headers["authorization"] == f"Bearer {server.reader_key}"
    live = operation.locator(".live-responses-table")
    expect(live.locator("tbody .response-col_status").first).to_have_text("200")
    expect(live).to_contain_text("Tractor 1")
    assert tab.errors == []
    assert tab.foreign_requests() == []


def test_redoc_renders_its_sections_offline(tab: Tab, server: DemoServer) -> None:
    tab.page.goto(f"{server.base_url}/redoc")

    for tag in ("assets", "signals", "telemetry"):
        expect(tab.page.locator(f"[data-section-id='tag/{tag}']")).to_be_visible()
    expect(tab.page.locator("h2", has_text="Read an asset with its signals")).to_be_visible()
    tab.page.wait_for_load_state("networkidle")
    assert tab.errors == []
    assert tab.foreign_requests() == []


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_allow_no_inline_script_and_no_other_origin(
    server: DemoServer, path: str
) -> None:
    page = httpx.get(f"{server.base_url}{path}")
    assert page.status_code == 200
    directives = dict(
        d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";")
    )
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert "http" not in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text  # every script is a file of the app
