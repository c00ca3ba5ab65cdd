"""Every number of ``shared/spec/metrics.md``, computed in SQL over the canonical tables.

One definition per metric, used by pages, exports, the ``report`` command and
tests. Period P = [start, end); cancelled cases count in ``reported`` only.

The aggregate expressions in :data:`AGGREGATES` are written once and used both for
a whole filter (:func:`summary`) and grouped by area level (:func:`by_area`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analytics.config import DEFAULTS
from analytics.coverage import data_coverage
from analytics.cube.read import cube_by_area_frame, cube_counts, is_cube
from analytics.filters import Filters, area_filter_sql, case_filter_sql, level_columns, period_params

IN_P = "c.reported_at >= $start AND c.reported_at < $end"
CLOSED_IN_P = "c.closed_at >= $start AND c.closed_at < $end AND c.status <> 'cancelled'"
OPEN_AT_END = "c.filed_at < $end AND c.status <> 'cancelled' AND (c.closed_at IS NULL OR c.closed_at >= $end)"
# Suspended (挂账) cases are left out of open overdue unless the configuration includes them
# ($include_suspended, metrics.exclude_suspended = false); they are counted as suspended overdue.
OPEN_OVERDUE = f"{OPEN_AT_END} AND c.due_at < $end AND (c.status <> 'suspended' OR $include_suspended)"
SUSPENDED_OVERDUE = f"{OPEN_AT_END} AND c.due_at < $end AND c.status = 'suspended'"
DISPUTE_RECEIVED = f"c.kind = 'dispute' AND {IN_P} AND c.status <> 'cancelled'"
# Resolved within $dispute_days days of receipt, as far as the data knows (not cut off at the period end).
DISPUTE_RESOLVED = (
    f"{DISPUTE_RECEIVED} AND c.resolution_level IS NOT NULL"
    " AND c.closed_at <= c.reported_at + to_days(CAST($dispute_days AS INTEGER))"
)
WORKER_REPORTED = f"c.reporter_worker_id IS NOT NULL AND {IN_P} AND c.status <> 'cancelled'"
HANDLING_HOURS = "epoch(c.closed_at - c.filed_at) / 3600.0"
# A negative duration is not a duration: such cases are left out of the handling times and counted.
HANDLED_IN_ORDER = f"{CLOSED_IN_P} AND c.closed_at >= c.filed_at"

# name -> SQL aggregate over cases aliased c (counts and sums; rates are derived in Python).
AGGREGATES: dict[str, str] = {
    "reported": f"count(*) FILTER (WHERE {IN_P})",
    "filed": "count(*) FILTER (WHERE c.filed_at >= $start AND c.filed_at < $end AND c.status <> 'cancelled')",
    "closed": f"count(*) FILTER (WHERE {CLOSED_IN_P})",
    "closed_on_time": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.closed_at <= c.due_at)",
    "closed_without_deadline": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.due_at IS NULL)",
    "closed_before_reported": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.closed_at < c.reported_at)",
    "negative_handling_time": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.closed_at < c.filed_at)",
    "open_overdue": f"count(*) FILTER (WHERE {OPEN_OVERDUE})",
    "suspended_overdue": f"count(*) FILTER (WHERE {SUSPENDED_OVERDUE})",
    "suspended_overdue_max_days": f"max(epoch($end - c.due_at) / 86400.0) FILTER (WHERE {SUSPENDED_OVERDUE})",
    "with_deadline": f"count(*) FILTER (WHERE ({CLOSED_IN_P} OR {OPEN_AT_END}) AND c.due_at IS NOT NULL)",
    "to_judge": f"count(*) FILTER (WHERE {CLOSED_IN_P} OR {OPEN_AT_END})",
    "closed_with_rework": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.rework_count > 0)",
    "worker_reported": f"count(*) FILTER (WHERE {WORKER_REPORTED})",
    "worker_self_handled": (
        f"count(*) FILTER (WHERE {WORKER_REPORTED} AND c.self_handled"
        " AND c.dispatched_at IS NULL AND c.closed_at < $end)"
    ),
    "median_handling_hours": f"quantile_cont({HANDLING_HOURS}, 0.5) FILTER (WHERE {HANDLED_IN_ORDER})",
    "p90_handling_hours": f"quantile_cont({HANDLING_HOURS}, 0.9) FILTER (WHERE {HANDLED_IN_ORDER})",
    "valid_callbacks": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.callback_valid)",
    "callbacks_contacted": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.callback_valid AND c.callback_contacted)",
    "callbacks_solved": f"count(*) FILTER (WHERE {CLOSED_IN_P} AND c.callback_valid AND c.callback_solved)",
    # Summed in tenths (whole numbers) and divided once: the same value however the rows are grouped or ordered.
    "satisfaction_points": (
        f"coalesce(sum(CASE c.satisfaction WHEN 'satisfied' THEN 10 WHEN 'basic' THEN 9"
        f" ELSE 0 END) FILTER (WHERE {CLOSED_IN_P} AND c.callback_valid), 0)::DOUBLE / 10"
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
    "disputes_window_open": (
        f"count(*) FILTER (WHERE {DISPUTE_RECEIVED}"
        " AND c.reported_at + to_days(CAST($dispute_days AS INTEGER)) > $data_end)"
    ),
}
# Aggregates that are not counts (no 0 for "no case"): hours and ages.
# the per-area handling-time quantiles (:func:`by_area` leaves them out when asked)
AREA_QUANTILES = ("median_handling_hours", "p90_handling_hours")
NOT_COUNTS = ("median_handling_hours", "p90_handling_hours", "satisfaction_points", "suspended_overdue_max_days")

# Rows that can contribute to any aggregate. Most are reported before the end and either touched by P or
# still open at its start (open overdue backlog): this part prunes row groups on the case layout of
# analytics.layout. The rest have their times out of order (closed before reported or filed, filed before
# reported) and are read separately, so a case closed in P however early or late it was reported counts.
RELEVANT = "c.reported_at < $end AND (c.closed_at IS NULL OR c.closed_at >= $start)"
OUT_OF_ORDER = "(c.closed_at < c.reported_at OR c.filed_at < c.reported_at OR c.closed_at < c.filed_at)"


# The cases whose times are out of order, kept apart once per live connection (analytics.sync.live): no zone
# map can skip rows by comparing two columns, so reading them from ``cases`` scans three timestamp columns of
# every row group for every metric query. ``description`` (free text, never aggregated) is left out.
OUT_OF_ORDER_TABLE = "cases_out_of_order"


def materialize_out_of_order(con: duckdb.DuckDBPyConnection, found: int | None = None) -> None:
    """Store the :data:`OUT_OF_ORDER` cases of ``con``'s ``cases`` as :data:`OUT_OF_ORDER_TABLE` in its own
    (in-memory, writable) catalog.

    Only for a connection whose ``cases`` cannot change while it is open (a live connection: a new one is
    opened when a sync publishes new data); metric queries then read this small table instead of scanning
    ``cases`` for the out-of-order branch of :func:`relevant_cases_sql`. ``found``: their number when the
    caller knows it (:mod:`analytics.casedays` counts them), else it is counted here.
    """
    # Counting reads three columns; the copy reads every column of every row group (no late materialization),
    # several times longer: skipped when there is nothing to copy (the demo cities, clean imports).
    if found is None:
        found = con.execute(f"SELECT count(*) FROM cases c WHERE {OUT_OF_ORDER}").fetchone()[0]
    rows = f"WHERE {OUT_OF_ORDER}" if found else "LIMIT 0"
    con.execute(f"CREATE TABLE {OUT_OF_ORDER_TABLE} AS SELECT * EXCLUDE (description) FROM cases c {rows}")


def out_of_order_kept(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` holds :data:`OUT_OF_ORDER_TABLE` (see :func:`materialize_out_of_order`)."""
    sql = "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = $name"
    return bool(con.cursor().execute(sql, {"name": OUT_OF_ORDER_TABLE}).fetchone()[0])


