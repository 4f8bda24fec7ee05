"""The repository stands alone: what a clone holds points at nothing outside it."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where design notes used to live, beside the repository and so in no clone of it. Spelled in
# parts, so that this file does not match itself.
OUTSIDE = ("../" + "shared", "shared/" + "notes", "shared/" + "DESIGN")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def tracked_text_files() -> dict[str, str]:
    """Every file git tracks, by path, as text; binary files (a NUL byte) are left out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    texts = {}
    for path in filter(None, listed.split("\0")):
        data = (ROOT / path).read_bytes()
        if b"\0" not in data:
            texts[path] = data.decode("utf-8", errors="replace")
    return texts


def test_no_tracked_file_refers_to_material_outside_the_repository() -> None:
    texts = tracked_text_files()
    assert {"README.md", "src/assetwatch/__init__.py"} <= texts.keys()  # the listing works

    offenders = [
        f"{path}:{number}: {line.strip()}"
        for path, text in texts.items()
        for number, line in enumerate(text.splitlines(), 1)
        if any(outside in line for outside in OUTSIDE)
    ]

    assert offenders == []


def test_every_relative_link_in_the_documentation_reaches_a_file_of_the_repository() -> None:
    broken = []
    for path, text in tracked_text_files().items():
        if not path.endswith(".md"):
            continue
        for target in MARKDOWN_LINK.findall(text):
            if re.match(r"[a-z]+:|#", target):  # a URL or an anchor on the same page
                continue
            resolved = (ROOT / path).parent.joinpath(target.split("#")[0]).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{path}: {target}")

    assert broken == []
