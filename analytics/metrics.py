"""Every number of ``shared/spec/metrics.md``, computed in SQL over the canonical tables.

One definition per metric, used by pages, exports, the ``report`` command and
tests. Period P = [start, end); cancelled cases count in ``reported`` only.

The aggregate expressions in :data:`AGGREGATES` are written once and used both for
a whole filter (:func:`summary`) and grouped by area level (:func:`by_area`).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from analytics.filters import Filters, area_filter_sql, case_filter_sql, level_columns, period_params

IN_P = "c.reported_at >= $start AND c.reported_at < $end"
CLOSED_IN_P = "c.closed_at >= $start AND c.closed_at < $end AND c.status <> 'cancelled'"
OPEN_OVERDUE = (
    "c.filed_at < $end AND c.status <> 'cancelled' AND (c.closed_at IS NULL OR c.closed_at >= $end) AND c.due_at < $end"
)
DISPUTE_RECEIVED = f"c.kind = 'dispute' AND {IN_P} AND c.status <> 'cancelled'"
DISPUTE_RESOLVED = f"{DISPUTE_RECEIVED} AND c.closed_at < $end AND c.resolution_level IS NOT NULL"
WORKER_REPORTED = f"c.reporter_worker_id IS NOT NULL AND {IN_P} AND c.status <> 'cancelled'"
HANDLING_HOURS = "epoch(c.closed_at - c.filed_at) / 3600.0"

# name -> SQL aggregate over cases aliased c (counts and sums; rates are derived in Python).
AGGREGATES: dict[str, str] = {
    "reported": f"count(*) FILTER (WHERE {IN_P})",
    "filed": "count(*) FILTER (WHERE c.filed_at >= $start AND c.filed_at < $end AND c.status <> 'cancelled')",
    "closed": f"count(*) FILTER (WHERE {CLOSED_IN_P})",
    "closed_on_time": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.closed_at <= c.due_at)",
    "closed_without_deadline": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.due_at IS NULL)",
    "open_overdue": f"count(*) FILTER (WHERE {OPEN_OVERDUE})",
    "closed_with_rework": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.rework_count > 0)",
    "worker_reported": f"count(*) FILTER (WHERE {WORKER_REPORTED})",
    "worker_self_handled": (
        f"count(*) FILTER (WHERE {WORKER_REPORTED} AND c.self_handled"
        " AND c.dispatched_at IS NULL AND c.closed_at < $end)"
    ),
    "median_handling_hours": f"quantile_cont({HANDLING_HOURS}, 0.5) FILTER (WHERE {CLOSED_IN_P})",
    "p90_handling_hours": f"quantile_cont({HANDLING_HOURS}, 0.9) FILTER (WHERE {CLOSED_IN_P})",
    "valid_callbacks": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.callback_valid)",
    "callbacks_contacted": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.callback_valid AND c.callback_contacted)",
    "callbacks_solved": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.callback_valid AND c.callback_solved)",
    "satisfaction_points": (
        f"coalesce(sum(CASE c.satisfaction WHEN 'satisfied' THEN 1.0 WHEN 'basic' THEN 0.9"
        f" ELSE 0.0 END) FILTER (WHERE {CLOSED_IN_P} AND c.callback_valid), 0)::DOUBLE"
    ),
    "disputes_received": f"count(*) FILTER (WHERE {DISPUTE_RECEIVED})",
    "disputes_resolved": f"count(*) FILTER (WHERE {DISPUTE_RESOLVED})",
    "disputes_resolved_local": (
        f"count(*) FILTER (WHERE {DISPUTE_RESOLVED} AND c.resolution_level IN ('grid', 'community'))"
    ),
    **{
        f"disputes_resolved_{level}": f"count(*) FILTER (WHERE {DISPUTE_RESOLVED} AND c.resolution_level = '{level}')"
        for level in ("grid", "community", "street", "district")
    },
}

# Rows that can contribute to any aggregate: reported before the end, and either
# touched by P or still open at its start (open overdue backlog).
RELEVANT = "c.reported_at < $end AND (c.closed_at IS NULL OR c.closed_at >= $start)"

RATE_KEYS = (
    "closure_rate",
    "on_time_closure_rate",
    "rework_rate",
    "self_handled_rate",
    "response_rate",
    "solve_rate",
    "satisfaction_rate",
    "three_rates_composite",
    "dispute_resolution_rate",
    "local_resolution_rate",
)


def _ratio(numerator, denominator):
    """numerator / denominator, or None (null) when the denominator is 0 or unknown."""
    if denominator is None or pd.isna(denominator) or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def derive_rates(counts: dict[str, Any], three_rate_weights: dict[str, float] | None = None) -> dict[str, Any]:
    """Add the rates of ``metrics.md`` to a dict of counts (from :data:`AGGREGATES`).

    Examples
    --------
    >>> r = derive_rates({"closed": 911, "closed_on_time": 737, "open_overdue": 61, "closed_without_deadline": 0,
    ...                   "closed_with_rework": 0, "worker_reported": 0, "worker_self_handled": 0,
    ...                   "valid_callbacks": 0, "callbacks_contacted": 0, "callbacks_solved": 0,
    ...                   "satisfaction_points": 0, "disputes_received": 0, "disputes_resolved": 0,
    ...                   "disputes_resolved_local": 0})
    >>> round(r["closure_rate"], 4), round(r["on_time_closure_rate"], 4)
    (0.9372, 0.7582)
    """
    out = dict(counts)
    due = out["due_to_close"] = int(out["closed"]) + int(out["open_overdue"])
    out["closure_rate"] = _ratio(out["closed"], due)
    out["on_time_closure_rate"] = _ratio(out["closed_on_time"], due - int(out["closed_without_deadline"]))
    out["rework_rate"] = _ratio(out["closed_with_rework"], due)
    out["self_handled_rate"] = _ratio(out["worker_self_handled"], out["worker_reported"])
    valid = out["valid_callbacks"]
    out["response_rate"] = _ratio(out["callbacks_contacted"], valid)
    out["solve_rate"] = _ratio(out["callbacks_solved"], valid)
    out["satisfaction_rate"] = _ratio(out["satisfaction_points"], valid)
    weights = three_rate_weights or {"response_rate": 0.10, "solve_rate": 0.50, "satisfaction_rate": 0.40}
    parts = [out[k] for k in weights]
    out["three_rates_composite"] = (
        None if any(p is None for p in parts) else sum(out[k] * float(w) for k, w in weights.items())
    )
    out["dispute_resolution_rate"] = _ratio(out["disputes_resolved"], out["disputes_received"])
    out["local_resolution_rate"] = _ratio(out["disputes_resolved_local"], out["disputes_resolved"])
    return out


def _select_list() -> str:
    return ",\n       ".join(f"{expr} AS {name}" for name, expr in AGGREGATES.items())


def summary_sql(where: str) -> str:
    """The one-row aggregate query over cases matching ``where``."""
    return f"SELECT {_select_list()}\nFROM cases c\nWHERE {RELEVANT} AND {where}"


def _clean(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value


def summary_query(f: Filters) -> tuple[str, dict]:
    """The complete query :func:`summary` runs for ``f`` (WHERE clauses included) and its parameters;
    the Data page shows exactly this."""
    where, params = case_filter_sql(f)
    return summary_sql(where), {**params, **period_params(f)}


def summary(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None) -> dict[str, Any]:
    """All metrics of ``metrics.md`` for one filter set, as one flat dict (the ``report`` object).

    Rates are fractions in [0, 1] or ``None`` when their denominator is 0.
    """
    sql, params = summary_query(f)
    row = con.cursor().execute(sql, params).fetchone()
    counts = {name: _clean(value) for name, value in zip(AGGREGATES, row)}
    weights = (cfg or {}).get("three_rates", {}).get("weights")
    return derive_rates(counts, weights)


def by_area_sql(level: str, where: str, grid_where: str = "TRUE") -> str:
    """Aggregates grouped by the areas of ``level`` (every area listed, also those without cases)."""
    id_col, name_col = level_columns(level)
    return f"""
