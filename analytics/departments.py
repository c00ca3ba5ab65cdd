"""Department (承办部门) metrics: dispatched, handled, on time, rework, open overdue, handling time,
first-dispatch accuracy (准确派遣率).

Follows the closed-loop pattern of ``metrics.md`` with the handling stage in place
of closure: *due to handle* = handled in P + dispatched cases not handled as of
the end whose deadline has passed. Handled rate and on-time handling rate use
that denominator.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.config import DEFAULTS
from analytics.filters import Filters, case_filter_sql, period_params

# 准确派遣率 (metrics.md): dispatched cases in P never re-dispatched / dispatched cases in P. Cases whose
# source does not record re-dispatches (redispatch_count NULL) are left out of both; cancelled cases too.
DISPATCHED_IN_P = "c.dispatched_at >= $start AND c.dispatched_at < $end AND c.status <> 'cancelled'"
DISPATCH_COUNTS_SQL = (
    f"count(*) FILTER (WHERE {DISPATCHED_IN_P} AND c.redispatch_count IS NOT NULL) AS dispatched_known,\n"
    f"       count(*) FILTER (WHERE {DISPATCHED_IN_P} AND c.redispatch_count = 0) AS dispatched_first_time"
)
HANDLED_IN_P = "c.handled_at >= $start AND c.handled_at < $end AND c.status <> 'cancelled'"
OPEN_OVERDUE_HANDLING = (
    "c.dispatched_at < $end AND c.status <> 'cancelled'"
    " AND (c.handled_at IS NULL OR c.handled_at >= $end) AND c.due_at < $end"
    " AND (c.status <> 'suspended' OR $include_suspended)"  # suspended (挂账) cases apart, as in metrics.py
)

# median and p90 handling hours as one list (one sorted state per department, not two), split by
# :func:`_split_quantiles` into ``median_handling_hours`` and ``p90_handling_hours`` in its place
HANDLING_QUANTILES = "handling_hours_quantiles"
DEPARTMENT_AGGREGATES = f"""any_value(d.department_name) AS department_name,
       any_value(d.department_name_en) AS department_name_en,
       count(*) FILTER (WHERE c.dispatched_at >= $start AND c.dispatched_at < $end) AS dispatched,
       count(*) FILTER (WHERE {HANDLED_IN_P}) AS handled,
       count(*) FILTER (WHERE {HANDLED_IN_P} AND c.handled_at <= c.due_at) AS handled_on_time,
       count(*) FILTER (WHERE {HANDLED_IN_P} AND c.due_at IS NULL) AS handled_without_deadline,
       count(*) FILTER (WHERE {HANDLED_IN_P} AND c.rework_count > 0) AS handled_with_rework,
       count(*) FILTER (WHERE {OPEN_OVERDUE_HANDLING}) AS open_overdue,
       quantile_cont(epoch(c.handled_at - c.dispatched_at) / 3600.0, [0.5, 0.9])
           FILTER (WHERE {HANDLED_IN_P}) AS {HANDLING_QUANTILES},
       {DISPATCH_COUNTS_SQL}"""
# The cases a department's numbers can count in P: dispatched before its end, not handled before its start.
DEPARTMENT_RELEVANT = "c.dispatched_at < $end AND (c.handled_at IS NULL OR c.handled_at >= $start)"
DEPARTMENTS_SQL = f"""
SELECT c.department,
       {DEPARTMENT_AGGREGATES}
FROM cases c LEFT JOIN departments d ON d.department = c.department
WHERE c.department IS NOT NULL AND c.dispatched_at IS NOT NULL AND {DEPARTMENT_RELEVANT} AND {{where}}
GROUP BY c.department
ORDER BY c.department
"""
# Both periods of a comparison in one scan (the overview's alerts): each case joined with the periods it counts
# in, the aggregates bound to that period's start and end.
DEPARTMENTS_PAIR_SQL = f"""
WITH periods AS (
    SELECT * FROM (VALUES (0, $start::TIMESTAMP, $end::TIMESTAMP),
                          (1, $previous_start::TIMESTAMP, $previous_end::TIMESTAMP)) p(period, p_start, p_end)
)
SELECT p.period, c.department,
       {DEPARTMENT_AGGREGATES.replace("$start", "p.p_start").replace("$end", "p.p_end")}
