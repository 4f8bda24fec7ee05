"""Write docs/mutation.md from mutmut's results, and fail when too few mutants were killed.

mutmut keeps a verdict per mutant beside each mutated copy (`mutants/src/**/*.py.meta`). This
script counts them, shows each mutant the unit suite did not kill as mutmut's diff, and merges in
the checked-in reasons why some of those are equivalent (no client could tell them from the
original): `docs/mutation-equivalent.toml`. A reason is matched by function and mutated line,
not by mutmut's number, so renumbering after an edit keeps it. `forget` clears the verdicts of
the mutants not killed, so that the next `mutmut run` tests them again against today's tests.
"""

import argparse
import json
import re
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

MUTANTS = Path("mutants")
DOC = Path("docs/mutation.md")
EQUIVALENT = Path("docs/mutation-equivalent.toml")
KILLED = {"killed", "timeout"}  # a mutant that makes a test hang is caught too
_NUMBER = re.compile(r"__mutmut_\d+$")


@dataclass(frozen=True)
class Mutant:
    name: str  # mutmut's: assetwatch.domain.readings.x_parse_bucket__mutmut_3
    path: Path  # the source file, src/…
    status: str  # mutmut's word: killed, survived, no tests, timeout …

    @property
    def function(self) -> str:
        """The mutated function as Python spells it: assetwatch.domain.measurements.Points.of."""
        module, _, mangled = _NUMBER.sub("", self.name).rpartition(".")
        if mangled.startswith("xǁ"):  # a method: xǁClassǁname
            return f"{module}.{mangled[2:].replace('ǁ', '.')}"
        return f"{module}.{mangled.removeprefix('x_')}"  # a function: x_name

    @property
    def label(self) -> str:
        """`services.assets.list_assets #13`: the function and mutmut's number of the mutant."""
        return f"{self.function.removeprefix('assetwatch.')} #{_sort_key(self.name)[1]}"

    @property
    def killed(self) -> bool:
        return self.status in KILLED


def load_mutants() -> list[Mutant]:
    """Every mutant of the last run, in a stable order."""
    mutants = []
    for meta in sorted(MUTANTS.glob("src/**/*.py.meta")):
        source = meta.relative_to(MUTANTS).with_suffix("")
        verdicts = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        mutants += [
            Mutant(name, source, status_by_exit_code[code]) for name, code in verdicts.items()
        ]
    return sorted(mutants, key=lambda m: (str(m.path), _sort_key(m.name)))


