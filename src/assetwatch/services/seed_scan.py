"""The check pass over measurement files, and the shift `--shift-to-now` derives from it.

One read before anything is written counts the points, tallies problems once per kind, and
learns each signal's sampling grid, so that a shifted seed lands every point on that grid.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from assetwatch.services.seed_files import Row, RowError, read_rows

MAX_REPORTED_ERRORS = 20
_LINES_SHOWN = 3
_MICROSECOND = timedelta(microseconds=1)
# `--shift-to-now` moves every timestamp by a whole number of steps: the least common multiple
# of each signal's sampling interval (at most a day; a second when no signal has two points).
# A later re-seed then lands every signal on its own earlier grid: points overwrite, they do not
# interleave with the first seed's.
_MAX_STEP = timedelta(days=1)
_DEFAULT_STEP = timedelta(seconds=1)


@dataclass
class Scan:
    """What the check pass learns about the measurement files."""

    points: int = 0
    newest: datetime | None = None
    # (asset, signal) casefolded → (its first timestamp, gcd of every other's distance to it)
    series: dict[tuple[str, str], tuple[datetime, int]] = field(default_factory=dict)
    # (file, message) → (the first few line numbers, how many lines): one entry per kind of
    # problem, so a misspelt signal name is reported once, not on each of its 5,000 lines.
    found: dict[tuple[Path, str], tuple[list[int], int]] = field(default_factory=dict)

    def saw(self, row: Row) -> None:
        self.points += 1
        ts = row.ts
        if self.newest is None or ts > self.newest:
            self.newest = ts
        key = (row.asset.casefold(), row.signal.casefold())
        first, spacing = self.series.get(key, (ts, 0))
        self.series[key] = (first, math.gcd(spacing, abs(ts - first) // _MICROSECOND))

    @property
    def step(self) -> timedelta:
        """The least common multiple of the signals' sampling intervals (see `_MAX_STEP`)."""
        spacings = [spacing for _, spacing in self.series.values() if spacing]
        if not spacings:
            return _DEFAULT_STEP
        step = math.lcm(*spacings) * _MICROSECOND
        return min(step, _MAX_STEP)

    def problem(self, path: Path, line: int, message: str) -> None:
        lines, count = self.found.get((path, message), ([], 0))
        if len(lines) < _LINES_SHOWN:
            lines.append(line)
        self.found[(path, message)] = (lines, count + 1)

    @property
    def problems(self) -> list[str]:
        listed = []
        for (path, message), (lines, count) in self.found.items():
            where = ",".join(str(n) for n in lines if n)
            more = f" (and {count - len(lines)} more lines)" if count > len(lines) else ""
            listed.append(f"{path}:{where}: {message}{more}" if where else f"{path}: {message}")
        if len(listed) > MAX_REPORTED_ERRORS:
            hidden = len(listed) - MAX_REPORTED_ERRORS
            listed = [*listed[:MAX_REPORTED_ERRORS], f"… and {hidden} more problems"]
        return listed


def shift_for(scan: Scan, now: datetime) -> timedelta:
    """Move the newest point to `now` or just before it, by whole steps of the data's spacing."""
    if scan.newest is None:
        return timedelta(0)
    step = scan.step
    return ((now - scan.newest) // step) * step


def scan_measurements(
    files: Sequence[Path],
    why_unknown: Callable[[str, str], str | None],
    *,
    future_limit: datetime | None,
) -> Scan:
    """Every row parses and names a known signal (WHY_UNKNOWN says otherwise); count them."""
    scan = Scan()
    for path in files:
        for item in read_rows(path):
            if isinstance(item, RowError):
                scan.problem(path, item.line, str(item))
                continue
            if (unknown := why_unknown(item.asset, item.signal)) is not None:
                scan.problem(path, item.line, unknown)
                continue
            if future_limit is not None and item.ts > future_limit:
                scan.problem(path, item.line, f"ts {item.ts.isoformat()} is in the future")
                continue
            scan.saw(item)
    return scan
