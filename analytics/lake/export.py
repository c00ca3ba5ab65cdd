"""``python -m analytics lake export --out DIR``: a GridScope database as a hive-partitioned Parquet lake.

Layout (``docs/scale.md``)::

    DIR/cases/year=2026/month=3/district=330192/part-<uuid>.parquet   every canonical column of ``cases``
    DIR/grids.parquet, categories.parquet, meta.parquet, rejects.parquet …   every other table, one file each

Cases are partitioned by the year and month of ``reported_at`` and by the district of their grid
(``district=_unlocated`` for cases without a grid), so an engine reading one area and period opens only its
folders. The export is written next to ``DIR`` and renamed into place at the end: a failed export leaves no
half-written lake. ``append_to_lake`` adds new cases (an ``import --append``) as new files in the same layout.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import duckdb

PARTITIONS = ("year", "month", "district")
UNLOCATED = "_unlocated"


class LakeError(ValueError):
    """The lake cannot be written or read (existing folder, missing table, bad path)."""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def side_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table of the database but ``cases`` (reference tables, rejects, the text index …), by name.

    They travel with the lake as one Parquet file each, so a cube database has every table the app reads.
    """
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        " AND table_name <> 'cases' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", r[0])]


def _quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def cases_with_partitions_sql(where: str = "TRUE") -> str:
    """Every column of ``cases`` plus ``year``, ``month`` and ``district`` (the partition columns)."""
    return (
        "SELECT c.*, year(c.reported_at) AS year, month(c.reported_at) AS month,"
        f" coalesce(g.district_id, '{UNLOCATED}') AS district"
        " FROM cases c LEFT JOIN grids g ON g.grid_id = c.grid_id"
        f" WHERE {where}"
    )


def _copy_cases(con: duckdb.DuckDBPyConnection, target: Path, where: str = "TRUE", params: dict | None = None) -> int:
    """Copy the matching cases one report month at a time (bounded memory: one month's partitions at once)."""
    months = con.execute(
        f"SELECT DISTINCT date_trunc('month', c.reported_at)::DATE FROM cases c WHERE {where} ORDER BY 1",
        params or {},
    ).fetchall()
    total = 0
    for (month,) in months:
        bound = {**(params or {}), "month_start": month, "month_end": _next_month(month)}
        in_month = f"({where}) AND c.reported_at >= $month_start AND c.reported_at < $month_end"
        total += con.execute(f"SELECT count(*) FROM cases c WHERE {in_month}", bound).fetchone()[0]
        con.execute(
            f"COPY ({cases_with_partitions_sql(in_month)}) TO {_quote_path(target)}"
            f" (FORMAT parquet, PARTITION_BY ({', '.join(PARTITIONS)}), FILENAME_PATTERN 'part-{{uuid}}',"
            " OVERWRITE_OR_IGNORE true, COMPRESSION zstd)",
            bound,
        )
    return int(total)


def _next_month(day):
    return day.replace(year=day.year + 1, month=1) if day.month == 12 else day.replace(month=day.month + 1)


def limit_memory(con: duckdb.DuckDBPyConnection, cfg: dict | None = None) -> None:
    """Bound DuckDB's memory for a lake or cube job (``[cube] duckdb_memory_limit``): it spills to disk beyond.

    Raises
    ------
    ValueError
        When the setting is not a size such as ``"3GB"``.
    """
    from analytics.config import DEFAULTS

    limit = str({**DEFAULTS["cube"], **(cfg or {}).get("cube", {})}["duckdb_memory_limit"])
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", limit):
        raise ValueError(f"[cube] duckdb_memory_limit must be a size such as '3GB', not {limit!r}")
    con.execute(f"SET memory_limit = '{limit}'")
    con.execute("SET preserve_insertion_order = false")


def export_lake(
    con: duckdb.DuckDBPyConnection, out: str | os.PathLike, replace: bool = False, cfg: dict | None = None
) -> dict:
    """Write the cases and reference tables of ``con`` as a lake at ``out``; return what was written.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A GridScope database (read-only is enough).
    out : path
        The lake folder. It must not exist unless ``replace`` is true.
    replace : bool
        Replace an existing lake (only once the new one is complete).

    Returns
    -------
    dict
        ``lake`` (the folder), ``cases`` (rows written), ``files`` (Parquet files) and ``bytes``.
    """
    out = Path(out)
    limit_memory(con, cfg)
    con.execute(f"SET temp_directory = {_quote_path(out.parent / '.gridscope-spill')}")  # not beside the database
    if out.exists() and not replace:
        raise LakeError(f"the lake folder already exists: {out} (use --replace to rebuild it)")
    with replaced_atomically(out) as staging:
        (staging / "cases").mkdir(parents=True)
        cases = _copy_cases(con, staging / "cases")
        for table in side_tables(con):
            con.execute(f"COPY {_ident(table)} TO {_quote_path(staging / (table + '.parquet'))} (FORMAT parquet)")
    files = list(out.rglob("*.parquet"))
    return {
        "lake": str(out),
        "cases": cases,
        "files": len(files),
        "bytes": sum(f.stat().st_size for f in files),
    }


@contextmanager
def replaced_atomically(out: Path):
    """A new folder path beside ``out`` (not yet created) to build in: when the block ends it replaces ``out``
    whole; on an error (or an interrupt) it is removed and ``out`` is left as it was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        yield staging
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def append_to_lake(con: duckdb.DuckDBPyConnection, lake: str | os.PathLike, case_ids_sql: str, params: dict) -> int:
    """Add the cases selected by ``case_ids_sql`` (a predicate on ``cases`` aliased ``c``) to an existing lake.

    New files join the same partitions; the reference tables are rewritten. Returns the rows added. The
    caller (``import --append``) passes only cases the lake does not hold yet.
    """
    lake = Path(lake)
    if not (lake / "cases").is_dir():
        raise LakeError(f"not a GridScope lake (no cases folder): {lake}")
    added = _copy_cases(con, lake / "cases", case_ids_sql, params)
    for table in side_tables(con):
        con.execute(f"COPY {_ident(table)} TO {_quote_path(lake / (table + '.parquet'))} (FORMAT parquet)")
    return added


def lake_cases_glob(lake: str | os.PathLike) -> str:
    """The glob of the lake's case files (hive partitions)."""
    return str(Path(lake) / "cases" / "**" / "*.parquet")
