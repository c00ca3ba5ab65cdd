"""``python -m analytics lake update --out DIR``: bring a lake up to date after ``sync`` or ``import --append``.

Both write a delta beside the database (:mod:`analytics.sync`); the live connection sees the base cases
replaced by it. The partitions (year, month, district) that hold a changed case, before or after the change,
are rewritten from the live cases, each written beside the lake and swapped in; the other tables are rewritten
whole. Nothing else of the lake is read or written.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb

from analytics.lake.export import LakeError, _ident, _quote_path, cases_with_partitions_sql, lake_cases_glob

CHANGED_IDS = "SELECT case_id FROM delta.cases UNION SELECT case_id FROM delta.touched"


def _has_delta(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'delta'").fetchone()[0])


def changed_partitions(con: duckdb.DuckDBPyConnection, lake: Path) -> list[tuple[int, int, str]]:
    """``(year, month, district)`` of every partition holding a changed case in the lake or in the live data."""
    glob = _quote_path(Path(lake_cases_glob(lake)))
    sql = f"""
        WITH changed AS ({CHANGED_IDS})
        SELECT DISTINCT year, month, district FROM ({cases_with_partitions_sql()}) n
        WHERE n.case_id IN (SELECT case_id FROM changed)
        UNION
        SELECT DISTINCT CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(district AS VARCHAR)
        FROM read_parquet({glob}, hive_partitioning = true) o
        WHERE o.case_id IN (SELECT case_id FROM changed)
        ORDER BY 1, 2, 3"""
    return [(int(y), int(m), str(d)) for y, m, d in con.execute(sql).fetchall()]


def _rewrite_partition(con: duckdb.DuckDBPyConnection, lake: Path, part: tuple[int, int, str]) -> int:
    year, month, district = part
    folder = lake / "cases" / f"year={year}" / f"month={month}" / f"district={district}"
    staging = folder.parent / f".{folder.name}.new-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    where = "year = $year AND month = $month AND district = $district"
    params = {"year": year, "month": month, "district": district}
    rows = con.execute(f"SELECT count(*) FROM ({cases_with_partitions_sql()}) p WHERE {where}", params).fetchone()[0]
    if rows:
        columns = "* EXCLUDE (year, month, district)"
        con.execute(
            f"COPY (SELECT {columns} FROM ({cases_with_partitions_sql()}) p WHERE {where})"
            f" TO {_quote_path(staging / f'part-{uuid.uuid4()}.parquet')} (FORMAT parquet, COMPRESSION zstd)",
            params,
        )
    old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
    if folder.exists():
        folder.rename(old)
    if rows:
        staging.rename(folder)
    else:
        shutil.rmtree(staging)
    shutil.rmtree(old, ignore_errors=True)
    return int(rows)


def update_lake(con: duckdb.DuckDBPyConnection, lake: str | os.PathLike) -> dict:
    """Rewrite the partitions of ``lake`` that the delta of the live connection ``con`` changed.

    Returns ``partitions`` (rewritten) and ``cases`` (rows now in them). Without a delta nothing changes.
    """
    lake = Path(lake)
    if not (lake / "cases").is_dir():
        raise LakeError(f"not a GridScope lake (no cases folder): {lake}")
    if not _has_delta(con):
        return {"lake": str(lake), "partitions": 0, "cases": 0}
    parts = changed_partitions(con, lake)
    cases = sum(_rewrite_partition(con, lake, part) for part in parts)
    for table in side_tables_live(con):
        con.execute(
            f"COPY (SELECT * FROM {_ident(table)}) TO {_quote_path(lake / (table + '.parquet'))} (FORMAT parquet)"
        )
    return {"lake": str(lake), "partitions": len(parts), "cases": cases}


def side_tables_live(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The names :func:`analytics.lake.export.side_tables` would export, as the live connection's views."""
    rows = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()"
        " AND view_name <> 'cases'"
    ).fetchall()
    names = {r[0] for r in rows}
    return [t for t in side_tables_of_base(con) if t in names]


def side_tables_of_base(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'base' AND schema_name = 'main'"
        " AND table_name <> 'cases' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]