FROM cases c
JOIN periods p ON {DEPARTMENT_RELEVANT.replace("$start", "p.p_start").replace("$end", "p.p_end")}
LEFT JOIN departments d ON d.department = c.department
WHERE c.department IS NOT NULL AND c.dispatched_at IS NOT NULL
  AND {DEPARTMENT_RELEVANT.replace("$start", "$window_start").replace("$end", "$window_end")} AND {{where}}
GROUP BY p.period, c.department
ORDER BY p.period, c.department
"""


def _suspended_param(cfg: dict | None) -> dict:
    settings = {**DEFAULTS["metrics"], **(cfg or {}).get("metrics", {})}
    return {"include_suspended": not bool(settings["exclude_suspended"])}


def department_metrics(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None) -> pd.DataFrame:
    """One row per department with counts and rates (null where the denominator is 0).

    Suspended (挂账) cases are left out of the open overdue unless ``metrics.exclude_suspended`` is false.
    """
    where, params = case_filter_sql(f)
    bound = {**params, **period_params(f), **_suspended_param(cfg)}
    return _with_rates(_split_quantiles(con.cursor().execute(DEPARTMENTS_SQL.format(where=where), bound).df()))


def department_metrics_pair(
    con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`department_metrics` of ``f`` and of ``f.previous()``, from one query (equal to the two calls).

    On a cube database the frames come from the cube's department tables when they can answer
    (:func:`analytics.cube.departments.cube_department_pair`: medians within the histogram's bound, departments
    with no count and no open overdue case left out), else from the case rows.
    """
    from analytics.cube.departments import cube_department_pair
    from analytics.cube.read import is_cube

    if is_cube(con):
        pair = cube_department_pair(con, f, _suspended_param(cfg)["include_suspended"])
        if pair is not None:
            return _with_rates(pair[0]), _with_rates(pair[1])
    where, params = case_filter_sql(f)
    now, before = period_params(f), period_params(f.previous())
    bound = {
        **params,
        **now,
        "previous_start": before["start"],
        "previous_end": before["end"],
        "window_start": min(now["start"], before["start"]),
        "window_end": max(now["end"], before["end"]),
        **_suspended_param(cfg),
    }
    both = _split_quantiles(con.cursor().execute(DEPARTMENTS_PAIR_SQL.format(where=where), bound).df())
    frames = [both[both["period"] == period].drop(columns="period").reset_index(drop=True) for period in (0, 1)]
    return _with_rates(frames[0]), _with_rates(frames[1])


def _split_quantiles(frame: pd.DataFrame) -> pd.DataFrame:
    """The list column :data:`HANDLING_QUANTILES` replaced, in its place, by ``median_handling_hours`` and
    ``p90_handling_hours`` (float64, NaN for a department with nothing handled)."""
    pairs = [(None, None) if q is None or not hasattr(q, "__len__") else q for q in frame[HANDLING_QUANTILES]]
    columns = {}
    for name, values in frame.items():
        if name != HANDLING_QUANTILES:
            columns[name] = values
            continue
        for i, split in enumerate(("median_handling_hours", "p90_handling_hours")):
            columns[split] = pd.Series([pair[i] for pair in pairs], index=frame.index, dtype="float64")
    return pd.DataFrame(columns, index=frame.index)


def _with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    due = frame["handled"] + frame["open_overdue"]
    frame["due_to_handle"] = due
    frame["handled_rate"] = frame["handled"] / due.where(due > 0)
    timed = due - frame["handled_without_deadline"]
    frame["on_time_handling_rate"] = frame["handled_on_time"] / timed.where(timed > 0)
    frame["rework_rate"] = frame["handled_with_rework"] / due.where(due > 0)
    known = frame["dispatched_known"]
    frame["first_dispatch_accuracy"] = frame["dispatched_first_time"] / known.where(known > 0)
    return frame


FIRST_DISPATCH_SQL = f"""
SELECT {DISPATCH_COUNTS_SQL},
       count(*) FILTER (WHERE {DISPATCHED_IN_P}) AS dispatched
FROM cases c
WHERE c.dispatched_at >= $start AND c.dispatched_at < $end AND {{where}}
"""


