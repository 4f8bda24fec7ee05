"""The pages a browser opens: the telemetry explorer (`/`), Swagger UI (`/docs`), ReDoc (`/redoc`).

Everything they load comes from this app: the pages from `api/pages/`, their scripts, styles and
the vendored libraries from `api/static/` under `/static` (no CDN, so they work offline). Each
page carries a Content-Security-Policy that allows scripts from this origin only and no inline
script, and lets the page talk to this origin only.
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parents[1]
PAGES = HERE / "pages"
STATIC = HERE / "static"


def _policy(*extra: str) -> str:
    """This origin only: scripts from files (no inline script, no eval), requests, images."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            *extra,
        ]
    )


# The explorer and Swagger UI set styles through the DOM only, which style-src does not govern.
PAGE_POLICY = _policy("style-src 'self'")
# ReDoc (styled-components) writes <style> elements, and its search runs in a worker it makes
# from a blob: it needs both, which still admit no script but its own files.
REDOC_POLICY = _policy("style-src 'self' 'unsafe-inline'", "worker-src blob:")

router = APIRouter(include_in_schema=False)


def _page(name: str, policy: str) -> FileResponse:
    return FileResponse(
        PAGES / name, media_type="text/html", headers={"content-security-policy": policy}
    )


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("explorer/")  # relative: right behind a path prefix too


@router.get("/explorer/")
async def explorer() -> FileResponse:
    return _page("explorer.html", PAGE_POLICY)


@router.get("/docs")
async def swagger_ui() -> FileResponse:
    return _page("swagger-ui.html", PAGE_POLICY)


@router.get("/redoc")
async def redoc() -> FileResponse:
    return _page("redoc.html", REDOC_POLICY)


def install_web(app: FastAPI) -> None:
    """The pages' routes and the static files they load (`/static`)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
