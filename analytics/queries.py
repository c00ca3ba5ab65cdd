"""Small read queries shared by pages and commands: data range, areas, series, top categories.

Identifiers come from whitelists; values are bound as parameters.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics.filters import Filters, case_filter_sql, level_columns, period_params, scope_where

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
    con: duckdb.DuckDBPyConnection,
    level: str,
    parent_level: str | None = None,
    parent: str | None = None,
    scope=None,
) -> pd.DataFrame:
    """Areas of a level (``area_id``, ``area_name``), optionally inside one parent area and a scope."""
    id_col, name_col = level_columns(level)
    where, params = scope_where(scope, "grids")
    sql = (
        f"SELECT {id_col} AS area_id, any_value({name_col}) AS area_name FROM grids "
        f"WHERE {id_col} IS NOT NULL AND {where}"
    )
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


def area_geometries(con: duckdb.DuckDBPyConnection, level: str, scope=None) -> pd.DataFrame:
    """Area id, name and GeoJSON geometry per area of a level (grids as stored; coarser levels dissolved).

    With a ``scope``, only the granted grids (a coarser area is dissolved from its granted grids only).
    """
    id_col, name_col = level_columns(level)
    where, params = scope_where(scope, "grids")
    if level == "grid":
        sql = (
            "SELECT grid_id AS area_id, grid_name AS area_name, geometry, centroid_lon, centroid_lat "
            f"FROM grids WHERE {where} ORDER BY grid_id"
        )
        return con.cursor().execute(sql, params).df()
    from analytics.geo import dissolve  # geometry work only when a coarser level is asked for

    grids = (
        con.cursor()
        .execute(
            f"SELECT {id_col} AS area_id, {name_col} AS area_name, geometry FROM grids "
            f"WHERE {id_col} IS NOT NULL AND {where} ORDER BY grid_id",
            params,
        )
        .df()
    )
    return dissolve(grids)
