"""``python -m analytics.lake.twin --lake DIR --out DIR``: a two-city (province-like) lake for sizing benchmarks.

The lake at ``--lake`` is copied to ``--out`` as it is, and a second city made from it is added beside it:
every code that names a place or a case is remapped so that the two cities cannot collide, the period and
the case timings stay the same. The second city:

- grids, communities, streets, districts: the city prefix ``3301`` becomes ``--city`` (``3302``), so
  ``330191001003006`` becomes ``330291001003006`` and its cases go to ``district=330291`` partitions;
- case ids: ``C2025…`` becomes ``C3302 2025…`` (``C33022025…``, no space), which no first-city id can be;
- departments: ``GAFJ`` becomes ``GAFJ_3302`` (each city has its own bureaus); the category catalogue is the
  province's, shared;
- grid workers, signals, text terms and planted PII follow their case, grid or department;
- coordinates (points, centroids, polygons) are moved by ``--shift-lon`` / ``--shift-lat`` degrees.

Cases are written one report month at a time under ``[cube] duckdb_memory_limit`` (bounded memory, as
``lake export``). The result is checked: case rows twice the source's, case ids unique, every grid of a case
in ``grids``. This is a benchmark tool (``docs/performance.md``, "Province scale"); it reads the source lake
only.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd

from analytics.lake.export import PARTITIONS, _next_month, _quote_path, lake_cases_glob, limit_memory

FIRST_CITY = "3301"


def _city(expr: str, city: str) -> str:
    """A place code with the first city's prefix replaced by ``city`` (NULL stays NULL)."""
    return f"CASE WHEN {expr} LIKE '{FIRST_CITY}%' THEN '{city}' || substr({expr}, 5) ELSE {expr} END"


def _shift_geometry(text: str | None, dlon: float, dlat: float) -> str | None:
    if text is None:
        return None
    shape = json.loads(text)

    def move(coords):
        if coords and isinstance(coords[0], (int, float)):
            return [round(coords[0] + dlon, 6), round(coords[1] + dlat, 6), *coords[2:]]
        return [move(c) for c in coords]

    shape["coordinates"] = move(shape["coordinates"])
    return json.dumps(shape, separators=(",", ":"))


