"""CPU per stage of one 1,000-point ingest batch, in-process, no database or HTTP.

    python loadtest/bench/stages.py [--points 1000] [--repeat 200]

Times what `POST /v1/measurements` does in Python before the statement is sent: decoding the
body into columns (api/ingest_body.py), the future-timestamp check, last-write-wins
de-duplication and sorting, the statement's parameters and psycopg's binary dump of the three
arrays. For scale: the canonical model the decoder answers for (`IngestRequest`, used for
bodies the fast path does not take), and the floor's parsing (orjson and
`datetime.fromisoformat`, no validation).
"""

import argparse
import sys
import time
import timeit
from collections.abc import Callable
from datetime import datetime, timedelta

import orjson
from psycopg.adapt import PyFormat, Transformer
from pydantic import TypeAdapter

from assetwatch.api.ingest_body import decode_points
from assetwatch.api.schemas import IngestRequest
from assetwatch.db.queries import ingest_params
from assetwatch.domain.types import utcnow


def batch_body(points: int) -> bytes:
    t0 = time.time() - 400 * 86_400
    items = ",".join(
        f'{{"signal_id":{1 + i % 3},"ts":"'
        f'{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i))}","value":{20 + i % 50}.5}}'
        for i in range(points)
    )
    return f'{{"points":[{items}]}}'.encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    body = batch_body(args.points)
    points = decode_points(body)
    batch = points.last_write_wins()
    params = ingest_params(1, batch)
    canonical = TypeAdapter(IngestRequest)
    transformer = Transformer()
    now, skew = utcnow(), timedelta(seconds=300)

    def dump() -> None:
        for name in ("signal_ids", "ts", "values"):
            transformer.get_dumper(params[name], PyFormat.BINARY).dump(params[name])

    def floor_parse() -> None:
        for p in orjson.loads(body)["points"]:
            datetime.fromisoformat(p["ts"])

    stages: list[tuple[str, Callable[[], object]]] = [
        ("decode the body into columns", lambda: decode_points(body)),
        ("future-timestamp check", lambda: points.future_errors(now, skew)),
        ("last write wins + sort", points.last_write_wins),
        ("statement parameters", lambda: ingest_params(1, batch)),
        ("binary dump of 3 arrays", dump),
        ("canonical model (for scale)", lambda: canonical.validate_json(body)),
        ("floor: orjson + fromisoformat", floor_parse),
    ]
    print(f"{args.points} points, mean of {args.repeat} runs")
    for name, stage in stages:
        seconds = timeit.timeit(stage, number=args.repeat) / args.repeat
        print(f"  {name:32s} {seconds * 1e3:7.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
