"""The overview's alert list, drawn from the kinds of problems a command centre watches.

Each rule returns rows ``(alert, subject_type, subject_id, subject_name, value, previous, detail)``;
``alert`` is a stable key the UI translates:

- ``overdue_grid`` / ``overdue_department``: most open overdue cases as of the end;
- ``on_time_drop``: a grid's on-time closure rate fell sharply against the previous period;
- ``slow_department``: a department's median handling time rose sharply against the previous period;
- ``rising_demand``: a grid's demand volume rose sharply against a year earlier (else the previous period);
- ``spike``: a category had a day in P far above its seasonal baseline (``day`` says which).
"""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import pandas as pd

from analytics import metrics
from analytics.anomaly import spike_matrix
from analytics.coverage import data_coverage
from analytics.cube.series import cube_daily_category_counts
from analytics.departments import alert_numbers as department_alert_numbers
from analytics.filters import Filters, case_filter_sql, period_params

COLUMNS = ["alert", "subject_type", "subject_id", "subject_name", "value", "previous", "severity", "day"]
# New developments first, standing backlogs last; within a kind, the most severe first.
PRIORITY = {
    "spike": 0,
    "rising_demand": 1,
    "on_time_drop": 2,
    "slow_department": 3,
    "overdue_grid": 4,
    "overdue_department": 5,
}


def _rows(
    frame: pd.DataFrame,
    alert: str,
    subject_type: str,
    id_col: str,
    name_col: str,
    value_col: str,
    previous_col: str | None,
    severity: pd.Series,
) -> pd.DataFrame:
    out = pd.DataFrame(  # built in the order of COLUMNS (no reordering copy)
        {
            "alert": alert,
            "subject_type": subject_type,
            "subject_id": frame[id_col].astype(str),
            "subject_name": frame[name_col].astype(str),
            "value": frame[value_col].astype(float),
            "previous": frame[previous_col].astype(float) if previous_col else float("nan"),
            "severity": severity.astype(float),
            "day": None,
        }
    )
    return out


def _largest(frame: pd.DataFrame, keep: pd.Series, column: str, n: int) -> pd.DataFrame:
    """``frame[keep].nlargest(n, column)`` (largest first, ties in row order, nulls never) found on numpy: with
    pandas 3 the boolean selection and nlargest cost several ms each on a few hundred rows, six a run."""
    values = frame[column].to_numpy(dtype="float64", na_value=np.nan)
    candidates = np.flatnonzero(keep.to_numpy(dtype=bool, na_value=False) & ~np.isnan(values))
    return frame.iloc[candidates[np.argsort(-values[candidates], kind="stable")[:n]]]


def overdue_alerts(grids: pd.DataFrame, depts: pd.DataFrame, rules: dict) -> pd.DataFrame:
    minimum = int(rules["min_open_overdue"])
    g = grids[["area_id", "area_name", "open_overdue"]]  # the columns read: not the ~60 of a scored frame
    g = _largest(g, g["open_overdue"] >= minimum, "open_overdue", 5)
    d = _largest(depts, depts["open_overdue"] >= minimum, "open_overdue", 3)
    return pd.concat(
        [
            _rows(g, "overdue_grid", "grid", "area_id", "area_name", "open_overdue", None, g["open_overdue"] / minimum),
            _rows(
                d,
                "overdue_department",
                "department",
                "department",
                "department_name",
                "open_overdue",
                None,
                d["open_overdue"] / minimum,
            ),
        ]
    )


