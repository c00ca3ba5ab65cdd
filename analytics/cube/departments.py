"""Department (承办部门) figures read from the cube's ``department_daily`` and ``department_histogram``.

:func:`cube_department_pair` gives the frames of :func:`analytics.departments.department_metrics_pair` (before
the rates) without reading a case row: the counts equal the case-level ones, the median and p90 handling times
come from the histogram within :func:`analytics.cube.read.quantile_error_bound`. The tables carry no category or
source, so a filter on either, a cube built before them, or a case handled before its dispatch in either period
(a data error the histogram cannot hold) returns ``None`` and the caller reads the case rows.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from analytics.cube.read import bin_middles_hours, cube_settings_of, cube_tables, quantiles_by_area
from analytics.filters import Filters, case_filter_sql

FLOWS = (
    "dispatched", "handled", "handled_on_time", "handled_without_deadline", "handled_with_rework",
    "dispatched_known", "dispatched_first_time",
)  # fmt: skip
NAN = float("nan")
TABLES = ("department_daily", "department_histogram")
CATEGORY_COLUMNS = ("c.category_code", "c.category_major", "c.source")
PERIODS = """periods AS (
    SELECT * FROM (VALUES (0, CAST($start_day AS DATE), CAST($end_day AS DATE)),
                          (1, CAST($previous_start AS DATE), CAST($previous_end AS DATE))) p(period, p_start, p_end)
)"""


def department_counts_sql(where: str, suffix: str) -> str:
    """Per period (0: the filter's, 1: the previous) and department: the flows of the period's days, the open
    overdue handling at its end (the running sum of every change before it) and the cases handled before
    their dispatch."""
    flows = ",\n".join(f"coalesce(sum(c.{n}) FILTER (WHERE c.day >= p.p_start), 0)::BIGINT AS {n}" for n in FLOWS)
    return f"""WITH {PERIODS}
SELECT p.period, c.department, {flows},
       coalesce(sum(c.handled_before_dispatch) FILTER (WHERE c.day >= p.p_start), 0)::BIGINT AS before_dispatch,
       coalesce(sum(c.open_overdue), 0)::BIGINT AS open_overdue,
       coalesce(sum(c.suspended_overdue), 0)::BIGINT AS suspended_overdue
FROM department_daily{suffix} c JOIN periods p ON c.day < p.p_end
WHERE {where}
GROUP BY p.period, c.department"""


def department_histogram_sql(where: str, suffix: str) -> str:
    """Per period and department, the handling-time histogram (``bin``, ``cases``) of the period's days."""
    return f"""WITH {PERIODS}
SELECT p.period, c.department AS area_id, c.bin, sum(c.cases)::BIGINT AS cases
FROM department_histogram{suffix} c JOIN periods p ON c.day >= p.p_start AND c.day < p.p_end
WHERE {where}
GROUP BY p.period, c.department, c.bin
ORDER BY p.period, c.department, c.bin"""


def cube_department_pair(
    con: duckdb.DuckDBPyConnection, f: Filters, include_suspended: bool
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The department frames of ``f`` and ``f.previous()`` from the cube (the columns of
    :data:`analytics.departments.DEPARTMENT_AGGREGATES`, one row per department with any count or open overdue
    case, ordered by department), or ``None`` when the cube cannot answer (see the module docstring)."""
    where, params = case_filter_sql(f)
    if any(column in where for column in CATEGORY_COLUMNS) or not set(TABLES) <= cube_tables(con):
        return None
    suffix = "" if "c.grid_id" in where else "_all_grids"  # no area or scope: the roll-up over the grids
    before = f.previous()
    bound: dict[str, Any] = {
        **params,
        "start_day": f.start,
        "end_day": f.end,
        "previous_start": before.start,
        "previous_end": before.end,
    }
    cur = con.cursor()
    counts = cur.execute(department_counts_sql(where, suffix), bound).df()
    if counts["before_dispatch"].sum() > 0:
        return None
    hist = cur.execute(department_histogram_sql(where, suffix), bound).df()
    names = cur.execute("SELECT department, department_name, department_name_en FROM departments").df()
    middles = bin_middles_hours(cube_settings_of(con))
    frames = []
    for period in (0, 1):
        frame = counts[counts["period"] == period].drop(columns=["period", "before_dispatch"])
        suspended = frame.pop("suspended_overdue")
        if include_suspended:
            frame["open_overdue"] = frame["open_overdue"] + suspended
        kept = frame[list(FLOWS)].sum(axis=1).gt(0) | frame["open_overdue"].gt(0) | suspended.gt(0)
        frame = frame[kept].merge(names, on="department", how="left")
        ids, quantiles = quantiles_by_area(hist[hist["period"] == period].reset_index(drop=True), middles)
        by_department = dict(zip(ids, quantiles))
        frame["median_handling_hours"] = [by_department.get(d, (NAN, NAN))[0] for d in frame["department"]]
        frame["p90_handling_hours"] = [by_department.get(d, (NAN, NAN))[1] for d in frame["department"]]
        order = ["department", "department_name", "department_name_en", *FLOWS[:5], "open_overdue"]
        order += ["median_handling_hours", "p90_handling_hours", *FLOWS[5:]]
        frames.append(frame[order].sort_values("department", ignore_index=True))
    return frames[0], frames[1]
