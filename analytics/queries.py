"""Small read queries shared by pages and commands: data range, areas, series, top categories.

Identifiers come from whitelists; values are bound as parameters.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics.filters import Filters, case_filter_sql, level_columns, period_params

GRAINS = {"day": "day", "week": "week", "month": "month"}


def grain_unit(grain: str) -> str:
    try:
        return GRAINS[grain]
    except KeyError:
        raise ValueError(f"unknown grain {grain!r}; expected one of {', '.join(GRAINS)}") from None


def data_range(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    """First day with a report and the end of the data (``[first, end)``), or None when empty.

    The end is the dataset's as-of day (``meta.data_end``) when recorded, else the day after the last report.
    """
    cur = con.cursor()
    row = cur.execute("SELECT min(reported_at), max(reported_at) FROM cases").fetchone()
    if row[0] is None:
        return None
    as_of = cur.execute("SELECT value FROM meta WHERE key = 'data_end'").fetchone()
    end = dt.date.fromisoformat(as_of[0][:10]) if as_of else row[1].date() + dt.timedelta(days=1)
    return row[0].date(), end


def areas(
    con: duckdb.DuckDBPyConnection, level: str, parent_level: str | None = None, parent: str | None = None
) -> pd.DataFrame:
    """Areas of a level (``area_id``, ``area_name``), optionally inside one parent area."""
    id_col, name_col = level_columns(level)
    sql = f"SELECT {id_col} AS area_id, any_value({name_col}) AS area_name FROM grids WHERE {id_col} IS NOT NULL"
    params: dict = {}
    if parent_level is not None and parent is not None:
        parent_col, _ = level_columns(parent_level)
        sql += f" AND {parent_col} = $parent"
        params["parent"] = str(parent)
    return con.cursor().execute(sql + f" GROUP BY {id_col} ORDER BY {id_col}", params).df()


def top_categories(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 10) -> pd.DataFrame:
    """Most reported categories in P with the count of the previous equal period."""
    where, params = case_filter_sql(f)
    prev = f.previous()
    sql = f"""
        SELECT c.kind, c.category_code, any_value(c.category_name) AS category_name,
               any_value(c.category_major) AS category_major,
               count(*) FILTER (WHERE c.reported_at >= $start) AS reported,
               count(*) FILTER (WHERE c.reported_at < $start) AS reported_previous
        FROM cases c
        WHERE c.reported_at >= $prev_start AND c.reported_at < $end AND {where}
        GROUP BY c.kind, c.category_code
        HAVING count(*) FILTER (WHERE c.reported_at >= $start) > 0
        ORDER BY reported DESC, c.category_code LIMIT {int(limit)}"""
    p = {**params, **period_params(f), "prev_start": period_params(prev)["start"]}
    return con.cursor().execute(sql, p).df()


def area_geometries(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """Area id, name and GeoJSON geometry per area of a level (grids as stored; coarser levels dissolved)."""
    id_col, name_col = level_columns(level)
    if level == "grid":
        sql = (
            "SELECT grid_id AS area_id, grid_name AS area_name, geometry, centroid_lon, centroid_lat "
            "FROM grids ORDER BY grid_id"
        )
        return con.cursor().execute(sql).df()
    from analytics.geo import dissolve  # geometry work only when a coarser level is asked for

    grids = (
        con.cursor()
        .execute(
            f"SELECT {id_col} AS area_id, {name_col} AS area_name, geometry FROM grids "
            f"WHERE {id_col} IS NOT NULL ORDER BY grid_id"
        )
        .df()
    )
    return dissolve(grids)


def display_names(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, dict[str, str]]:
    """Department, category and major-class names in ``lang`` (English where the reference data has it,
    else the stored name): ``{"department": {code: name}, "category": {…}, "major": {…}}``."""
    cur = con.cursor()
    en = lang == "en"
    depts = cur.execute(
        "SELECT department, department_name, coalesce(department_name_en, department_name) FROM departments"
    ).fetchall()
    cats = cur.execute(
        "SELECT category_code, category_name, coalesce(category_name_en, category_name) FROM categories"
    ).fetchall()
    majors = cur.execute(
        "SELECT category_major, any_value(coalesce(category_major_en, category_major)) FROM categories GROUP BY 1"
    ).fetchall()
    return {
        "department": {d: (e if en else z) for d, z, e in depts},
        "category": {c: (e if en else z) for c, z, e in cats},
        "major": {m: (e if en else m) for m, e in majors},
    }