def on_time_drop_alerts(grids: pd.DataFrame, previous: pd.DataFrame, rules: dict, min_due: int) -> pd.DataFrame:
    read = ["area_id", "on_time_closure_rate", "due_to_close"]  # merging the ~60 columns of a scored frame cost more
    both = grids[[*read, "area_name"]].merge(previous[read], on="area_id", suffixes=("", "_prev"))
    enough = (both["due_to_close"] >= min_due) & (both["due_to_close_prev"] >= min_due)
    both["drop"] = both["on_time_closure_rate_prev"] - both["on_time_closure_rate"]
    hit = _largest(both, enough & (both["drop"] >= float(rules["on_time_drop_points"])), "drop", 5)
    return _rows(
        hit,
        "on_time_drop",
        "grid",
        "area_id",
        "area_name",
        "on_time_closure_rate",
        "on_time_closure_rate_prev",
        hit["drop"] * 10,
    )


def slow_department_alerts(depts: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    both = depts.merge(
        previous[["department", "median_handling_hours", "handled"]], on="department", suffixes=("", "_prev")
    )
    both["ratio"] = both["median_handling_hours"] / both["median_handling_hours_prev"]
    hit = _largest(both, (both["ratio"] >= 1.5) & (both["handled"] >= 20) & (both["handled_prev"] >= 20), "ratio", 3)
    return _rows(
        hit,
        "slow_department",
        "department",
        "department",
        "department_name",
        "median_handling_hours",
        "median_handling_hours_prev",
        hit["ratio"],
    )


def rising_demand_alerts(con, f: Filters, rules: dict) -> pd.DataFrame:
    """Grids whose demand volume rose sharply against the same period a year earlier (seasonality
    cancels out), or against the previous period when the data does not reach back a year; none when
    neither comparison period (or P itself) lies wholly inside the data coverage."""
    demand = dataclasses.replace(f, kind="demand")
    coverage = data_coverage(con)
    candidates = [b for b in (demand.year_earlier(), demand.previous()) if coverage and coverage.covers(b.start, b.end)]
    if not candidates or not coverage.covers(f.start, f.end):  # no comparison data: no "0 -> 542" alerts
        return pd.DataFrame(columns=COLUMNS)
    baseline = candidates[0]
    now = metrics.reported_by_area(con, demand, "grid")
    before = metrics.reported_by_area(con, baseline, "grid")[["area_id", "reported"]]
    both = now.merge(before, on="area_id", suffixes=("", "_prev"))
    both["ratio"] = both["reported"] / both["reported_prev"].clip(lower=1)
    rising = (both["ratio"] >= float(rules["rising_demand_ratio"])) & (
        both["reported"] >= int(rules["rising_demand_min"])
    )
    hit = _largest(both, rising, "ratio", 5)
    return _rows(hit, "rising_demand", "grid", "area_id", "area_name", "reported", "reported_prev", hit["ratio"])


def daily_category_counts(con: duckdb.DuckDBPyConnection, f: Filters, weeks: int) -> tuple[pd.DataFrame, pd.Series]:
    """Reports per day (rows, complete) and category (columns) from ``weeks`` before P to its end, and the names.

    Days outside the data coverage are NaN (missing), days inside it without a case 0.
    """
    if metrics.is_cube(con):  # province scale: the same counts from the cube's report days
        counts = cube_daily_category_counts(con, f, weeks)
    else:
        where, params = case_filter_sql(f)
        sql = f"""
            SELECT c.reported_at::DATE AS day, c.category_code, any_value(c.category_name) AS name, count(*) AS n
            FROM cases c
            WHERE c.reported_at >= $start - INTERVAL {weeks} WEEK AND c.reported_at < $end AND {where}
            GROUP BY ALL"""
        counts = con.cursor().execute(sql, {**params, **period_params(f)}).df()
    if counts.empty:
        return pd.DataFrame(), pd.Series(dtype=object)
    names = counts.groupby("category_code")["name"].first()  # the codes sorted, as the table's columns
    days = pd.date_range(
        pd.Timestamp(f.start) - pd.Timedelta(weeks=weeks), pd.Timestamp(f.end), freq="D", inclusive="left"
    )
    # one (day, category) row each (the queries group by both): placed on a days x categories matrix directly
    # (what pivot_table, to_datetime and reindex gave, without their pandas passes)
    row = (pd.to_datetime(counts["day"]).to_numpy() - days[0].to_datetime64()) // np.timedelta64(1, "D")
    column = names.index.get_indexer(counts["category_code"])  # -1: no code (left out, as the pivot left it)
    kept = (column >= 0) & (row >= 0) & (row < len(days))
    matrix = np.zeros((len(days), len(names)))
    matrix[row[kept].astype("int64"), column[kept]] = counts["n"].to_numpy(dtype=float)[kept]
    table = pd.DataFrame(matrix, index=days, columns=names.index)
    coverage = data_coverage(con)
    if coverage is not None:  # days outside the data are missing, not zero (metrics.md: Spike)
        outside = (days < pd.Timestamp(coverage.start)) | (days >= pd.Timestamp(coverage.end))
        table.loc[outside, :] = np.nan
    return table, names


def spike_alerts(con: duckdb.DuckDBPyConnection, f: Filters, spike_rules: dict) -> pd.DataFrame:
    """Categories with a day in P that spiked against its seasonal baseline (same weekday, previous weeks)."""
    weeks = int(spike_rules["baseline_weeks"])
    table, names = daily_category_counts(con, f, weeks)
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    flags = spike_matrix(
        table.to_numpy(dtype=float),
        "day",
        float(spike_rules["robust_sd"]),
        float(spike_rules["min_excess"]),
        weeks,
        spike_rules.get("min_lags"),
    )
    hits = flags["spike"] & (table.index >= pd.Timestamp(f.start))[:, None]
    excess = np.where(hits, flags["count"] - flags["baseline"], -np.inf)
    best = excess.argmax(axis=0)  # the first day with the largest excess, per category
    rows = [
        {
            "category_code": code,
            "name": names[code],
            "count": flags["count"][day, i],
            "baseline": flags["baseline"][day, i],
            "excess": excess[day, i],
            "day": table.index[day].date().isoformat(),
        }
        for i, (code, day) in enumerate(zip(table.columns, best))
        if hits[day, i]
    ]
    hit = pd.DataFrame(rows, columns=["category_code", "name", "count", "baseline", "excess", "day"])
    out = _rows(hit, "spike", "category", "category_code", "name", "count", "baseline", hit["excess"] / 10)
    return out.assign(day=hit["day"].to_numpy())


def alerts(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    cfg: dict,
    grids: pd.DataFrame | None = None,
    prev_grids: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All alert rules for the filter set (at most 4 of a kind, :data:`PRIORITY` order), at most ``alerts.max_rows``.

    ``grids`` may pass :func:`analytics.metrics.by_area` of ``f`` at grid level when the caller has it already
    (the overview's status map), so it is not computed twice; ``prev_grids`` the same of ``f.previous()``
    (:func:`analytics.period_pair.summaries_and_areas` gives both).
    """
    rules = cfg["alerts"]
    min_due = int(cfg["status"]["min_due_to_close"])
    grids = metrics.by_area(con, f, "grid", cfg) if grids is None else grids
    prev_grids = metrics.by_area(con, f.previous(), "grid", cfg) if prev_grids is None else prev_grids
    depts, prev_depts = department_alert_numbers(con, f, cfg)  # only what the rules below read
    parts = [
        overdue_alerts(grids, depts, rules),
        on_time_drop_alerts(grids, prev_grids, rules, min_due),
        slow_department_alerts(depts, prev_depts),
        spike_alerts(con, f, cfg["spikes"]),
    ]
    if f.kind in (None, "demand"):
        parts.append(rising_demand_alerts(con, f, rules))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out = out.assign(priority=out["alert"].map(PRIORITY)).sort_values(
        ["priority", "severity"], ascending=[True, False], kind="stable"
    )
    out = out.groupby("alert", sort=False).head(4).drop(columns="priority")
    return out.head(int(rules["max_rows"])).reset_index(drop=True)
