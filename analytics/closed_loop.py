"""闭环督办: the lifecycle funnel, stage durations, the overdue case list and grid workers' table.

Funnel and stage times follow the cases *reported in P* through their lifecycle as
of the end of P; the overdue list is every open overdue case as of the end
(``metrics.md``: open overdue), with how many hours it is past its deadline.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.filters import Filters, area_filter_sql, case_filter_sql, period_params

STAGES = ("reported", "filed", "dispatched", "handled", "closed")
STAGE_PAIRS = (
    ("reported", "filed"),
    ("filed", "dispatched"),
    ("dispatched", "handled"),
    ("handled", "closed"),
    ("reported", "closed"),
)


def _at(stage: str) -> str:
    return f"c.{stage}_at"


FUNNEL_SQL = """
SELECT count(*) AS reported,
       count(*) FILTER (WHERE c.filed_at < $end AND c.status <> 'cancelled') AS filed,
       count(*) FILTER (WHERE (c.dispatched_at < $end OR (c.self_handled AND c.handled_at < $end))
                        AND c.status <> 'cancelled') AS dispatched,
       count(*) FILTER (WHERE c.handled_at < $end AND c.status <> 'cancelled') AS handled,
       count(*) FILTER (WHERE c.closed_at < $end AND c.status <> 'cancelled') AS closed,
       count(*) FILTER (WHERE c.status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE c.status = 'suspended') AS suspended,
       count(*) FILTER (WHERE c.rework_count > 0 AND c.status <> 'cancelled') AS rework,
       count(*) FILTER (WHERE c.self_handled AND c.closed_at < $end) AS self_handled
FROM cases c
WHERE c.reported_at >= $start AND c.reported_at < $end AND {where}
"""


def lifecycle_funnel(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, int]:
    """Cases reported in P that reached each stage by the end of P, plus cancelled, suspended, rework.

    Self-handled cases skip dispatch: they count as "dispatched" (to the grid worker) once handled, so the
    funnel never widens.
    """
    where, params = case_filter_sql(f)
    cur = con.cursor().execute(FUNNEL_SQL.format(where=where), {**params, **period_params(f)})
    names = [d[0] for d in cur.description]
    return dict(zip(names, (int(v) for v in cur.fetchone())))


def stage_durations_sql(where: str) -> str:
    """One scan of the cases reported in P: per step, its count in order, its count out of order and both
    quantiles of its hours as one list (``quantile_cont(x, [0.5, 0.9])``: one sorted state, not two)."""
    columns = []
    for i, (a, b) in enumerate(STAGE_PAIRS):
        done = f"{_at(a)} IS NOT NULL AND {_at(b)} < $end AND c.status <> 'cancelled'"
        in_order = f"{done} AND {_at(b)} >= {_at(a)}"
        columns.append(
            f"count(*) FILTER (WHERE {in_order}) AS cases_{i}, "
            f"count(*) FILTER (WHERE {done} AND {_at(b)} < {_at(a)}) AS negative_{i}, "
            f"quantile_cont(epoch({_at(b)} - {_at(a)}) / 3600.0, [0.5, 0.9]) FILTER (WHERE {in_order}) AS hours_{i}"
        )
    return (
        f"SELECT {', '.join(columns)} FROM cases c WHERE c.reported_at >= $start AND c.reported_at < $end AND {where}"
    )


def stage_durations(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Median and p90 hours per lifecycle step, over cases reported in P that completed the step by the end.

    A step that ends before it starts (e.g. closed before reported) has no duration: such cases are left
    out of ``cases``, the median and p90, and counted in ``negative``. One row per step of
    :data:`STAGE_PAIRS`, from one scan (:func:`stage_durations_sql`).
    """
    where, params = case_filter_sql(f)
    row = con.cursor().execute(stage_durations_sql(where), {**params, **period_params(f)}).fetchone()
    steps = [row[3 * i : 3 * i + 3] for i in range(len(STAGE_PAIRS))]
    hours = [(None, None) if quantiles is None else quantiles for _, _, quantiles in steps]
    return pd.DataFrame(
        {
            "stage_from": pd.Series([a for a, _ in STAGE_PAIRS], dtype="str"),
            "stage_to": pd.Series([b for _, b in STAGE_PAIRS], dtype="str"),
            "cases": pd.Series([int(cases) for cases, _, _ in steps], dtype="int64"),
            "negative": pd.Series([int(negative) for _, negative, _ in steps], dtype="int64"),
            "median_hours": pd.Series([median for median, _ in hours], dtype="float64"),
            "p90_hours": pd.Series([p90 for _, p90 in hours], dtype="float64"),
        }
    )


