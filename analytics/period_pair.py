"""A period and its comparison period in one scan: both summaries and both per-grid frames.

The overview needs :func:`analytics.metrics.summary` and :func:`analytics.metrics.by_area` (grid level) of
the period and of the previous one: four aggregate queries over the same cases. Here the cases relevant to
either period are read once, joined with a two-row table of periods and aggregated per period and grid; the
whole filter's counts are the sums of the grids' (every case counts in its grid's group, also a case without
a known grid), the oldest suspended case the oldest of the grids', and only the two handling-time quantiles,
which do not add up, are read by a second, narrow query. The aggregates are those of
:data:`analytics.metrics.AGGREGATES` with the period's bounds taken from the table of periods: the numbers
are those of the plain functions (``tests/test_fastpath.py``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from analytics import metrics
from analytics.casedays import read as casedays
from analytics.filters import Filters, area_filter_sql, case_filter_sql, level_columns, period_params

BOUNDS = ("p.p_start", "p.p_end")


@dataclass(frozen=True)
class PeriodPair:
    """:func:`analytics.metrics.summary` and :func:`analytics.metrics.by_area` of a period and of its
    comparison period."""

    current: dict[str, Any]
    previous: dict[str, Any]
    areas: pd.DataFrame
    previous_areas: pd.DataFrame


def _on_bounds(sql: str, start: str, end: str) -> str:
    return sql.replace("$start", start).replace("$end", end)


# How the whole filter's value of each aggregate follows from the per-grid values: counts add up, points are
# whole tenths that add up, the largest age is the largest of the grids'; quantiles do not follow (read apart,
# :func:`quantiles_sql`).
QUANTILES = metrics.AREA_QUANTILES  # the handling-time quantiles, which do not add up over grids
MAXIMA = ("suspended_overdue_max_days",)
TENTHS = ("satisfaction_points",)
COUNTS = tuple(name for name in metrics.AGGREGATES if name not in QUANTILES + MAXIMA + TENTHS)
if any(not metrics.AGGREGATES[name].startswith("count(*) FILTER") for name in COUNTS):  # a new kind: say so
    raise ImportError("analytics.period_pair: every aggregate must be a count, tenths, a maximum or a quantile")


def _pair_sql(where: str, out_of_order_kept: bool, select: str, group_by: str) -> str:
    cases = _on_bounds(metrics.relevant_cases_sql(where, out_of_order_kept), "$window_start", "$window_end")
    relevant = _on_bounds(metrics.RELEVANT, *BOUNDS)
    return f"""
WITH periods AS (
    SELECT * FROM (VALUES (0, $start::TIMESTAMP, $end::TIMESTAMP),
                          (1, $previous_start::TIMESTAMP, $previous_end::TIMESTAMP)) p(period, p_start, p_end)
)
SELECT {select}
FROM {cases}
JOIN periods p ON ({relevant}) OR {metrics.OUT_OF_ORDER}
GROUP BY {group_by}"""


def period_pair_sql(where: str, out_of_order_kept: bool = False, area_quantiles: bool = True) -> str:
    """Every aggregate per ``(period, grid_id)`` over the cases of ``where`` (``grid_id`` as the case has it,
    null or unknown ones included, so that the groups add up to the whole filter); without ``area_quantiles``
    all but the :data:`QUANTILES`.

    ``$window_start``/``$window_end`` bound the cases of both periods (the earlier start, the later end);
    each case is joined with the periods it can count in (:data:`analytics.metrics.RELEVANT` for that
    period, or times out of order), so a FILTER never sees a case the plain query would not read.
    """
    chosen = [name for name in metrics.AGGREGATES if area_quantiles or name not in QUANTILES]
    aggregates = ",\n       ".join(_on_bounds(f"{metrics.AGGREGATES[name]} AS {name}", *BOUNDS) for name in chosen)
    return _pair_sql(where, out_of_order_kept, f"p.period, c.grid_id AS area_id, {aggregates}", "p.period, c.grid_id")


def quantiles_sql(where: str, out_of_order_kept: bool = False) -> str:
    """The :data:`QUANTILES` of each period over the whole filter (they cannot be added up from the grids)."""
    chosen = ",\n       ".join(_on_bounds(f"{metrics.AGGREGATES[name]} AS {name}", *BOUNDS) for name in QUANTILES)
    return _pair_sql(where, out_of_order_kept, f"p.period, {chosen}", "p.period")


def areas_sql(level: str, grid_where: str = "TRUE") -> str:
    """Every area of ``level`` (also those without cases) with its population, as :func:`metrics.by_area_sql`."""
    id_col, name_col = level_columns(level)
    return f"""
SELECT {id_col} AS area_id, any_value({name_col}) AS area_name,
       {metrics.AREA_POPULATION} AS population, count(*) AS grids,
       count(*) - count(population) AS grids_without_population
