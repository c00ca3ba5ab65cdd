"""网格档案: one area at any level — who it is, how it compares, its neighbours, its open cases.

Comparisons are against the other areas of the same level in the whole city
(median and rank), computed from the same :func:`analytics.metrics.by_area` the map uses.
"""

from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd

from analytics import metrics
from analytics.filters import LEVELS, Filters, case_filter_sql, level_columns, period_params, scope_where

PROFILE_METRICS = (
    "reported",
    "reported_per_1000",
    "closure_rate",
    "on_time_closure_rate",
    "open_overdue",
    "median_handling_hours",
    "satisfaction_rate",
    "rework_rate",
)
LOWER_IS_BETTER = {"open_overdue", "median_handling_hours", "rework_rate"}
HIERARCHY = {
    "grid": ("community", "street", "district"),
    "community": ("street", "district"),
    "street": ("district",),
    "district": (),
}


def area_info(con: duckdb.DuckDBPyConnection, level: str, area: str, scope=None) -> dict | None:
    """Name, parents (id and name per coarser level), grid count and population profile of an area.

    With a ``scope``, only the area's granted grids count, and an area with none is unknown (None).
    """
    id_col, name_col = level_columns(level)
    scope_sql, params = scope_where(scope, "grids")
    parents = [(lv, *level_columns(lv)) for lv in HIERARCHY[level]]
    parent_cols = ", ".join(f"any_value({i}) AS {lv}_id, any_value({n}) AS {lv}_name" for lv, i, n in parents)
    sql = f"""SELECT any_value({name_col}) AS name, count(*) AS grids, sum(population) AS population,
                     sum(households) AS households, sum(elderly) AS elderly, sum(children) AS children,
                     sum(area_km2) AS area_km2 {", " + parent_cols if parent_cols else ""}
              FROM grids WHERE {id_col} = $area AND {scope_sql}"""
    row = con.cursor().execute(sql, {**params, "area": str(area)}).df()
    if row.empty or row["grids"].iloc[0] == 0:
        return None
    info = row.iloc[0].to_dict()
    info["level"], info["area_id"] = level, str(area)
    chain = [(lv, info.pop(f"{lv}_id"), info.pop(f"{lv}_name")) for lv, _, _ in parents]
    # a level the data lacks (e.g. no communities) is no parent; a parent without a name shows its id
    info["parents"] = [
        (lv, str(pid), str(pid) if pd.isna(name) else str(name)) for lv, pid, name in chain if pd.notna(pid)
    ]
    if pd.isna(info["name"]):
        info["name"] = str(area)
    return info


def children_level(level: str, present: tuple[str, ...] = LEVELS) -> str | None:
    """The next finer level among ``present`` (the levels the data has), or None below the finest."""
    finer = LEVELS[LEVELS.index(level) + 1 :]
    return next((lv for lv in finer if lv in present), None)


def kpi_context(
    peers: pd.DataFrame, area: str, names: tuple[str, ...] = PROFILE_METRICS, medians: dict | None = None
) -> pd.DataFrame:
    """Per metric: the area's value, the median of its peers (same level) and its rank (1 = best).

    Ranks are competition ranks among the areas with a value; lower-is-better metrics rank ascending.
    ``peers`` are the areas the user may see (see :mod:`analytics.access.scope`), so ranks and the
    median are among those; ``medians`` (from :func:`city_medians`), when given, replace the median
    with the whole city's.
    """
    peers = peers.set_index("area_id")
    rows = []
    for name in names:
        column = pd.to_numeric(peers[name], errors="coerce")
        ascending = name in LOWER_IS_BETTER or name in ("reported", "reported_per_1000")
        ranks = column.rank(method="min", ascending=ascending)
        value = column.get(area)
        rows.append(
            {
                "metric": name,
                "value": None if pd.isna(value) else float(value),
                "city_median": (
                    medians.get(name)
                    if medians is not None
                    else None
                    if column.dropna().empty
                    else float(column.median())
                ),
                "rank": None if pd.isna(ranks.get(area)) else int(ranks[area]),
                "ranked": int(column.notna().sum()),
            }
        )
    return pd.DataFrame(rows)


def neighbours(w, area: str) -> list[str]:
    """Areas that touch ``area`` in contiguity weights ``w`` (see :func:`analytics.hotspots.contiguity_weights`)."""
    return sorted(str(n) for n in w.neighbors.get(str(area), []))


OPEN_CASES_SQL = """
SELECT c.case_id, c.kind, c.category_code, c.category_name, c.department, g.grid_name, c.status,
       c.reported_at, c.due_at, (c.due_at < $end) AS overdue,
       round(epoch($end - c.due_at) / 3600.0, 1) AS hours_overdue, c.description
FROM cases c JOIN grids g ON g.grid_id = c.grid_id
WHERE c.reported_at < $end AND c.status <> 'cancelled' AND (c.closed_at IS NULL OR c.closed_at >= $end)
  AND {where}
ORDER BY overdue DESC, c.due_at NULLS LAST, c.case_id
LIMIT {limit}
"""


def open_cases(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 5000) -> pd.DataFrame:
    """Cases open at the end of P in the filter's area, overdue first (mask descriptions before showing)."""
    where, params = case_filter_sql(f)
    sql = OPEN_CASES_SQL.format(where=where, limit=int(limit))
    return con.cursor().execute(sql, {**params, "end": period_params(f)["end"]}).df()


def category_mix(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 10) -> pd.DataFrame:
    """Reported per major class in P, with the share of the area's total; the classes beyond the first
    ``limit`` are summed in one last row ``other`` (``kind`` and ``category_major`` both "other")."""
    where, params = case_filter_sql(f)
    sql = f"""SELECT c.kind, c.category_major, count(*) AS reported FROM cases c
              WHERE c.reported_at >= $start AND c.reported_at < $end AND {where}
              GROUP BY ALL ORDER BY reported DESC, c.kind, c.category_major"""
    frame = con.cursor().execute(sql, {**params, **period_params(f)}).df()
    total = frame["reported"].sum()
    top, rest = frame.head(int(limit)), frame.iloc[int(limit) :]
    if not rest.empty:
        other = pd.DataFrame([{"kind": "other", "category_major": "other", "reported": int(rest["reported"].sum())}])
        top = pd.concat([top, other], ignore_index=True)
    return top.assign(share=top["reported"] / total if total else None)


def peers(con: duckdb.DuckDBPyConnection, f: Filters, level: str, cfg: dict | None = None) -> pd.DataFrame:
    """Every area of ``level`` in the whole city, for comparison (the filter's area is dropped, the rest kept)."""
    return metrics.by_area(con, dataclasses.replace(f, level=None, area=None), level, cfg)


def city_medians(
    con: duckdb.DuckDBPyConnection, f: Filters, level: str, cfg: dict | None = None, names=PROFILE_METRICS
) -> dict | None:
    """The whole city's median per metric at ``level``, or None when the scope does not allow comparisons
    outside it (see :mod:`analytics.access.scope`: a single number per metric, never another area's row)."""
    if f.scope is not None and not f.scope.city_comparison:
        return None
    from analytics.access.scope import Scope

    city = metrics.by_area(con, dataclasses.replace(f, level=None, area=None, scope=Scope.city()), level, cfg)
    out = {}
    for name in names:
        column = pd.to_numeric(city[name], errors="coerce").dropna()
        out[name] = None if column.empty else float(column.median())
    return out
