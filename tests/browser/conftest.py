"""A real browser (Debian's headless Chromium, driven by Playwright) against a live demo server.

The session starts `assetwatch serve --demo` (loadtest/live_server.py), so the demo farm is there as
`make run` makes it, and keys of the demo organisation with the CLI. Each test gets a fresh
browser context that lets requests reach 127.0.0.1 only: any other is aborted and recorded, so
a test can assert that none was attempted. `make test-browser` installs Chromium when it is
missing. Screenshots go to --screenshot-dir (build/screenshots; `make screenshots`: docs/images).
"""

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from loadtest.live_server import LiveServer, assetwatch_executable, live_server
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Route
from playwright.sync_api import sync_playwright as start_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root, without a sandbox; and none of Chromium's own traffic (updates, sync, field trials),
# which this machine's closed network would refuse: a name other than 127.0.0.1 never resolves.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 900}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshot-dir",
        default=str(ROOT / "build" / "screenshots"),
        help="where the browser tests save their screenshots (make screenshots: docs/images)",
    )


@dataclass(frozen=True)
class DemoServer:
    base_url: str
    admin_key: str  # of the demo organisation
    reader_key: str
    empty_org_key: str  # an admin key of an organisation with no assets


def _demo_key(server: LiveServer, role: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATA_DIR"] = str(server.data_dir)
    command = [
        assetwatch_executable(),
        "keys",
        "create",
        "--org",
        "demo",
        "--role",
        role,
        "--name",
        "browser",
    ]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="session")
def server() -> Iterator[DemoServer]:
    with live_server(org="empty", args=["--demo"]) as live:
        yield DemoServer(
            live.base_url, _demo_key(live, "admin"), _demo_key(live, "reader"), live.admin_key
        )


# Per module, not per session: Playwright's sync API holds an event loop open in this thread
# while it runs, which other suites' asyncio.run() would trip over in a shared session.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test-browser` installs it")
    playwright: Playwright
    with start_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest) -> Path:
    folder = Path(request.config.getoption("--screenshot-dir"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Tab:
    """A page whose requests, console errors and uncaught exceptions are recorded."""

    page: Page
    base_url: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # left 127.0.0.1: aborted
    errors: list[str] = field(default_factory=list)  # console errors and page exceptions

    def api_requests(self, path: str) -> list[str]:
        return [url for url in self.requests if urlsplit(url).path.startswith(path)]

    def foreign_requests(self) -> list[str]:
        """Every request not to this server's origin (data: and blob: URLs stay in the page)."""
        origin = urlsplit(self.base_url)
        return [
            url
            for url in self.requests + self.blocked
            if urlsplit(url).scheme not in ("data", "blob")
            and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
        ]


@pytest.fixture
def tab(browser: Browser, server: DemoServer) -> Iterator[Tab]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    opened = Tab(page, server.base_url)

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            opened.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def on_request(request: Request) -> None:
        opened.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            opened.errors.append(f"console: {message.text}")

    context.route("**/*", only_loopback)
    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(f"exception: {error}"))
    page.set_default_timeout(15_000)
    yield opened
    context.close()
