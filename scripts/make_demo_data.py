#!/usr/bin/env python3
"""Generate the demo data set under data/demo/: a small farm's machines and a week of readings.

    python3 scripts/make_demo_data.py [--end 2026-11-22T09:00:00Z] [--out data/demo]

Writes `assets.json` (the assets and their signals) and `measurements.csv` (`asset,signal,ts,
value`). Deterministic: a fixed random seed, and the week ends at `--end` (default: the current
hour, UTC), so two runs with the same `--end` write identical files. Standard library only.

The machines follow a plausible week in late autumn: tractors work daytime shifts (not on
Sunday), the combine harvests in the afternoons of four days, the grain dryer runs batches around
the clock, and a solar-powered soil node sees one rainy night. Sampling: the dryer every 5
minutes, everything else every 10, all on the clock's grid (so `assetwatch seed --shift-to-now`
moves them by whole 10-minute steps, and a later re-seed lands on the same grid).
"""

import argparse
import csv
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20261122
DAYS = 7
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "demo"

ASSETS: list[dict[str, object]] = [
    {
        "name": "Tractor 1",
        "kind": "tractor",
        "description": "Main field tractor: ploughing and drilling",
        "attributes": {"make": "Fendt", "model": "724 Vario", "year": 2021, "power_kw": 174},
        "tags": ["fleet", "diesel", "field-ops"],
        "signals": [
            {"name": "engine_temp", "unit": "°C", "description": "Engine coolant temperature"},
            {"name": "fuel_level", "unit": "%", "description": "Diesel tank level"},
            {"name": "engine_rpm", "unit": "rpm", "description": "Engine speed"},
            {"name": "speed", "unit": "km/h", "description": "Ground speed (GNSS)"},
            {"name": "battery_voltage", "unit": "V", "description": "12 V system voltage"},
        ],
    },
    {
        "name": "Tractor 2",
        "kind": "tractor",
        "description": "Yard and transport tractor with front loader",
        "attributes": {"make": "John Deere", "model": "6R 150", "year": 2019, "power_kw": 110},
        "tags": ["fleet", "diesel", "yard"],
        "signals": [
            {"name": "engine_temp", "unit": "°C", "description": "Engine coolant temperature"},
            {"name": "fuel_level", "unit": "%", "description": "Diesel tank level"},
            {"name": "engine_rpm", "unit": "rpm", "description": "Engine speed"},
            {"name": "speed", "unit": "km/h", "description": "Ground speed (GNSS)"},
            {"name": "battery_voltage", "unit": "V", "description": "12 V system voltage"},
        ],
    },
    {
        "name": "Combine 1",
        "kind": "combine_harvester",
        "description": "Combine harvester, 9 m header (late maize)",
        "attributes": {"make": "Claas", "model": "Lexion 760", "year": 2018, "header_m": 9.0},
        "tags": ["fleet", "diesel", "harvest"],
        "signals": [
            {"name": "engine_temp", "unit": "°C", "description": "Engine coolant temperature"},
            {"name": "fuel_level", "unit": "%", "description": "Diesel tank level"},
            {"name": "engine_rpm", "unit": "rpm", "description": "Engine speed"},
            {"name": "speed", "unit": "km/h", "description": "Ground speed (GNSS)"},
            {"name": "grain_tank_fill", "unit": "%", "description": "Grain tank fill level"},
            {"name": "yield", "unit": "t/ha", "description": "Instantaneous yield (wet)"},
            {"name": "battery_voltage", "unit": "V", "description": "24 V system voltage"},
        ],
    },
    {
        "name": "Grain Dryer",
        "kind": "grain_dryer",
        "description": "Batch grain dryer by the silos",
        "attributes": {"capacity_t": 30, "fuel": "propane"},
        "tags": ["yard", "harvest"],
        "signals": [
            {"name": "grain_temp", "unit": "°C", "description": "Grain temperature, mid column"},
            {"name": "plenum_temp", "unit": "°C", "description": "Hot-air plenum temperature"},
            {"name": "grain_moisture", "unit": "%", "description": "Grain moisture (wet basis)"},
            {"name": "burner_power", "unit": "kW", "description": "Burner output"},
        ],
    },
    {
        "name": "Soil Node North Field",
        "kind": "soil_sensor",
        "description": "Solar-powered soil probe, north field",
        "attributes": {"lat": 52.3702, "lon": 4.8952, "depths_cm": [10, 30]},
        "tags": ["sensor", "north-field"],
        "signals": [
            {"name": "soil_moisture_10cm", "unit": "%", "description": "Volumetric water, 10 cm"},
            {"name": "soil_moisture_30cm", "unit": "%", "description": "Volumetric water, 30 cm"},
            {"name": "soil_temp", "unit": "°C", "description": "Soil temperature, 10 cm"},
            {"name": "battery_voltage", "unit": "V", "description": "Li-ion cell voltage"},
        ],
    },
]


