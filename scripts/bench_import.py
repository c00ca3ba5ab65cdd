"""Import throughput on the real Boston 311 data: ``python scripts/bench_import.py``.

Times ``run_import`` (reading the parquet, mapping, validation, the point-in-precinct join with ward
and neighbourhood parents, writing the database atomically) in this process, excluding interpreter
start-up. ``--scale K`` also times a file holding the Boston rows K times (ids suffixed) to show the
per-row throughput once the fixed costs (boundaries, database creation) are spread out.

    python scripts/bench_import.py --repeat 3 --scale 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.ingest import BoundarySpec, ImportSpec, Layer, run_import  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "boston311_2015"


def boston_spec(db: Path, cases: Path) -> ImportSpec:
    boundaries = BoundarySpec(
        Layer(REAL / "boston_precincts_wgs84.geojson", "WARD_PRECINCT"),
        parent_layers={
            "community": Layer(REAL / "boston_wards.geojson", "WARD"),
            "street": Layer(REAL / "boston_neighborhoods.geojson", "Name"),
        },
    )
    return ImportSpec(db=db, cases=[cases], mapping="boston311", boundaries=boundaries, city_name="Boston")


def scaled_copy(folder: Path, times: int) -> Path:
    raw = pd.read_parquet(REAL / "boston311_2015.parquet")
    parts = [raw.assign(CASE_ENQUIRY_ID=raw["CASE_ENQUIRY_ID"] + f"-{k}") for k in range(times)]
    path = folder / f"boston_x{times}.parquet"
    pd.concat(parts, ignore_index=True).to_parquet(path, index=False)
    return path


def measure(label: str, cases: Path, folder: Path, repeat: int) -> None:
    """Wall time (best and median of ``repeat``) and the CPU time of the best run (all threads).

    On a shared machine the wall time depends on what else runs; CPU time does much less.
    """
    runs, rows = [], 0
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = run_import(boston_spec(folder / "bench.duckdb", cases))
        runs.append((time.perf_counter() - started, time.process_time() - cpu))
        rows = result.rows_in
    best, best_cpu = min(runs)
    median = statistics.median(wall for wall, _ in runs)
    print(
        f"{label:<14} {rows:>10,} rows  best {best:6.2f} s = {rows / best:>9,.0f} rows/s   "
        f"median {median:6.2f} s = {rows / median:>9,.0f} rows/s   cpu {best_cpu:6.2f} s "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=0, help="also time K copies of the Boston rows")
    args = parser.parse_args()
    if not REAL.exists():
        print(f"real data not found at {REAL}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_import(boston_spec(folder / "warm.duckdb", REAL / "boston311_2015.parquet"))  # imports, caches
        measure("boston311", REAL / "boston311_2015.parquet", folder, args.repeat)
        if args.scale > 1:
            measure(f"boston311 x{args.scale}", scaled_copy(folder, args.scale), folder, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
