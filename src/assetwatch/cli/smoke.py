"""`assetwatch smoke`: the post-deploy smoke suite (tests/smoke) against a base URL.

The suite ships beside the code (the `smoke` image target adds it and pytest); it talks HTTP
only. The API key comes from SMOKE_API_KEY, never from the command line (it would show in `ps`).
"""

import os
from pathlib import Path
from typing import Annotated

import typer

from assetwatch.cli._common import err

# src/assetwatch/cli/smoke.py → the project root (also the image's working directory).
DEFAULT_SUITE = Path(__file__).resolve().parents[3] / "tests" / "smoke"


def smoke(
    base_url: Annotated[str, typer.Option(help="the deployed service, e.g. http://assetwatch")],
    junitxml: Annotated[Path | None, typer.Option(help="write a JUnit XML report here")] = None,
    suite: Annotated[
        Path, typer.Option(envvar="SMOKE_SUITE", help="the smoke test folder")
    ] = DEFAULT_SUITE,
) -> None:
    """Run the post-deploy smoke suite on BASE_URL (key in SMOKE_API_KEY); exit 1 on a failure."""
    try:
        import pytest
    except ImportError as error:  # the runtime image has no test tools; the smoke image does
        err("the smoke suite needs pytest: use the smoke image (or `uv sync`)")
        raise typer.Exit(2) from error
    if not os.environ.get("SMOKE_API_KEY"):
        err("set SMOKE_API_KEY to a writer or admin key of the target")
        raise typer.Exit(2)
    args = [str(suite), "--base-url", base_url, "-p", "no:cacheprovider", "-q"]
    if junitxml:
        args += ["--junitxml", str(junitxml)]
    raise typer.Exit(int(pytest.main(args)))