def ambient(t: datetime) -> float:
    """Late-autumn air temperature: 3 °C before dawn, 11 °C mid-afternoon."""
    hours = t.hour + t.minute / 60
    return 7 + 4 * math.sin((hours - 9) / 24 * 2 * math.pi)


def daylight(t: datetime) -> float:
    """0 at night, up to 1 at noon (08:00-16:00)."""
    hours = t.hour + t.minute / 60
    return max(0.0, math.sin((hours - 8) / 8 * math.pi)) if 8 <= hours <= 16 else 0.0


def approach(value: float, target: float, rate: float) -> float:
    """First-order lag: move a fraction `rate` of the way to `target`."""
    return value + (target - value) * rate


Row = tuple[str, str, datetime, float]
Sampler = Callable[[datetime, random.Random], dict[str, float]]


@dataclass
class Machine:
    """A tractor or the combine: engine on during working windows, off otherwise."""

    name: str
    working: Callable[[datetime], bool]
    field_speed: tuple[float, float]
    rpm: tuple[float, float]
    burn_per_step: float  # % of tank per 10 minutes at work
    harvester: bool = False
    system_volts: int = 12
    engine_temp: float = 6.0
    fuel: float = 78.0
    battery: float = 12.6
    tank: float = 0.0
    state: dict[str, float] = field(default_factory=dict)

    def sample(self, t: datetime, rng: random.Random) -> dict[str, float]:
        on = self.working(t)
        if on:
            road = rng.random() < 0.12  # a transfer between fields
            speed = rng.uniform(22, 38) if road else rng.uniform(*self.field_speed)
            rpm = rng.uniform(*self.rpm)
            self.engine_temp = approach(self.engine_temp, 88 + rng.gauss(0, 1.2), 0.55)
            self.fuel -= self.burn_per_step * rng.uniform(0.8, 1.2)
            self.battery = 14.2 + rng.gauss(0, 0.06)
        else:
            speed, rpm = 0.0, 0.0
            self.engine_temp = approach(self.engine_temp, ambient(t), 0.25)
            self.battery = approach(self.battery, 12.55, 0.05) + rng.gauss(0, 0.01)
        if self.fuel < 15 or (self.fuel < 30 and not on):
            self.fuel = rng.uniform(94, 99)  # refuelled (from the bowser, or in the yard)
        values = {
            "engine_temp": round(self.engine_temp + rng.gauss(0, 0.2), 1),
            "fuel_level": round(max(self.fuel, 0.0), 1),
            "engine_rpm": round(rpm),
            "speed": round(speed, 1),
            "battery_voltage": round(self.battery * self.system_volts / 12, 2),
        }
        if self.harvester:
            if self.tank >= 100 or not on:
                self.tank = 0.0  # unloaded into the chaser trailer (or at the end of the day)
            harvesting = on and speed < 10
            crop = rng.uniform(8.5, 11.5) if harvesting else 0.0
            self.tank = min(self.tank + crop * rng.uniform(1.6, 2.1), 100.0)
            values["grain_tank_fill"] = round(self.tank, 1)
            values["yield"] = round(crop, 2)
        return values


def weekday_shift(start_hour: int, end_hour: int, days_off: set[int]) -> Callable[[datetime], bool]:
    def working(t: datetime) -> bool:
        return t.weekday() not in days_off and start_hour <= t.hour < end_hour

    return working


def harvest_afternoons(harvest_days: set[int], origin: datetime) -> Callable[[datetime], bool]:
    def working(t: datetime) -> bool:
        return (t - origin).days in harvest_days and 11 <= t.hour < 20

    return working