_OVERDUE_FROM = """
FROM cases c LEFT JOIN grids g ON g.grid_id = c.grid_id
WHERE c.filed_at < $end AND c.status <> 'cancelled' AND (c.closed_at IS NULL OR c.closed_at >= $end)
  AND c.due_at < $end AND {where}
"""
_DAYS_OVERDUE = "round(epoch($end - c.due_at) / 86400.0, 1)"
OVERDUE_SQL = (
    """
SELECT c.case_id, c.kind, c.category_code, c.category_name, c.department, c.grid_id, g.grid_name,
       g.community_name, g.street_name, c.status, c.reported_at, c.due_at,
       round(epoch($end - c.due_at) / 3600.0, 1) AS hours_overdue,
       """
    + _DAYS_OVERDUE
    + """ AS days_overdue, c.description"""
    + _OVERDUE_FROM
    + """ORDER BY hours_overdue DESC, c.case_id
LIMIT {limit}
"""
)
# Every open overdue case, however many the list holds: its count, and the median and oldest age in days
# (rounded to 0.1 day as the list shows them).
OVERDUE_SUMMARY_SQL = (
    f"SELECT count(*) AS count, quantile_cont({_DAYS_OVERDUE}, 0.5) AS median_days_overdue, "
    f"max({_DAYS_OVERDUE}) AS max_days_overdue" + _OVERDUE_FROM
)


def _overdue_where(f: Filters, suspended: bool | None) -> tuple[str, dict]:
    where, params = case_filter_sql(f)
    if suspended is not None:
        where += " AND c.status = 'suspended'" if suspended else " AND c.status <> 'suspended'"
    return where, {**params, "end": period_params(f)["end"]}


def overdue_cases(
    con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 5000, suspended: bool | None = False
) -> pd.DataFrame:
    """Open overdue cases as of the end of P, the ``limit`` most overdue first (descriptions unmasked: mask
    before showing); :func:`overdue_summary` counts them all.

    ``suspended``: False (default) leaves suspended (挂账) cases out, as open overdue does by default;
    True lists only them (the suspended overdue of ``metrics.md``); None lists both.
    """
    where, params = _overdue_where(f, suspended)
    return con.cursor().execute(OVERDUE_SQL.format(where=where, limit=int(limit)), params).df()


def overdue_summary(con: duckdb.DuckDBPyConnection, f: Filters, suspended: bool | None = False) -> dict:
    """Count, median and oldest age (days past the deadline, to 0.1 day) of every open overdue case as of the
    end of P — not only the ones :func:`overdue_cases` lists. ``suspended`` as there."""
    where, params = _overdue_where(f, suspended)
    count, median, oldest = con.cursor().execute(OVERDUE_SUMMARY_SQL.format(where=where), params).fetchone()
    return {
        "count": int(count),
        "median_days_overdue": None if median is None else float(median),
        "max_days_overdue": None if oldest is None else float(oldest),
    }


def listed_summary(listed: pd.DataFrame) -> dict:
    """:func:`overdue_summary` of a list from :func:`overdue_cases` that holds every case (fewer than its
    ``limit``): the same count, median and oldest age, without a second scan."""
    days = pd.to_numeric(listed["days_overdue"], errors="coerce").dropna()
    return {
        "count": len(listed),
        "median_days_overdue": float(days.median()) if len(days) else None,
        "max_days_overdue": float(days.max()) if len(days) else None,
    }


# The period's reports counted per reporter first (one key), then joined to the workers: grouping the joined rows
# by the workers' five columns cost twice the CPU at 20M cases.
WORKERS_SQL = """
WITH reported AS (
    SELECT c.reporter_worker_id AS worker_id,
           count(c.case_id) AS reports,
           count(c.case_id) FILTER (WHERE c.status <> 'cancelled') AS valid_reports,
           count(c.case_id) FILTER (WHERE c.status <> 'cancelled' AND c.self_handled AND c.dispatched_at IS NULL
                                    AND c.closed_at < $end) AS self_handled
    FROM cases c
    WHERE c.reporter_worker_id IS NOT NULL AND c.reported_at >= $start AND c.reported_at < $end AND {where}
    GROUP BY c.reporter_worker_id
)
SELECT w.worker_id, w.grid_id, g.grid_name, w.role, w.full_time,
       coalesce(r.reports, 0) AS reports,
       coalesce(r.valid_reports, 0) AS valid_reports,
       coalesce(r.self_handled, 0) AS self_handled
FROM workers w
LEFT JOIN grids g ON g.grid_id = w.grid_id
LEFT JOIN reported r ON r.worker_id = w.worker_id
WHERE {grid_where}
ORDER BY w.worker_id
"""


def worker_metrics(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per grid worker: reports in P, valid reports (not cancelled), self-handled; and their rates.

    ``valid_report_rate`` = valid reports / reports; ``self_handled_rate`` = self-handled / valid reports
    (the ``metrics.md`` self-handled rate, cancelled reports left out as everywhere).
    """
    where, params = case_filter_sql(f)
    grid_where = area_filter_sql(f, "g")
    sql = WORKERS_SQL.format(where=where, grid_where=grid_where)
    frame = con.cursor().execute(sql, {**params, **period_params(f)}).df()
    frame["valid_report_rate"] = frame["valid_reports"] / frame["reports"].where(frame["reports"] > 0)
    frame["self_handled_rate"] = frame["self_handled"] / frame["valid_reports"].where(frame["valid_reports"] > 0)
    return frame
