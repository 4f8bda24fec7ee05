"""The browser pages (explorer, /docs, /redoc) and their files, served by the app itself.

What a browser does with them is tests/browser/; here, what the server answers.
"""

import re

import httpx
import pytest

pytestmark = pytest.mark.api

PAGES = ["/explorer/", "/docs", "/redoc"]


async def test_the_root_leads_to_the_explorer(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "explorer/"
    page = await client.get("/", follow_redirects=True)
    assert page.url.path == "/explorer/"
    assert "<title>assetwatch explorer</title>" in page.text


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_loads_only_files_of_the_app_with_a_policy_saying_so(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert not re.search(r"https?:", policy)
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"
    # Every script and stylesheet is a file of this app, and each one is there.
    assert "<script>" not in page.text
    links = re.findall(r'(?:src|href)="([^"#]+)"', page.text)
    files = [link for link in links if link.endswith((".js", ".css"))]
    assert files
    for link in files:
        assert not re.match(r"[a-z]+:|//", link), link
        asset = await client.get(httpx.URL(str(page.url)).join(link))
        assert asset.status_code == 200, link


async def test_the_explorer_modules_and_the_vendored_libraries_are_served(
    client: httpx.AsyncClient,
) -> None:
    main = await client.get("/static/explorer/main.js")
    assert main.headers["content-type"].startswith("text/javascript")
    imports = re.findall(r'from "\./([a-z-]+\.js)"', main.text)
    assert "asset-view.js" in imports
    for module in imports:
        assert (await client.get(f"/static/explorer/{module}")).status_code == 200
    for licence in ("uplot/LICENSE", "swagger-ui/LICENSE", "redoc/LICENSE"):
        assert (await client.get(f"/static/vendor/{licence}")).status_code == 200
    versions = (await client.get("/static/vendor/VERSIONS")).text
    assert re.search(r"^uplot \d+\.\d+\.\d+$", versions, re.MULTILINE)


async def test_the_pages_are_not_in_the_api_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p in ("/", *PAGES) or p.startswith("/static")]
