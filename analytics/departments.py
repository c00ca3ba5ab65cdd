"""Department (承办部门) metrics: dispatched, handled, on time, rework, open overdue, handling time.

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

HANDLED_IN_P = "c.handled_at >= $start AND c.handled_at < $end AND c.status <> 'cancelled'"
OPEN_OVERDUE_HANDLING = (
    "c.dispatched_at < $end AND c.status <> 'cancelled'"
    " AND (c.handled_at IS NULL OR c.handled_at >= $end) AND c.due_at < $end"
    " AND (c.status <> 'suspended' OR $include_suspended)"  # suspended (挂账) cases apart, as in metrics.py
)

DEPARTMENTS_SQL = """
SELECT c.department,
       any_value(d.department_name) AS department_name,
       any_value(d.department_name_en) AS department_name_en,
       count(*) FILTER (WHERE c.dispatched_at >= $start AND c.dispatched_at < $end) AS dispatched,
       count(*) FILTER (WHERE {handled}) AS handled,
       count(*) FILTER (WHERE {handled} AND c.handled_at <= c.due_at) AS handled_on_time,
       count(*) FILTER (WHERE {handled} AND c.due_at IS NULL) AS handled_without_deadline,
       count(*) FILTER (WHERE {handled} AND c.rework_count > 0) AS handled_with_rework,
       count(*) FILTER (WHERE {overdue}) AS open_overdue,
       quantile_cont(epoch(c.handled_at - c.dispatched_at) / 3600.0, 0.5)
           FILTER (WHERE {handled}) AS median_handling_hours,
       quantile_cont(epoch(c.handled_at - c.dispatched_at) / 3600.0, 0.9)
           FILTER (WHERE {handled}) AS p90_handling_hours
FROM cases c LEFT JOIN departments d ON d.department = c.department
WHERE c.department IS NOT NULL AND c.dispatched_at IS NOT NULL AND c.dispatched_at < $end
  AND (c.handled_at IS NULL OR c.handled_at >= $start) AND {where}
GROUP BY c.department
ORDER BY c.department
"""


def department_metrics(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None) -> pd.DataFrame:
    """One row per department with counts and rates (null where the denominator is 0).

    Suspended (挂账) cases are left out of the open overdue unless ``metrics.exclude_suspended`` is false.
    """
    where, params = case_filter_sql(f)
    sql = DEPARTMENTS_SQL.format(handled=HANDLED_IN_P, overdue=OPEN_OVERDUE_HANDLING, where=where)
    settings = {**DEFAULTS["metrics"], **(cfg or {}).get("metrics", {})}
    bound = {**params, **period_params(f), "include_suspended": not bool(settings["exclude_suspended"])}
    frame = con.cursor().execute(sql, bound).df()
    due = frame["handled"] + frame["open_overdue"]
    frame["due_to_handle"] = due
    frame["handled_rate"] = frame["handled"] / due.where(due > 0)
    timed = due - frame["handled_without_deadline"]
    frame["on_time_handling_rate"] = frame["handled_on_time"] / timed.where(timed > 0)
    frame["rework_rate"] = frame["handled_with_rework"] / due.where(due > 0)
    return frame
