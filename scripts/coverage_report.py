"""`make coverage`'s report: combine each suite's data (its pytest process and every process it
started) and all of them, print a table per package and suite, write build/coverage/html, and
fail when the total is under `fail_under` in pyproject.toml (the ratchet: raise it, never lower).

usage: python scripts/coverage_report.py build/coverage unit integration smoke load
"""

import sys
from pathlib import Path

from coverage import Coverage
from coverage.results import should_fail_under

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "pyproject.toml")
PACKAGE = ROOT / "src" / "assetwatch"

Tally = dict[str, tuple[int, int]]  # package -> (statements, statements run)


def combine(data_files: list[Path], into: Path) -> Coverage:
    """One data file from many (kept, so each suite's files also count towards the total)."""
    cov = Coverage(data_file=str(into), config_file=CONFIG)
    cov.combine([str(path) for path in data_files], keep=True)
    cov.save()
    return cov


def package_of(module: Path) -> str:
    """`assetwatch.api` for src/assetwatch/api/routes/x.py; `assetwatch` for its own modules."""
    parts = module.relative_to(PACKAGE.parent).parts
    return ".".join(parts[:2]) if len(parts) > 2 else f"{parts[0]} (modules)"


def tally(cov: Coverage) -> Tally:
    """Statements and statements run per package, over every module (imported or not)."""
    totals: dict[str, list[int]] = {}
    for module in sorted(PACKAGE.rglob("*.py")):
        _, statements, _, missing, _ = cov.analysis2(str(module))
        entry = totals.setdefault(package_of(module), [0, 0])
        entry[0] += len(statements)
        entry[1] += len(statements) - len(missing)
    return {name: (stmts, run) for name, (stmts, run) in totals.items()}


def percent(stmts: int, run: int) -> str:
    return f"{100 * run / stmts:.1f}%" if stmts else "-"


def table(columns: dict[str, Tally]) -> list[str]:
    names = list(columns)
    packages = sorted(columns[names[-1]])
    rows = [f"{'package':<26}{'stmts':>7}" + "".join(f"{name:>13}" for name in names)]
    for package in [*packages, "TOTAL"]:
        cells = []
        for name in names:
            counts = columns[name].values() if package == "TOTAL" else [columns[name][package]]
            stmts, run = (sum(c[0] for c in counts), sum(c[1] for c in counts))
            cells.append(f"{percent(stmts, run):>13}")
        rows.append(f"{package:<26}{stmts:>7}" + "".join(cells))
    return rows


def main(out: Path, suites: list[str]) -> int:
    columns: dict[str, Tally] = {}
    every_file: list[Path] = []
    for suite in suites:
        files = sorted((out / suite).glob(".coverage*"))
        if not files:
            print(f"no coverage data for the {suite} suite in {out / suite}", file=sys.stderr)
            return 2
        every_file += files
        columns[suite] = tally(combine(files, out / f"{suite}.coverage"))
    total = combine(every_file, out / ".coverage")
    columns["all"] = tally(total)
    print("\n".join(table(columns)))
    html = out / "html"
    percent_all = total.html_report(directory=str(html), title="assetwatch: every suite")
    fail_under = float(str(total.get_option("report:fail_under") or 0))
    print(f"\nHTML report: {html / 'index.html'}")
    if should_fail_under(percent_all, fail_under, precision=1):
        print(f"coverage {percent_all:.1f}% is under the ratchet ({fail_under}%)", file=sys.stderr)
        return 2
    print(f"coverage {percent_all:.1f}% (ratchet: {fail_under}%; raise it as tests are added)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
