"""What `make bench` measured, typed: each server's rounds, the figures reduced from them, and
the ratio of the two servers per kind of request (`rounds` measures, `report` renders)."""

from dataclasses import asdict, dataclass
from typing import Any

from loadtest.bench.load import Result

KINDS = ("ingest", "read")
SERVERS = ("floor", "assetwatch")


@dataclass(frozen=True)
class Round:
    """One round of one server: what the load generator saw, and the server's own CPU."""

    result: Result
    cpu_ms: float  # server CPU a request, its workers included

    def as_json(self) -> dict[str, Any]:
        return asdict(self.result) | {"rps": self.result.rps, "cpu_ms": self.cpu_ms}


@dataclass(frozen=True)
class ServerFigures:
    """One server, one kind of request: its maximum and its latency at 70 % of it."""

    maximum: Result  # the round with the median throughput (closed loop)
    cpu_ms: float  # the median of the maximum rounds' CPU a request
    at70: Result  # the round with the median p99 at 70 % of `maximum` (open loop)
    target_rps: float  # the open loop's rate
    worst_p99_ms: float  # the worst p99 of the 70 % rounds
    rounds: list[Round]  # the maximum's
    paced_rounds: list[Round]  # at 70 %

    def as_json(self) -> dict[str, Any]:
        return {
            "max": asdict(self.maximum) | {"rps": self.maximum.rps},
            "cpu_ms": self.cpu_ms,
            "at70": asdict(self.at70) | {"rps": self.at70.rps, "target_rps": self.target_rps},
            "worst_p99_ms": self.worst_p99_ms,
            "rounds": [r.as_json() for r in self.rounds],
            "paced_rounds": [r.as_json() for r in self.paced_rounds],
        }


@dataclass(frozen=True)
class KindFigures:
    """Both servers on one kind of request, and assetwatch's throughput over the floor's."""

    ratio: float  # the median of the rounds' ratios
    ratios: list[float]  # each round's
    servers: dict[str, ServerFigures]  # by name: "floor", "assetwatch"

    def as_json(self) -> dict[str, Any]:
        return {"ratio": {"median": self.ratio, "rounds": self.ratios}} | {
            name: figures.as_json() for name, figures in self.servers.items()
        }


@dataclass(frozen=True)
class Environment:
    """Where and how the run was made, as the report states it."""

    bench_args: str  # the --pg-setting options, as BENCH_ARGS
    pg_settings: str  # every non-default PostgreSQL setting, as Markdown
    pg_version: str
    workers: int
    load_average: str  # before the run, 1/5/15 min
    nproc: int  # the CPUs this process may use (`nproc`)


Results = dict[str, KindFigures]  # by kind: "ingest", "read"


def as_json(results: Results) -> dict[str, Any]:
    """The raw figures (loadtest/reports/bench.json)."""
    return {kind: figures.as_json() for kind, figures in results.items()}