def relevant_cases_sql(where: str, out_of_order_kept: bool = False) -> str:
    """The cases any aggregate can count, matching ``where`` (a subquery aliased ``c``).

    Exact: a case outside :data:`RELEVANT` (reported at or after the end, or closed before the start)
    is counted by an aggregate only when its times are :data:`OUT_OF_ORDER`. With ``out_of_order_kept``
    (the connection holds :data:`OUT_OF_ORDER_TABLE`), those are read from that table, and the subquery
    has every column of ``cases`` but ``description``.
    """
    if out_of_order_kept:
        return (
            f"(SELECT * EXCLUDE (description) FROM cases c WHERE {RELEVANT} AND {where}\n"
            f" UNION ALL SELECT * FROM {OUT_OF_ORDER_TABLE} c WHERE NOT ({RELEVANT}) AND {where}) c"
        )
    return (
        f"(SELECT * FROM cases c WHERE {RELEVANT} AND {where}\n"
        f" UNION ALL SELECT * FROM cases c WHERE NOT ({RELEVANT}) AND {OUT_OF_ORDER} AND {where}) c"
    )


# An area's population: known only when every grid of it has one (metrics.md: never a partial population).
AREA_POPULATION = "CASE WHEN count(population) = count(*) THEN sum(population) END"

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
# Counts that mean nothing without deadlines (null then, like the rates built on them).
DEADLINE_KEYS = ("open_overdue", "due_to_close", "closure_rate", "on_time_closure_rate", "rework_rate")