def twin_cases_sql(source_glob: str, city: str, dlon: float, dlat: float, columns: list[str]) -> str:
    """The second city's cases with the partition columns (``$month_start``/``$month_end`` bound)."""
    remap = {
        "case_id": f"'C{city}' || substr(case_id, 2)",
        "grid_id": _city("grid_id", city),
        "lon": f"lon + {dlon!r}",
        "lat": f"lat + {dlat!r}",
        "department": f"CASE WHEN department IS NULL THEN NULL ELSE department || '_{city}' END",
        "reporter_worker_id": (
            f"CASE WHEN reporter_worker_id LIKE 'W{FIRST_CITY}%'"
            f" THEN 'W{city}' || substr(reporter_worker_id, 6) ELSE reporter_worker_id END"
        ),
        "district": f"CASE WHEN district = '_unlocated' THEN district ELSE '{city}' || substr(district, 5) END",
    }
    bad = [c for c in columns if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", c)]
    if bad:
        raise ValueError(f"unexpected column names in the lake: {bad}")
    select = ", ".join(f"{remap.get(c, c)} AS {c}" if c in remap else c for c in columns)
    return (
        f"SELECT {select} FROM read_parquet({_quote_path(source_glob)}, hive_partitioning = true,"
        " hive_types = {'year': INTEGER, 'month': INTEGER, 'district': VARCHAR})"
        " WHERE reported_at >= $month_start AND reported_at < $month_end"
    )


def _side_tables(con: duckdb.DuckDBPyConnection, src: Path, out: Path, city: str, dlon: float, dlat: float) -> None:

    def q(name: str) -> str:
        return _quote_path(src / f"{name}.parquet")

    grids = con.execute(f"SELECT * FROM read_parquet({q('grids')})").fetchdf()
    twin = grids.copy()
    for col in ("grid_id", "community_id", "street_id", "district_id"):
        twin[col] = twin[col].str.replace(f"^{FIRST_CITY}", city, regex=True)
    for col in ("grid_name", "community_name", "street_name", "district_name"):
        twin[col] = twin[col] + f"（{city}）"
    twin["centroid_lon"] = twin["centroid_lon"] + dlon
    twin["centroid_lat"] = twin["centroid_lat"] + dlat
    twin["geometry"] = [_shift_geometry(g, dlon, dlat) for g in twin["geometry"]]
    both = pd.concat([grids, twin], ignore_index=True)
    con.register("both_grids", both)
    con.execute(f"COPY both_grids TO {_quote_path(out / 'grids.parquet')} (FORMAT parquet)")
    con.unregister("both_grids")
    tables = {
        "departments": (
            f"SELECT department || '_{city}', department_name || '（{city}）', department_name_en || ' ({city})'"
        ),
        "workers": f"SELECT 'W{city}' || substr(worker_id, 6), {_city('grid_id', city)}, role, full_time",
        "signals": (
            "SELECT signal, subject_type, CASE subject_type"
            f" WHEN 'case' THEN 'C{city}' || substr(subject_id, 2)"
            f" WHEN 'grid' THEN {_city('subject_id', city)}"
            f" WHEN 'department' THEN subject_id || '_{city}' ELSE subject_id END,"
            f" start_date, end_date, regexp_replace(detail, '\"{FIRST_CITY}(\\d)', '\"{city}\\1', 'g')"
        ),
        "case_terms": f"SELECT 'C{city}' || substr(case_id, 2), reported_at, term",
        "pii_planted": f"SELECT 'C{city}' || substr(case_id, 2), pii_type, value",
    }
    for name, twin_select in tables.items():
        con.execute(
            f"COPY (SELECT * FROM read_parquet({q(name)}) UNION ALL {twin_select} FROM read_parquet({q(name)}))"
            f" TO {_quote_path(out / (name + '.parquet'))} (FORMAT parquet, COMPRESSION zstd)"
        )
    for name in ("categories", "rejects"):  # the province's catalogue; no rejects
        shutil.copyfile(src / f"{name}.parquet", out / f"{name}.parquet")
    cases = con.execute(f"SELECT count(*) FROM read_parquet({_quote_path(lake_cases_glob(out))})").fetchone()[0]
    con.execute(
        f"COPY (SELECT key, CASE key WHEN 'demo_cases' THEN '{cases}'"
        " WHEN 'city_name' THEN '示范省（两市，演示数据）' WHEN 'city_name_en' THEN 'Demo Province (two cities, synthetic)'"
        f" ELSE value END AS value FROM read_parquet({q('meta')})) TO {_quote_path(out / 'meta.parquet')} (FORMAT parquet)"
    )


def build_twin(
    src: str | Path, out: str | Path, city: str = "3302", dlon: float = 1.4, dlat: float = -0.4, cfg=None
) -> dict:
    """Copy the lake ``src`` to ``out`` and add a second city; return counts and checks.

    Raises
    ------
    ValueError
        When ``out`` exists, ``city`` is not four digits or the checks fail.
    """
    src, out = Path(src), Path(out)
    if out.exists():
        raise ValueError(f"{out} exists")
    if not (len(city) == 4 and city.isdigit() and city != FIRST_CITY):
        raise ValueError(f"--city must be four digits other than {FIRST_CITY}, not {city!r}")
    started = time.perf_counter()
    shutil.copytree(src / "cases", out / "cases")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    limit_memory(con, cfg)
    con.execute(f"SET temp_directory = {_quote_path(out.parent / '.gridscope-spill')}")
    source_glob = lake_cases_glob(src)
    columns = [
        r[0]
        for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_quote_path(source_glob)}, hive_partitioning = true)"
        ).fetchall()
    ]
    months = con.execute(
        f"SELECT DISTINCT date_trunc('month', reported_at)::DATE FROM read_parquet({_quote_path(source_glob)})"
        " ORDER BY 1"
    ).fetchall()
    sql = twin_cases_sql(source_glob, city, dlon, dlat, columns)
    for (month,) in months:
        con.execute(
            f"COPY ({sql}) TO {_quote_path(out / 'cases')} (FORMAT parquet, PARTITION_BY ({', '.join(PARTITIONS)}),"
            " FILENAME_PATTERN 'part-{uuid}', OVERWRITE_OR_IGNORE true, COMPRESSION zstd)",
            {"month_start": month, "month_end": _next_month(month)},
        )
    cases_seconds = time.perf_counter() - started
    _side_tables(con, src, out, city, dlon, dlat)
    report = check_twin(con, src, out)
    con.close()
    files = list(out.rglob("*.parquet"))
    return {
        **report,
        "cases_seconds": round(cases_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": sum(f.stat().st_size for f in files),
        "case_bytes": sum(f.stat().st_size for f in (out / "cases").rglob("*.parquet")),
    }


def check_twin(con: duckdb.DuckDBPyConnection, src: Path, out: Path) -> dict:
    """Row counts and key uniqueness of a two-city lake (raises ``ValueError`` when one fails)."""
    cases = f"read_parquet({_quote_path(lake_cases_glob(out))}, hive_partitioning = true)"
    source = con.execute(f"SELECT count(*) FROM read_parquet({_quote_path(lake_cases_glob(src))})").fetchone()[0]
    rows, ids = con.execute(f"SELECT count(*), count(DISTINCT case_id) FROM {cases}").fetchone()
    grids, grid_ids = con.execute(
        f"SELECT count(*), count(DISTINCT grid_id) FROM read_parquet({_quote_path(out / 'grids.parquet')})"
    ).fetchone()
    orphans = con.execute(
        f"SELECT count(*) FROM {cases} c WHERE c.grid_id IS NOT NULL AND c.grid_id NOT IN"
        f" (SELECT grid_id FROM read_parquet({_quote_path(out / 'grids.parquet')}))"
    ).fetchone()[0]
    misplaced = con.execute(
        f"SELECT count(*) FROM {cases} WHERE grid_id IS NOT NULL AND substr(grid_id, 1, 6) <> district::VARCHAR"
    ).fetchone()[0]
    report = {
        "source_cases": source,
        "cases": rows,
        "distinct_case_ids": ids,
        "grids": grids,
        "orphan_grid_cases": orphans,
        "misplaced": misplaced,
    }
    if rows != 2 * source or ids != rows or grid_ids != grids or orphans or misplaced:
        raise ValueError(f"the two-city lake fails its checks: {report}")
    return report


def main(argv: list[str] | None = None) -> int:
    from analytics.config import load_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="the source lake (read only)")
    parser.add_argument("--out", required=True, help="the two-city lake (must not exist)")
    parser.add_argument("--city", default="3302", help="the second city's four-digit prefix")
    parser.add_argument("--shift-lon", type=float, default=1.4)
    parser.add_argument("--shift-lat", type=float, default=-0.4)
    args = parser.parse_args(argv)
    report = build_twin(args.lake, args.out, args.city, args.shift_lon, args.shift_lat, load_config())
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