@dataclass
class Dryer:
    grain_temp: float = 8.0
    plenum: float = 8.0
    moisture: float = 24.0
    cooling: int = 0

    def sample(self, t: datetime, rng: random.Random) -> dict[str, float]:
        if self.cooling > 0:  # batch done: burner off, cool down, then reload
            self.cooling -= 1
            burner = 0.0
            if self.cooling == 0:
                self.moisture = rng.uniform(22, 26)  # a fresh batch of wet maize
        else:
            burner = rng.uniform(380, 460)
            self.moisture -= rng.uniform(0.06, 0.1)
            if self.moisture <= 14.5:
                self.cooling = 18  # 90 minutes
        target_plenum = 82 if burner else ambient(t) + 2
        self.plenum = approach(self.plenum, target_plenum + rng.gauss(0, 1.5), 0.5)
        target_grain = 44 if burner else ambient(t) + 4
        self.grain_temp = approach(self.grain_temp, target_grain, 0.08)
        return {
            "grain_temp": round(self.grain_temp + rng.gauss(0, 0.3), 1),
            "plenum_temp": round(self.plenum, 1),
            "grain_moisture": round(self.moisture + rng.gauss(0, 0.05), 2),
            "burner_power": round(burner),
        }


@dataclass
class SoilNode:
    origin: datetime
    shallow: float = 31.0
    deep: float = 34.0
    soil_temp: float = 7.0
    battery: float = 3.9

    def sample(self, t: datetime, rng: random.Random) -> dict[str, float]:
        day = (t - self.origin).days
        raining = (day == 3 and t.hour >= 20) or (day == 4 and t.hour < 5)
        if raining:
            self.shallow = min(self.shallow + rng.uniform(0.13, 0.3), 44.0)
        else:
            self.shallow -= 0.004 + 0.01 * daylight(t)  # drainage and evaporation
        self.deep = approach(self.deep, self.shallow + 3, 0.007)
        self.soil_temp = approach(self.soil_temp, ambient(t) + 1, 0.04)
        solar = daylight(t) * (0.2 if raining else 1.0)
        self.battery = min(4.2, self.battery + 0.005 * solar - 0.0008)
        return {
            "soil_moisture_10cm": round(self.shallow + rng.gauss(0, 0.1), 2),
            "soil_moisture_30cm": round(self.deep + rng.gauss(0, 0.05), 2),
            "soil_temp": round(self.soil_temp + rng.gauss(0, 0.05), 2),
            "battery_voltage": round(self.battery, 3),
        }


def series(
    asset: str,
    sampler: Sampler,
    start: datetime,
    end: datetime,
    step: timedelta,
    rng: random.Random,
) -> Iterator[Row]:
    t = start
    while t <= end:
        for signal, value in sampler(t, rng).items():
            yield asset, signal, t, value
        t += step


def rows(end: datetime) -> list[Row]:
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    start = end - timedelta(days=DAYS)
    origin = start.replace(hour=0, minute=0)
    minutes = timedelta(minutes=1)
    tractor_1 = Machine("Tractor 1", weekday_shift(7, 17, {6}), (6, 11), (1500, 2000), 0.9)
    tractor_2 = Machine(
        "Tractor 2", weekday_shift(8, 15, {5, 6}), (3, 9), (1100, 1700), 0.6, fuel=55.0
    )
    combine = Machine(
        "Combine 1",
        harvest_afternoons({1, 2, 4, 5}, origin),
        (4, 7),
        (1900, 2100),
        1.3,
        harvester=True,
        system_volts=24,
        fuel=90.0,
    )
    plan: list[tuple[str, Sampler, timedelta]] = [
        ("Tractor 1", tractor_1.sample, 10 * minutes),
        ("Tractor 2", tractor_2.sample, 10 * minutes),
        ("Combine 1", combine.sample, 10 * minutes),
        ("Grain Dryer", Dryer().sample, 5 * minutes),
        ("Soil Node North Field", SoilNode(origin).sample, 10 * minutes),
    ]
    out: list[Row] = []
    for asset, sampler, step in plan:
        out.extend(series(asset, sampler, start + step, end, step, rng))
    out.sort(key=lambda r: (r[2], r[0], r[1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--end", help="ISO 8601 end of the week (default: this hour, UTC)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    end = (
        datetime.fromisoformat(args.end).astimezone(UTC)
        if args.end
        else datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    catalogue = args.out / "assets.json"
    catalogue.write_text(json.dumps({"assets": ASSETS}, indent=2, ensure_ascii=False) + "\n")
    data = rows(end)
    measurements = args.out / "measurements.csv"
    with measurements.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["asset", "signal", "ts", "value"])
        for asset, signal, ts, value in data:
            writer.writerow([asset, signal, ts.strftime("%Y-%m-%dT%H:%M:%SZ"), value])
    size = measurements.stat().st_size
    print(f"wrote {catalogue} and {measurements}: {len(data)} rows, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