def _ratio(numerator, denominator):
    """numerator / denominator, or None (null) when the denominator is 0 or unknown."""
    if denominator is None or pd.isna(denominator) or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def _ratio_column(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """:func:`_ratio` of each row, as floats (NaN where it is null): the same IEEE division of the same floats."""
    denominator = denominator.astype("float64")
    return numerator.astype("float64") / np.where(denominator != 0, denominator, np.nan)


# Each rate of metrics.md as (numerator, denominator): the one definition, applied to one row by
# derive_rates and to columns of rows by derive_rate_columns.
RATIOS = {
    "closure_rate": ("closed", lambda v: v["due_to_close"]),
    "on_time_closure_rate": ("closed_on_time", lambda v: v["due_to_close"] - v["closed_without_deadline"]),
    "rework_rate": ("closed_with_rework", lambda v: v["due_to_close"]),
    "self_handled_rate": ("worker_self_handled", lambda v: v["worker_reported"]),
    "response_rate": ("callbacks_contacted", lambda v: v["valid_callbacks"]),
    "solve_rate": ("callbacks_solved", lambda v: v["valid_callbacks"]),
    "satisfaction_rate": ("satisfaction_points", lambda v: v["valid_callbacks"]),
    "dispute_resolution_rate": ("disputes_resolved", lambda v: v["disputes_received"]),
    "local_resolution_rate": ("disputes_resolved_local", lambda v: v["disputes_resolved"]),
}
DEFAULT_THREE_RATE_WEIGHTS = {"response_rate": 0.10, "solve_rate": 0.50, "satisfaction_rate": 0.40}
# The counts derive_rate_columns reads (the numerators and the denominators' parts).
_RATE_INPUTS = (
    "closed", "open_overdue", "closed_on_time", "closed_without_deadline", "closed_with_rework", "to_judge",
    "with_deadline", "worker_self_handled", "worker_reported", "callbacks_contacted", "callbacks_solved",
    "valid_callbacks", "satisfaction_points", "disputes_received", "disputes_resolved", "disputes_resolved_local",
)  # fmt: skip


def _composite(values: dict, weights: dict[str, float]):
    """The weighted three-rate composite, summed in the weights' order (of one row's values or of columns)."""
    total = 0
    for name, weight in weights.items():
        total = total + values[name] * float(weight)
    return total


def _row_ratio(values: dict, name: str):
    numerator, denominator = RATIOS[name]
    return _ratio(values[numerator], denominator(values))


def derive_rates(counts: dict[str, Any], three_rate_weights: dict[str, float] | None = None) -> dict[str, Any]:
    """Add the rates of ``metrics.md`` to a dict of counts (from :data:`AGGREGATES`).

    Without any deadline among the cases to judge (closed in P or open at its end), open overdue,
    due to close and the closure rates are null and ``deadlines_known`` is False: nothing can be
    overdue when nothing has a deadline, so 100 % would be an artefact.

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
    out["due_to_close"] = int(out["closed"]) + int(out["open_overdue"])
    for name in ("closure_rate", "on_time_closure_rate", "rework_rate"):
        out[name] = _row_ratio(out, name)
    out["deadlines_known"] = not (out.get("to_judge") and not out.get("with_deadline"))
    if not out["deadlines_known"]:
        out.update(dict.fromkeys(DEADLINE_KEYS))
    for name in ("self_handled_rate", "response_rate", "solve_rate", "satisfaction_rate"):
        out[name] = _row_ratio(out, name)
    weights = three_rate_weights or DEFAULT_THREE_RATE_WEIGHTS
    out["three_rates_composite"] = None if any(out[k] is None for k in weights) else _composite(out, weights)
    out["dispute_resolution_rate"] = _row_ratio(out, "dispute_resolution_rate")
    out["dispute_resolution_provisional"] = bool(out.get("disputes_window_open"))
    out["local_resolution_rate"] = _row_ratio(out, "local_resolution_rate")
    return out


def derive_rate_columns(columns: dict[str, pd.Series], weights: dict[str, float] | None = None) -> dict[str, pd.Series]:
    """:func:`derive_rates` of every row at once.

    ``columns`` holds the counts of :data:`AGGREGATES` as Series, filled (no null count); returns
    ``due_to_close``, ``open_overdue``, the :data:`RATE_KEYS` and ``deadlines_known``: a null rate is NaN, the two
    counts int64, or float64 with NaN when some row's deadlines are unknown. Each rate is the same IEEE division
    of the same two floats as :func:`derive_rates` (``tests/test_rate_columns.py``).
    """
    index = columns["closed"].index
    # numpy, wrapped as Series once at the end: with pandas 3 each of the ~70 Series operations cost 0.1-0.5 ms
    v = {name: columns[name].to_numpy() for name in _RATE_INPUTS}
    v["due_to_close"] = v["closed"] + v["open_overdue"]
    known = ~((v["to_judge"] != 0) & (v["with_deadline"] == 0))
    out = {"due_to_close": v["due_to_close"], "open_overdue": v["open_overdue"]}
    for name, (numerator, denominator) in RATIOS.items():
        out[name] = _ratio_column(v[numerator], denominator(v))
    if not known.all():  # as derive_rates: no deadline among the cases to judge, no deadline numbers
        for name in DEADLINE_KEYS:
            out[name] = np.where(known, out[name].astype("float64"), np.nan)
    out["three_rates_composite"] = np.asarray(_composite(out, weights or DEFAULT_THREE_RATE_WEIGHTS), dtype="float64")
    result = {name: pd.Series(out[name], index=index) for name in ("due_to_close", "open_overdue", *RATE_KEYS)}
    result["deadlines_known"] = pd.Series(known.astype(bool), index=index)
    return result


def _select_list(start: str = "$start", end: str = "$end") -> str:
    """Every aggregate of :data:`AGGREGATES`; ``start``/``end`` replace the period's bounds (e.g. columns of a
    table of periods, :mod:`analytics.period_pair`)."""
    return ",\n       ".join(
        f"{expr} AS {name}".replace("$start", start).replace("$end", end) for name, expr in AGGREGATES.items()
    )


def summary_sql(where: str, out_of_order_kept: bool = False) -> str:
    """The one-row aggregate query over cases matching ``where``."""
    return f"SELECT {_select_list()}\nFROM {relevant_cases_sql(where, out_of_order_kept)}"


def _clean(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value


def metric_params(con: duckdb.DuckDBPyConnection, cfg: dict | None = None) -> dict[str, Any]:
    """The configuration and coverage values every aggregate query binds besides the filters.

    ``$include_suspended`` (``metrics.exclude_suspended`` negated), ``$dispute_days``
    (``metrics.dispute_window_days``) and ``$data_end`` (the end of the data coverage).
    """
    settings = {**DEFAULTS["metrics"], **(cfg or {}).get("metrics", {})}
    coverage = data_coverage(con)
    end = coverage.end if coverage else dt.date.max
    return {
        "include_suspended": not bool(settings["exclude_suspended"]),
        "dispute_days": int(settings["dispute_window_days"]),
        "data_end": dt.datetime.combine(end, dt.time()),
    }


def summary_query(
    con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None, kept: bool = False
) -> tuple[str, dict]:
    """The complete query :func:`summary` runs for ``f`` (WHERE clauses included) and every value it binds
    (the filters', the period's and :func:`metric_params`); the Data page shows exactly this.

    ``kept``: read the out-of-order cases from :data:`OUT_OF_ORDER_TABLE` (what :func:`summary` does on a
    connection that holds it). Without it the query reads ``cases`` alone and runs on the database file as it
    is, with the same result.
    """
    where, params = case_filter_sql(f)
    return summary_sql(where, kept), {**params, **period_params(f), **metric_params(con, cfg)}


def summary(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None) -> dict[str, Any]:
    """All metrics of ``metrics.md`` for one filter set, as one flat dict (the ``report`` object).

    Rates are fractions in [0, 1] or ``None`` when their denominator is 0. ``coverage`` says whether the
    data covers the period (``inside``, ``partial``, ``outside``); outside it every count and rate is
    ``None``: nothing was measured.
    """
    if is_cube(con):  # province scale: the same counts from the cube (analytics.cube)
        return summary_from_counts(con, f, cube_counts(con, f, cfg), cfg)
    from analytics.casedays import read as casedays  # (imports this module)

    if casedays.usable(con, f, cfg):  # the day counts and narrow queries: the same values
        return summary_from_row(con, f, casedays.summary_row(con, f, cfg), cfg)
    sql, params = summary_query(con, f, cfg, out_of_order_kept(con))
    return summary_from_row(con, f, con.cursor().execute(sql, params).fetchone(), cfg)


def summary_from_row(con: duckdb.DuckDBPyConnection, f: Filters, row, cfg: dict | None = None) -> dict[str, Any]:
    """:func:`summary` from the values of :data:`AGGREGATES` (in that order) over the cases of ``f``."""
    counts = {name: _clean(value) for name, value in zip(AGGREGATES, row)}
    return summary_from_counts(con, f, counts, cfg)


def summary_from_counts(con: duckdb.DuckDBPyConnection, f: Filters, counts: dict, cfg: dict | None = None) -> dict:
    """:func:`summary` from the counts of :data:`AGGREGATES` by name (from the cases or from the cube)."""
    weights = (cfg or {}).get("three_rates", {}).get("weights")
    out = derive_rates(counts, weights)
    coverage = data_coverage(con)
    out["coverage"] = coverage.state(f) if coverage else "outside"
    out["data_start"] = coverage.start.isoformat() if coverage else None
    out["data_end"] = coverage.end.isoformat() if coverage else None
    if out["coverage"] == "outside":
        out.update({k: None for k in out if k not in ("coverage", "data_start", "data_end")})
    return out


def by_area_sql(level: str, where: str, grid_where: str = "TRUE", out_of_order_kept: bool = False) -> str:
    """Aggregates grouped by the areas of ``level`` (every area listed, also those without cases)."""
    id_col, name_col = level_columns(level)
    return f"""
