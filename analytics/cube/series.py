"""Report counts the overview's charts read from the cube instead of the case rows: the same frames.

:func:`cube_trend_counts` gives the rows :func:`analytics.trends.series` groups (reported per bucket and split
value) and :func:`cube_category_counts` the rows of :func:`analytics.queries.category_counts`, both from the
``reported`` column of ``daily`` (or its ``daily_by_kind`` roll-up when no category, major class or source is
filtered and the split needs none), which counts every case once on its report day. Equal to the case-level
frames by construction; ``tests/test_cube_pages.py`` compares the overview in both modes.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics.cube.read import cube_tables, table_suffix
from analytics.filters import Filters, area_filter_sql, area_params, case_filter_sql, level_columns

# Split values of analytics.trends.SPLITS the cube carries (column of daily aliased c); "area" joins grids.
CUBE_SPLITS = {
    "none": "'all'",
    "kind": "c.kind",
    "category": "c.category_code",
    "category_major": "c.category_major",
    "source": "c.source",
}
UNITS = ("day", "week", "month")
CATEGORY_DAILY = "daily_by_category"


def _category_source(con: duckdb.DuckDBPyConnection, where: str) -> str:
    """``daily_by_category`` (every grid and source summed) when the filter names no grid or source and the
    cube has it, else ``daily``."""
    if "c.grid_id" in where or "c.source" in where or CATEGORY_DAILY not in cube_tables(con):
        return "daily"
    return CATEGORY_DAILY


def cube_trend_counts(
    con: duckdb.DuckDBPyConnection, f: Filters, unit: str, split: str, area_col: str | None = None
) -> pd.DataFrame:
    """``bucket`` (timestamp), ``series`` (text), ``reported`` for every bucket and split value with reports in
    the period of ``f``; ``split = "area"`` groups by ``area_col`` of ``grids`` (whitelisted by the caller).

    Raises
    ------
    ValueError
        For a unit or split the cube cannot answer.
    """
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")
    if split == "area":
        expr, join = f"g.{area_col}", "JOIN grids g ON g.grid_id = c.grid_id"
    elif split in CUBE_SPLITS:
        expr, join = CUBE_SPLITS[split], ""
    else:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join([*CUBE_SPLITS, 'area'])}")
    where, params = case_filter_sql(f)
    suffix = table_suffix(f) if split in ("none", "kind", "area") else ""
    sql = f"""SELECT CAST(date_trunc('{unit}', c.day) AS TIMESTAMP) AS bucket, {expr}::TEXT AS series,
                     sum(c.reported)::BIGINT AS reported
              FROM daily{suffix} c {join}
              WHERE c.day >= $start_day AND c.day < $end_day AND {where}
              GROUP BY ALL HAVING sum(c.reported) > 0"""
    return con.cursor().execute(sql, {**params, "start_day": f.start, "end_day": f.end}).df()


def cube_category_counts(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """The frame of :func:`analytics.queries.category_counts` (kind, category, reported in the period and in
    the previous equal period) from ``daily``; category names from the ``categories`` table."""
    where, params = case_filter_sql(f)
    sql = f"""
        SELECT c.kind, c.category_code, any_value(k.category_name) AS category_name,
               any_value(c.category_major) AS category_major,
               coalesce(sum(c.reported) FILTER (WHERE c.day >= $start_day), 0)::BIGINT AS reported,
               coalesce(sum(c.reported) FILTER (WHERE c.day < $start_day), 0)::BIGINT AS reported_previous
        FROM {_category_source(con, where)} c LEFT JOIN categories k ON k.category_code = c.category_code
        WHERE c.day >= $previous_day AND c.day < $end_day AND {where}
        GROUP BY c.kind, c.category_code
        HAVING coalesce(sum(c.reported) FILTER (WHERE c.day >= $start_day), 0) > 0
        ORDER BY reported DESC, c.category_code"""
    bound = {**params, "start_day": f.start, "end_day": f.end, "previous_day": f.previous().start}
    return con.cursor().execute(sql, bound).df()


def cube_has_reports(con: duckdb.DuckDBPyConnection, first: dt.date | None = None, last: dt.date | None = None) -> bool:
    """True when the cube counts any report (in ``[first, last)`` when given): the cube-mode probe of
    :mod:`analytics.coverage`, which would otherwise open every file of the lake."""
    if first is None or last is None:
        return con.cursor().execute("SELECT 1 FROM daily_by_kind WHERE reported > 0 LIMIT 1").fetchone() is not None
    sql = "SELECT 1 FROM daily_by_kind WHERE day >= $first AND day < $last AND reported > 0 LIMIT 1"
    return con.cursor().execute(sql, {"first": first, "last": last}).fetchone() is not None


def cube_reported_by_area(con: duckdb.DuckDBPyConnection, f: Filters, level: str) -> pd.DataFrame:
    """The frame of :func:`analytics.metrics.reported_by_area` (every area of ``level``, reported in the
    period, 0 when none) from the cube."""
    id_col, name_col = level_columns(level)
    where, params = case_filter_sql(f)
    sql = f"""
        WITH areas AS (
            SELECT {id_col} AS area_id, any_value({name_col}) AS area_name
            FROM grids g WHERE {id_col} IS NOT NULL AND {area_filter_sql(f, "g")} GROUP BY {id_col}
        ), agg AS (
            SELECT g.{id_col} AS area_id, sum(c.reported) AS reported
            FROM daily{table_suffix(f)} c JOIN grids g ON g.grid_id = c.grid_id
            WHERE c.day >= $start_day AND c.day < $end_day AND {where}
            GROUP BY g.{id_col}
        )
        SELECT areas.area_id, areas.area_name, coalesce(agg.reported, 0)::BIGINT AS reported
        FROM areas LEFT JOIN agg USING (area_id)
        ORDER BY area_id"""
    bound = {**params, **area_params(f), "start_day": f.start, "end_day": f.end}
    return con.cursor().execute(sql, bound).df()


def cube_daily_category_counts(con: duckdb.DuckDBPyConnection, f: Filters, weeks: int) -> pd.DataFrame:
    """``day``, ``category_code``, ``name``, ``n`` (reports) from ``weeks`` before the period of ``f`` to its
    end: the rows :func:`analytics.alerts.daily_category_counts` pivots, from the cube."""
    where, params = case_filter_sql(f)
    sql = f"""
        SELECT c.day, c.category_code, any_value(k.category_name) AS name, sum(c.reported)::BIGINT AS n
        FROM {_category_source(con, where)} c LEFT JOIN categories k ON k.category_code = c.category_code
        WHERE c.day >= $first_day AND c.day < $end_day AND {where}
        GROUP BY c.day, c.category_code HAVING sum(c.reported) > 0"""
    bound = {**params, "first_day": f.start - dt.timedelta(weeks=int(weeks)), "end_day": f.end}
    return con.cursor().execute(sql, bound).df()
