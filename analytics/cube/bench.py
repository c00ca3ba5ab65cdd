"""``python -m analytics.cube.bench --db DB --work DIR``: lake export, cube build on DuckDB (and Spark with
``--spark``) and the overview's figures from the cube against the same figures from the case rows.

The overview's figures are the calls the overview makes for its tiles and map: :func:`analytics.metrics.summary`
for the period and the previous period and :func:`analytics.metrics.by_area` at grid level; timed on a fresh
connection (cold) and again (warm), best of ``--repeat``, wall-clock and CPU seconds. Prints one JSON object (``docs/performance.md``).
``--cubes A/cube.duckdb B/cube.duckdb`` only times those figures on cubes already built, alternating between them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import duckdb

from analytics.cube.build import CUBE_DB, build_cube
from analytics.filters import Filters
from analytics.lake.export import export_lake


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def overview_figures(db: Path, f: Filters, repeat: int = 3) -> dict[str, float]:
    """Seconds for the overview's summary (period and previous period) and grid map, cold and warm."""
    from analytics.metrics import by_area, summary

    def once(con) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        summary(con, f)
        summary(con, f.previous())
        by_area(con, f, "grid")
        return time.perf_counter() - started, time.process_time() - cpu

    con = duckdb.connect(str(db), read_only=True)
    cold = once(con)
    warm = min(once(con) for _ in range(repeat))
    con.close()
    # CPU seconds (all threads of this process) tell the work done apart from waiting for a shared machine
    return {
        "cold_seconds": round(cold[0], 3),
        "warm_seconds": round(warm[0], 3),
        "cold_cpu_seconds": round(cold[1], 3),
        "warm_cpu_seconds": round(warm[1], 3),
    }


def last_full_month(db: Path) -> Filters:
    con = duckdb.connect(str(db), read_only=True)
    end = dt.date.fromisoformat(con.execute("SELECT value FROM meta WHERE key = 'data_end'").fetchone()[0])
    con.close()
    first = end.replace(day=1)
    start = (first - dt.timedelta(days=1)).replace(day=1)
    return Filters(start, first)


def run(db: Path, work: Path, spark: bool, repeat: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    out: dict = {"db": str(db)}
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET enable_progress_bar = false")
    out["cases"] = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    started = time.perf_counter()
    lake = export_lake(con, work / "lake", replace=True)
    out["lake_export_seconds"] = round(time.perf_counter() - started, 1)
    out["lake_bytes"] = lake["bytes"]
    con.close()
    engines = ["duckdb", "spark"] if spark else ["duckdb"]
    for engine in engines:
        result = build_cube(work / "lake", work / f"cube_{engine}", engine=engine, replace=True)
        out[f"cube_{engine}_seconds"] = result["build_seconds"]
        out[f"cube_{engine}_rows"] = result["rows"]
    out["cube_parquet_bytes"] = _folder_bytes(work / "cube_duckdb") - (work / "cube_duckdb" / CUBE_DB).stat().st_size
    out["cube_duckdb_bytes"] = (work / "cube_duckdb" / CUBE_DB).stat().st_size
    f = last_full_month(db)
    out["period"] = [f.start.isoformat(), f.end.isoformat()]
    out["overview_from_cube"] = overview_figures(work / "cube_duckdb" / CUBE_DB, f, repeat)
    out["overview_from_cases"] = overview_figures(db, f, repeat)
    return out


def compare_cubes(cubes: list[Path], repeat: int, rounds: int = 3) -> dict:
    """The overview's figures on built cubes (``cube.duckdb`` files), side by side in one run: ``rounds``
    rounds, each timing every cube in turn (so a change in the machine's load hits them alike), with the
    load average beside each round."""
    import os

    out: dict = {str(c): [] for c in cubes}
    for _ in range(rounds):
        for cube in cubes:
            figures = overview_figures(cube, last_full_month(cube), repeat)
            out[str(cube)].append({**figures, "load_average_1min": round(os.getloadavg()[0], 2)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a GridScope database (read only)")
    parser.add_argument("--work", type=Path, help="a scratch folder for the lake and cubes")
    parser.add_argument("--spark", action="store_true", help="also build the cube on Spark in local mode")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cubes", nargs="+", type=Path, help="only time the overview on these cube.duckdb files")
    args = parser.parse_args(argv)
    if args.cubes:
        print(json.dumps(compare_cubes(args.cubes, args.repeat), indent=2))
        return 0
    if not args.db or not args.work:
        parser.error("--db and --work are required (or --cubes)")
    print(json.dumps(run(args.db, args.work, args.spark, args.repeat), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