WITH areas AS (
    SELECT {id_col} AS area_id, any_value({name_col}) AS area_name,
           sum(population) AS population, count(*) AS grids
    FROM grids g WHERE {id_col} IS NOT NULL AND {grid_where} GROUP BY {id_col}
), agg AS (
    SELECT g.{id_col} AS area_id, {_select_list()}
    FROM cases c JOIN grids g ON g.grid_id = c.grid_id
    WHERE {RELEVANT} AND {where}
    GROUP BY g.{id_col}
)
SELECT areas.*, agg.* EXCLUDE (area_id)
FROM areas LEFT JOIN agg USING (area_id)
ORDER BY area_id"""


def reported_by_area_sql(level: str, where: str, grid_where: str = "TRUE") -> str:
    """Only the ``reported`` count of :func:`by_area_sql` (same rows, same areas): a narrow query for rules
    that need nothing else (the rising-demand alert)."""
    id_col, name_col = level_columns(level)
    return f"""
WITH areas AS (
    SELECT {id_col} AS area_id, any_value({name_col}) AS area_name
    FROM grids g WHERE {id_col} IS NOT NULL AND {grid_where} GROUP BY {id_col}
), agg AS (
    SELECT g.{id_col} AS area_id, count(*) AS reported
    FROM cases c JOIN grids g ON g.grid_id = c.grid_id
    WHERE {RELEVANT} AND {IN_P} AND {where}
    GROUP BY g.{id_col}
)
SELECT areas.area_id, areas.area_name, coalesce(agg.reported, 0)::BIGINT AS reported
FROM areas LEFT JOIN agg USING (area_id)
ORDER BY area_id"""


def reported_by_area(con: duckdb.DuckDBPyConnection, f: Filters, level: str) -> pd.DataFrame:
    """``area_id``, ``area_name`` and ``reported`` per area of ``level``: equal to those columns of
    :func:`by_area` for the same filters, at a fraction of the cost."""
    where, params = case_filter_sql(f)
    sql = reported_by_area_sql(level, where, area_filter_sql(f, "g"))
    return con.cursor().execute(sql, {**params, **period_params(f)}).df()


def by_area_query(f: Filters, level: str) -> tuple[str, dict]:
    """The complete query :func:`by_area` runs (map, scores, profile peers) and its parameters."""
    where, params = case_filter_sql(f)
    return by_area_sql(level, where, area_filter_sql(f, "g")), {**params, **period_params(f)}


def by_area(con: duckdb.DuckDBPyConnection, f: Filters, level: str, cfg: dict | None = None) -> pd.DataFrame:
    """One row per area of ``level`` with every count and rate, plus per-1,000-resident volume.

    The area filter of ``f`` still applies (e.g. the grids of one street).
    """
    sql, params = by_area_query(f, level)
    frame = con.cursor().execute(sql, params).df()
    count_cols = [c for c in AGGREGATES if not c.endswith("_hours") and c != "satisfaction_points"]
    frame[count_cols] = frame[count_cols].fillna(0).astype("int64")
    weights = (cfg or {}).get("three_rates", {}).get("weights")
    rates = [
        derive_rates({k: _clean(v) for k, v in rec.items()}, weights)
        for rec in frame[list(AGGREGATES)].to_dict("records")
    ]
    derived = pd.DataFrame(rates, index=frame.index, columns=["due_to_close", *RATE_KEYS])
    for column in ("due_to_close", *RATE_KEYS):
        frame[column] = pd.to_numeric(derived[column], errors="coerce")
    frame["reported_per_1000"] = frame["reported"] / frame["population"].where(frame["population"] > 0) * 1000
    return frame