FROM grids g WHERE {id_col} IS NOT NULL AND {grid_where} GROUP BY {id_col}
ORDER BY area_id"""


def _area_rows(areas: pd.DataFrame, groups: pd.DataFrame, period: int, cfg: dict | None) -> pd.DataFrame:
    rows = groups[groups["period"] == period]
    rows = rows.drop(columns=["period"])
    frame = areas.merge(rows, on="area_id", how="left").sort_values("area_id", kind="stable")
    return metrics.area_frame(frame.reset_index(drop=True), cfg)


def summaries_and_grids(
    con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None, area_quantiles: bool = True
) -> PeriodPair:
    """Summary and per-grid rows of ``f`` and of ``f.previous()``, equal to :func:`metrics.summary` and
    :func:`metrics.by_area` (grid level) of each, from one aggregate query and one for the two medians;
    where the database holds the case-day counts (:mod:`analytics.casedays`), from those and three narrow
    queries. In cube mode (:mod:`analytics.cube`) each of the four comes from the cube instead.

    Without ``area_quantiles`` the grid frames have no ``median_handling_hours`` and ``p90_handling_hours``
    columns (the overview reads no grid's handling time; per grid they are most of the quantile query's work);
    the summaries keep theirs.
    """
    previous = f.previous()
    if metrics.is_cube(con):  # province scale: the cube answers each period (no case rows read)
        pair = _cube_pair(con, f, previous, cfg, area_quantiles)
        if area_quantiles:
            return pair
        return dataclasses.replace(
            pair,
            areas=pair.areas.drop(columns=list(QUANTILES)),
            previous_areas=pair.previous_areas.drop(columns=list(QUANTILES)),
        )
    where, params = case_filter_sql(f)
    now, before = period_params(f), period_params(previous)
    bound = {
        **params,
        **now,
        "previous_start": before["start"],
        "previous_end": before["end"],
        "window_start": min(now["start"], before["start"]),
        "window_end": max(now["end"], before["end"]),
        **metrics.metric_params(con, cfg),
    }
    if casedays.usable(con, f, cfg):  # the counts from the case-day table, the rest from narrow queries
        groups, quantiles = casedays.pair_groups(con, where, bound, cfg, area_quantiles=area_quantiles)
    else:
        kept = metrics.out_of_order_kept(con)
        groups = con.cursor().execute(period_pair_sql(where, kept, area_quantiles), bound).df()
        used = quantiles_sql(where, kept)
        quantiles = con.cursor().execute(used, {k: v for k, v in bound.items() if f"${k}" in used}).df()
    grid_where = area_filter_sql(f, "g")
    areas_query = areas_sql("grid", grid_where)
    areas = con.cursor().execute(areas_query, {k: v for k, v in params.items() if f"${k}" in areas_query}).df()
    return PeriodPair(
        current=metrics.summary_from_row(con, f, _total_row(groups, quantiles, 0), cfg),
        previous=metrics.summary_from_row(con, previous, _total_row(groups, quantiles, 1), cfg),
        areas=_area_rows(areas, groups, 0, cfg),
        previous_areas=_area_rows(areas, groups, 1, cfg),
    )


def _cube_pair(
    con: duckdb.DuckDBPyConnection, f: Filters, previous: Filters, cfg: dict | None, area_quantiles: bool = True
) -> PeriodPair:
    """Each period's summary and grid rows from one grouped count query of the cube (:mod:`analytics.cube.pair`),
    equal to :func:`metrics.summary` and :func:`metrics.by_area` of the cube (without ``area_quantiles`` the grids'
    quantile columns are NaN: no grid's histogram is read)."""
    from analytics.cube.pair import cube_pair

    (now, now_areas), (before, before_areas) = cube_pair(con, f, previous, cfg, area_quantiles)
    return PeriodPair(
        current=metrics.summary_from_counts(con, f, now, cfg),
        previous=metrics.summary_from_counts(con, previous, before, cfg),
        areas=metrics.area_frame(now_areas, cfg),
        previous_areas=metrics.area_frame(before_areas, cfg),
    )


def _total_row(groups: pd.DataFrame, quantiles: pd.DataFrame, period: int) -> tuple:
    """The whole filter's aggregates of one period, in :data:`analytics.metrics.AGGREGATES` order, as the plain
    one-row query returns them (ints for counts, floats, None where no case counts)."""
    rows = groups[groups["period"] == period]
    medians = quantiles[quantiles["period"] == period]
    values = []
    for name in metrics.AGGREGATES:
        if name in QUANTILES:
            value = medians[name].iloc[0] if len(medians) else None
        elif name in MAXIMA:
            value = rows[name].max() if rows[name].notna().any() else None
        elif name in TENTHS:  # each grid's value is a whole number of tenths divided by 10, as the total is
            value = int((rows[name] * 10).round().astype("int64").sum()) / 10
        else:
            value = int(rows[name].sum())
        values.append(_python(value))
    return tuple(values)


def _python(value):
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value