WITH areas AS (
    SELECT {id_col} AS area_id, any_value({name_col}) AS area_name,
           {AREA_POPULATION} AS population, count(*) AS grids,
           count(*) - count(population) AS grids_without_population
    FROM grids g WHERE {id_col} IS NOT NULL AND {grid_where} GROUP BY {id_col}
), agg AS (
    SELECT g.{id_col} AS area_id, {_select_list()}
    FROM {relevant_cases_sql(where, out_of_order_kept)} JOIN grids g ON g.grid_id = c.grid_id
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
    WHERE {IN_P} AND {where}
    GROUP BY g.{id_col}
)
SELECT areas.area_id, areas.area_name, coalesce(agg.reported, 0)::BIGINT AS reported
FROM areas LEFT JOIN agg USING (area_id)
ORDER BY area_id"""


def reported_by_area(con: duckdb.DuckDBPyConnection, f: Filters, level: str) -> pd.DataFrame:
    """``area_id``, ``area_name`` and ``reported`` per area of ``level``: equal to those columns of
    :func:`by_area` for the same filters, at a fraction of the cost."""
    if is_cube(con):  # province scale: the same rows from the cube's report days
        from analytics.cube.series import cube_reported_by_area

        return cube_reported_by_area(con, f, level)
    where, params = case_filter_sql(f)
    sql = reported_by_area_sql(level, where, area_filter_sql(f, "g"))
    from analytics.casedays import read as casedays  # (imports analytics.metrics)

    if casedays.usable(con, f):  # the day counts: no case rows read
        sql = casedays.reported_by_area_sql(*level_columns(level), where, area_filter_sql(f, "g"))
    return con.cursor().execute(sql, {**params, **period_params(f)}).df()


def by_area_query(
    con: duckdb.DuckDBPyConnection, f: Filters, level: str, cfg: dict | None = None, kept: bool = False
) -> tuple[str, dict]:
    """The complete query :func:`by_area` runs (map, scores, profile peers) and every value it binds
    (``kept`` as in :func:`summary_query`)."""
    where, params = case_filter_sql(f)
    bound = {**params, **period_params(f), **metric_params(con, cfg)}
    return by_area_sql(level, where, area_filter_sql(f, "g"), kept), bound


def by_area(
    con: duckdb.DuckDBPyConnection, f: Filters, level: str, cfg: dict | None = None, area_quantiles: bool = True
) -> pd.DataFrame:
    """One row per area of ``level`` with every count and rate, plus per-1,000-resident volume.

    ``population`` (and so ``reported_per_1000``) is null unless every grid of the area has a population;
    ``grids_without_population`` says how many lack one and ``population_missing`` whether any does.
    Without ``area_quantiles`` the frame has no ``median_handling_hours``/``p90_handling_hours`` columns (on
    ``case_days`` they are then not computed: a sorted state per area is most of the work at 20M cases).

    The area filter of ``f`` still applies (e.g. the grids of one street).
    """
    if is_cube(con):  # province scale: the same rows from the cube (analytics.cube)
        frame = area_frame(cube_by_area_frame(con, f, level, cfg), cfg)
    else:
        from analytics.casedays import read as casedays  # (imports this module)

        if casedays.usable(con, f, cfg):  # the day counts and narrow queries: the same rows
            return area_frame(casedays.by_area_frame(con, f, level, cfg, area_quantiles), cfg)
        sql, params = by_area_query(con, f, level, cfg, out_of_order_kept(con))
        frame = area_frame(con.cursor().execute(sql, params).df(), cfg)
    return frame if area_quantiles else frame.drop(columns=[*AREA_QUANTILES])


def area_frame(frame: pd.DataFrame, cfg: dict | None = None) -> pd.DataFrame:
    """:func:`by_area`'s frame from the rows of :func:`by_area_sql` (counts filled, rates derived).

    The columns are worked on as Series and the frame is built once at the end: with pandas 3 every column
    set on a frame rebuilds its text column index, which made this function cost 0.1-0.2 s on a few rows.
    """
    columns = dict(frame.items())
    for name in AGGREGATES:
        if name not in NOT_COUNTS:
            columns[name] = columns[name].fillna(0).astype("int64")
    # a sum like the counts (0 points for an area without a call-back, as the query gives for one with cases)
    columns["satisfaction_points"] = columns["satisfaction_points"].fillna(0.0)
    weights = (cfg or {}).get("three_rates", {}).get("weights")
    columns.update(derive_rate_columns(columns, weights))
    columns["population_missing"] = columns["grids_without_population"] > 0
    population = columns["population"]
    columns["reported_per_1000"] = columns["reported"] / population.where(population > 0) * 1000
    return pd.DataFrame(columns, index=frame.index)