def first_dispatch(con: duckdb.DuckDBPyConnection, f: Filters) -> dict:
    """准确派遣率 over the filter: ``dispatched`` (not cancelled, in P), ``dispatched_known`` (those whose
    re-dispatch count is known), ``dispatched_first_time`` and ``first_dispatch_accuracy`` (None when no
    dispatched case has a known count).
    """
    where, params = case_filter_sql(f)
    row = con.cursor().execute(FIRST_DISPATCH_SQL.format(where=where), {**params, **period_params(f)}).fetchone()
    out = {"dispatched_known": int(row[0]), "dispatched_first_time": int(row[1]), "dispatched": int(row[2])}
    known = out["dispatched_known"]
    out["first_dispatch_accuracy"] = out["dispatched_first_time"] / known if known else None
    return out


# What the overview's alerts read of the departments (analytics.alerts): handled cases and their median handling
# time in both periods, open overdue at the period's end. Narrow queries with the definitions above: the handled
# ones are found by their handling time (row groups skipped), the open overdue ones by one pass over four columns.
# The previous period ends where the period starts (Filters.previous), so the window splits at $start.
ALERT_HANDLED_SQL = """
SELECT CASE WHEN c.handled_at >= $start THEN 0 ELSE 1 END AS period, c.department, count(*) AS handled,
       quantile_cont(epoch(c.handled_at - c.dispatched_at) / 3600.0, 0.5) AS median_handling_hours
FROM cases c
WHERE c.handled_at >= $window_start AND c.handled_at < $window_end AND c.status <> 'cancelled'
  AND c.department IS NOT NULL AND c.dispatched_at IS NOT NULL
  AND c.dispatched_at < CASE WHEN c.handled_at >= $start THEN $end ELSE $start END AND {where}
GROUP BY ALL
"""
ALERT_OVERDUE_SQL = f"""
SELECT c.department, count(*) AS open_overdue
FROM cases c
WHERE {OPEN_OVERDUE_HANDLING} AND c.department IS NOT NULL AND c.dispatched_at IS NOT NULL AND {{where}}
GROUP BY ALL
"""


def alert_numbers(
    con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``department``, ``department_name``, ``handled`` and ``median_handling_hours`` of ``f`` and of
    ``f.previous()``, and ``open_overdue`` of ``f``, for the departments with a case handled (or, in ``f``, open
    overdue): equal to those columns of :func:`department_metrics` for them; departments with none are left out.

    On a cube database they come from the cube's department tables when those can answer (the counts exact,
    the medians within the histogram's bound, :func:`analytics.cube.departments.cube_department_pair`), so the
    cube-mode overview reads no case row of the lake."""
    from analytics.cube.read import is_cube

    if is_cube(con):
        from analytics.cube.departments import cube_department_pair

        pair = cube_department_pair(con, f, _suspended_param(cfg)["include_suspended"])
        if pair is not None:
            return _alert_rows(pair[0], True), _alert_rows(pair[1], False)
    where, params = case_filter_sql(f)
    now, before = period_params(f), period_params(f.previous())
    bound = {**params, **now, "window_start": before["start"], "window_end": now["end"], **_suspended_param(cfg)}
    handled_sql, overdue_sql = ALERT_HANDLED_SQL.format(where=where), ALERT_OVERDUE_SQL.format(where=where)
    handled = con.cursor().execute(handled_sql, {k: v for k, v in bound.items() if f"${k}" in handled_sql}).df()
    overdue = con.cursor().execute(overdue_sql, {k: v for k, v in bound.items() if f"${k}" in overdue_sql}).df()
    names = con.cursor().execute("SELECT department, department_name FROM departments").df()
    frames = []
    for period in (0, 1):
        rows = handled[handled["period"] == period].drop(columns="period")
        if period == 0:
            rows = rows.merge(overdue, on="department", how="outer")
        rows = rows.merge(names, on="department", how="left").sort_values("department", kind="stable")
        counts = ["handled", "open_overdue"] if period == 0 else ["handled"]
        rows[counts] = rows[counts].fillna(0).astype("int64")
        frames.append(rows.reset_index(drop=True))
    return frames[0], frames[1]


def _alert_rows(frame: pd.DataFrame, with_overdue: bool) -> pd.DataFrame:
    """The rows and columns :func:`alert_numbers` gives, from a frame of :func:`department_metrics_pair`'s:
    departments with a case handled or (``with_overdue``, the filter's period) open overdue."""
    columns = ["department", "handled", "median_handling_hours"]
    kept = frame["handled"].gt(0)
    if with_overdue:
        columns.append("open_overdue")
        kept |= frame["open_overdue"].gt(0)
    return frame.loc[kept, [*columns, "department_name"]].reset_index(drop=True)