def _sort_key(name: str) -> tuple[str, int]:
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def forget_unkilled() -> int:
    """Clear the verdict of each mutant not killed, so that mutmut tests it again."""
    forgotten = 0
    for meta in MUTANTS.glob("src/**/*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        verdicts = data["exit_code_by_key"]
        for name, code in verdicts.items():
            if code is not None and status_by_exit_code[code] not in KILLED:
                verdicts[name] = None
                forgotten += 1
        meta.write_text(json.dumps(data, indent=4), encoding="utf-8")
    return forgotten


@dataclass(frozen=True)
class Change:
    """The lines a mutant changes: as the source has them, and as the mutant has them."""

    before: str
    after: str  # what a reason in EQUIVALENT names: `mutant = "…"`


def change_of(mutant: Mutant) -> Change:
    diff = get_diff_for_mutant(mutant.name, path=mutant.path).splitlines()
    added = [line[1:].strip() for line in diff if line.startswith("+") and line[:3] != "+++"]
    removed = [line[1:].strip() for line in diff if line.startswith("-") and line[:3] != "---"]
    return Change(" / ".join(removed), " / ".join(added) if added else "(removed)")


@dataclass(frozen=True)
class Reason:
    function: str
    mutant: str  # the mutated line(s): `Change.after`
    why: str


def load_reasons() -> list[Reason]:
    entries = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8")).get("equivalent", [])
    return [Reason(e["function"], e["mutant"], e["why"]) for e in entries]


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


@dataclass
class Report:
    mutants: list[Mutant]
    changes: dict[str, Change]  # mutant name → what it changes, for those not killed
    reasons: dict[str, Reason]  # mutant name → why it is equivalent
    stale: list[Reason]  # reasons that match no surviving mutant any more

    @property
    def killed(self) -> int:
        return sum(m.killed for m in self.mutants)

    @property
    def percent(self) -> float:
        return 100 * self.killed / len(self.mutants) if self.mutants else 0.0

    @property
    def unexplained(self) -> list[Mutant]:
        return [m for m in self.mutants if not m.killed and m.name not in self.reasons]


def build_report(mutants: list[Mutant], reasons: list[Reason]) -> Report:
    unkilled = [m for m in mutants if not m.killed and m.status != "not checked"]
    changes = {m.name: change_of(m) for m in unkilled}
    by_key = {(r.function, r.mutant): r for r in reasons}
    keys = {m.name: (m.function, changes[m.name].after) for m in unkilled}
    matched = {name: by_key[key] for name, key in keys.items() if key in by_key}
    used = set(map(id, matched.values()))
    return Report(mutants, changes, matched, [r for r in reasons if id(r) not in used])


def render(report: Report, *, minimum: float, seconds: float, workers: int, fresh: bool) -> str:
    statuses = Counter(m.status for m in report.mutants)
    equivalent = len(report.reasons)
    scored = len(report.mutants) - equivalent
    run = "every mutant tested (mutants/ was empty)" if fresh else "incremental (mutants/ reused)"
    out = [
        "# Mutation testing",
        "",
        "Written by `make mutation` (`scripts/mutation_report.py`) from mutmut's results: do not",
        "edit. Why a surviving mutant is equivalent is said in `docs/mutation-equivalent.toml`.",
        "",
        f"mutmut {version('mutmut')} mutated `src/assetwatch/domain` and",
        "`src/assetwatch/services`; each mutant ran against the unit tests that reach the function",
        f"it changes. Run of {datetime.now(UTC):%Y-%m-%d}: {run}, {workers} worker(s), "
        f"{seconds:.0f} s wall time.",
        "",
        "| | mutants | share |",
        "|---|---:|---:|",
        f"| **killed** (a test failed{', or timed out' if statuses['timeout'] else ''}) "
        f"| {report.killed} | **{report.percent:.1f} %** |",
        *(
            f"| {status} | {count} | {100 * count / len(report.mutants):.1f} % |"
            for status, count in sorted(statuses.items())
            if status not in KILLED
        ),
        f"| all | {len(report.mutants)} | |",
        "",
        f"The gate: at least {minimum:g} % killed. Leaving out the {equivalent} equivalent mutants "
        f"below, {100 * report.killed / scored if scored else 0:.1f} % of the rest are killed; "
        f"{len(report.unexplained)} mutant(s) are neither killed nor explained.",
        "",
        "| module | mutants | killed | equivalent | neither |",
        "|---|---:|---:|---:|---:|",
    ]
    for path in sorted({m.path for m in report.mutants}, key=str):
        own = [m for m in report.mutants if m.path == path]
        if own:
            eq = sum(m.name in report.reasons for m in own)
            killed = sum(m.killed for m in own)
            out.append(f"| `{path}` | {len(own)} | {killed} | {eq} | {len(own) - killed - eq} |")
    out += ["", "## Equivalent mutants", ""]
    out += ["| mutant | the source | the mutant | why no client can tell |", "|---|---|---|---|"]
    out += [
        f"| `{m.label}` | {_cell(change.before)} | {_cell(change.after)} | "
        f"{report.reasons[m.name].why} |"
        for m in report.mutants
        if m.name in report.reasons and (change := report.changes[m.name])
    ] or ["| - | - | - | none |"]
    out += ["", "## Neither killed nor explained", ""]
    out += [
        f"- `{m.label}` ({m.status}): {_cell(change.before)} → {_cell(change.after)}"
        if (change := report.changes.get(m.name))
        else f"- `{m.label}` ({m.status})"
        for m in report.unexplained
    ] or ["None."]
    if report.stale:
        out += ["", "## Reasons that match no surviving mutant (remove them)", ""]
        out += [f"- `{r.function}`: {_cell(r.mutant)}" for r in report.stale]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("forget", help="clear the verdicts of the mutants not killed")
    report_args = sub.add_parser("report", help="write docs/mutation.md; exit 1 under --minimum")
    report_args.add_argument("--minimum", type=float, default=85.0, help="percent killed")
    report_args.add_argument("--seconds", type=float, default=0.0, help="the run's wall time")
    report_args.add_argument("--workers", type=int, default=1)
    report_args.add_argument("--fresh", action="store_true", help="the run started from empty")
    args = parser.parse_args()
    if args.command == "forget":
        print(f"mutation: {forget_unkilled()} mutant(s) not killed last time will be tested again")
        return 0
    mutants = load_mutants()
    report = build_report(mutants, load_reasons())
    text = render(
        report, minimum=args.minimum, seconds=args.seconds, workers=args.workers, fresh=args.fresh
    )
    DOC.write_text(text, encoding="utf-8")
    unchecked = sum(m.status == "not checked" for m in mutants)
    print(
        f"mutation: {report.killed} of {len(mutants)} mutants killed ({report.percent:.1f} %), "
        f"{len(report.reasons)} equivalent, {len(report.unexplained)} neither; wrote {DOC}"
    )
    for mutant in report.unexplained:
        change = report.changes.get(mutant.name)
        print(f"  not killed: {mutant.name}: {change.after if change else mutant.status}")
    if not mutants or unchecked:
        print(f"mutation: the run is incomplete ({unchecked} mutant(s) not checked)")
        return 1
    if report.percent < args.minimum:
        print(f"mutation: under the gate of {args.minimum:g} % killed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
