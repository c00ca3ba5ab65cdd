"""A period's summary counts and per-grid rows from the cube with one grouped count query.

:func:`cube_pair` returns what :func:`analytics.cube.read.cube_counts` and
:func:`analytics.cube.read.cube_by_area_frame` (grid level) return for a period and the previous one, reading the cube's counts
once, grouped by grid: the whole filter's counts are the sums of the groups' (every cube row counts in one group,
its grid's or, without a known grid, the null group's), the oldest suspended case the oldest of the groups'; only
the handling-time quantiles, which do not add up, are read by one histogram query for both periods
(:mod:`analytics.cube.histograms`). The overview's cube mode (:func:`analytics.period_pair.summaries_and_grids`)
calls it.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from analytics.cube import histograms, read
from analytics.filters import Filters, area_filter_sql, case_filter_sql

MAXIMA = ("suspended_overdue_max_days",)


def total_row(groups: pd.DataFrame) -> dict[str, Any]:
    """The ungrouped count query's row from the grouped one's rows: sums of the counts (whole numbers, the
    tenths too) and the largest age (None when no group has one).

    Examples
    --------
    >>> rows = pd.DataFrame({"area_id": ["a", None], "closed": [3, None], "suspended_overdue_max_days": [None, 2.5]})
    >>> total_row(rows)
    {'closed': 3, 'suspended_overdue_max_days': 2.5}
    """
    counts = [name for name in groups.columns if name != "area_id" and name not in MAXIMA]
    sums = groups[counts].fillna(0).astype("int64").sum().tolist() if len(groups) else [0] * len(counts)
    out: dict[str, Any] = dict(zip(counts, sums))
    for name in MAXIMA:
        column = groups[name]
        out[name] = float(column.max()) if column.notna().any() else None
    return {name: out[name] for name in groups.columns if name != "area_id"}


def cube_pair(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    previous: Filters,
    cfg: dict | None = None,
    area_quantiles: bool = True,
) -> tuple[tuple[dict, pd.DataFrame], tuple[dict, pd.DataFrame]]:
    """``((cube_counts, cube_by_area_frame at grid level) of f, (the same) of previous)`` (``previous`` differs
    from ``f`` only in its dates) from a grouped count query a period, one histogram query for both periods' grid and whole quantiles
    (:func:`analytics.cube.histograms.period_quantiles`; a second one for the whole filter only under an area
    filter) and one query of the grids. Without ``area_quantiles`` the grids' median and p90 are NaN and both
    periods' whole quantiles come from one histogram query summed per period and bin
    (:func:`analytics.cube.histograms.period_totals`: no row per grid read)."""
    where, params = case_filter_sql(f)
    area_where = area_filter_sql(f, "g")
    grouped_where = f"{where} AND {area_where}"
    whole = area_where == "TRUE"
    if area_quantiles:
        quantiles = histograms.period_quantiles(con, f, [f, previous], grouped_where, params, whole)
    else:
        totals = histograms.period_totals(con, f, [f, previous], where, params)
        quantiles = [histograms.PeriodQuantiles({}, total) for total in totals]
    areas = read.area_table(con, f, "grid")
    middles = read.bin_middles_hours(read.cube_settings_of(con))
    out = []
    for period, q in zip((f, previous), quantiles):
        bound = {**params, **read._params(con, period, cfg)}
        include = bound.pop("include_suspended")
        groups = con.cursor().execute(read.counts_sql(grouped_where, "grid_id", read.table_suffix(f)), bound).df()
        counts = read.to_metric_counts(total_row(groups), include)
        if q.total is None:
            hist = read._histogram(con, where, None, period, bound)
            counts["median_handling_hours"], counts["p90_handling_hours"] = read._quantiles(hist, middles)
        else:
            counts["median_handling_hours"], counts["p90_handling_hours"] = q.total
        out.append((counts, read.by_area_frame_with(areas, read.area_rows_with(groups, q.areas, include))))
    return out[0], out[1]
