"""Small read queries shared by pages and commands: data range, areas, series, top categories.

Identifiers come from whitelists; values are bound as parameters.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics.filters import LEVELS, Filters, case_filter_sql, level_columns, period_params, scope_where

GRAINS = {"day": "day", "week": "week", "month": "month"}


def grain_unit(grain: str) -> str:
    try:
        return GRAINS[grain]
    except KeyError:
        raise ValueError(f"unknown grain {grain!r}; expected one of {', '.join(GRAINS)}") from None


def data_range(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    """The data coverage ``[first, end)`` (:func:`analytics.coverage.data_coverage`), or None when empty.

    Recorded in ``meta.data_start`` / ``meta.data_end``; where a key is missing, the first report day and
    the day after the last report.
    """
    from analytics.coverage import data_coverage

    coverage = data_coverage(con)
    return None if coverage is None else (coverage.start, coverage.end)


def levels_present(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The area levels the loaded grids have (coarse to fine): a level is present when at least one grid
    has an id at it. ``grid`` is always present; an import without communities has no ``community``.
    """
    coarse = [lv for lv in LEVELS if lv != "grid"]
    counts = ", ".join(f"count({level_columns(lv)[0]})" for lv in coarse)
    row = con.cursor().execute(f"SELECT {counts} FROM grids").fetchone()
    return (*(lv for lv, n in zip(coarse, row) if n), "grid")


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


def top_categories(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 10, other: bool = False) -> pd.DataFrame:
    """Most reported categories in P with the count of the previous equal period and the ``share`` of all
    cases reported in P (the true total, not the sum of the rows shown).

    With ``other``, the categories beyond the first ``limit`` are summed in one last row whose
    ``category_code`` is ``other``, so the rows add up to the total.
    """
    return top_of(category_counts(con, f), limit, other)


def category_counts(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Every category reported in P with its count in P and in the previous equal period, most reported first:
    the rows :func:`top_of` picks from (one query for any number of top lists of the same filters)."""
    from analytics.cube.read import is_cube
    from analytics.cube.series import cube_category_counts

    if is_cube(con):  # province scale: the same rows from the cube (no case rows read)
        return cube_category_counts(con, f)
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
        ORDER BY reported DESC, c.category_code"""
    p = {**params, **period_params(f), "prev_start": period_params(prev)["start"]}
    return con.cursor().execute(sql, p).df()


def top_of(frame: pd.DataFrame, limit: int, other: bool = False) -> pd.DataFrame:
    """The first ``limit`` rows of :func:`category_counts` with their ``share`` (and the rest as ``other``)."""
    total = float(frame["reported"].sum())
    top, rest = frame.head(int(limit)).copy(), frame.iloc[int(limit) :]
    if other and not rest.empty:
        row = {"kind": None, "category_code": "other", "category_name": None, "category_major": None}
        row.update(reported=int(rest["reported"].sum()), reported_previous=int(rest["reported_previous"].sum()))
        top = pd.concat([top, pd.DataFrame([row])], ignore_index=True)
    top["share"] = top["reported"] / total if total else None
    return top


def area_geometries(con: duckdb.DuckDBPyConnection, level: str, scope=None) -> pd.DataFrame:
    """Area id, name and GeoJSON geometry per area of a level (grids as stored; coarser levels dissolved).

    With a ``scope``, only the granted grids (a coarser area is dissolved from its granted grids only).
    Grids without a boundary (an export whose boundary file lacks some grids) are left out: they have
    no place on a map or among neighbours, and their cases still count everywhere else.
    """
    id_col, name_col = level_columns(level)
    where, params = scope_where(scope, "grids")
    if level == "grid":
        sql = (
            "SELECT grid_id AS area_id, grid_name AS area_name, geometry, centroid_lon, centroid_lat "
            f"FROM grids WHERE geometry IS NOT NULL AND {where} ORDER BY grid_id"
        )
        return con.cursor().execute(sql, params).df()
    from analytics.geo import dissolve  # geometry work only when a coarser level is asked for

    grids = (
        con.cursor()
        .execute(
            f"SELECT {id_col} AS area_id, {name_col} AS area_name, geometry FROM grids "
            f"WHERE {id_col} IS NOT NULL AND geometry IS NOT NULL AND {where} ORDER BY grid_id",
            params,
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
