"""The overview's alert list, drawn from the kinds of problems a command centre watches.

Each rule returns rows ``(alert, subject_type, subject_id, subject_name, value, previous, detail)``;
``alert`` is a stable key the UI translates:

- ``overdue_grid`` / ``overdue_department``: most open overdue cases as of the end;
- ``on_time_drop``: a grid's on-time closure rate fell sharply against the previous period;
- ``slow_department``: a department's median handling time rose sharply against the previous period;
- ``rising_demand``: a grid's demand volume rose sharply against the previous period;
- ``spike``: a category's last full week in P is a spike against its seasonal baseline.
"""

from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd

from analytics import metrics
from analytics.anomaly import flag_spikes
from analytics.departments import department_metrics
from analytics.filters import Filters, case_filter_sql, period_params

COLUMNS = ["alert", "subject_type", "subject_id", "subject_name", "value", "previous", "severity"]


def _rows(frame: pd.DataFrame, alert: str, subject_type: str, id_col: str, name_col: str,
          value_col: str, previous_col: str | None, severity: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({"alert": alert, "subject_type": subject_type, "subject_id": frame[id_col].astype(str),
                        "subject_name": frame[name_col].astype(str), "value": frame[value_col].astype(float),
                        "previous": frame[previous_col].astype(float) if previous_col else float("nan"),
                        "severity": severity.astype(float)})
    return out[COLUMNS]


def overdue_alerts(grids: pd.DataFrame, depts: pd.DataFrame, rules: dict) -> pd.DataFrame:
    minimum = int(rules["min_open_overdue"])
    g = grids[grids["open_overdue"] >= minimum].nlargest(5, "open_overdue")
    d = depts[depts["open_overdue"] >= minimum].nlargest(3, "open_overdue")
    return pd.concat([
        _rows(g, "overdue_grid", "grid", "area_id", "area_name", "open_overdue", None, g["open_overdue"] / minimum),
        _rows(d, "overdue_department", "department", "department", "department_name", "open_overdue", None,
              d["open_overdue"] / minimum)])


def on_time_drop_alerts(grids: pd.DataFrame, previous: pd.DataFrame, rules: dict, min_due: int) -> pd.DataFrame:
    both = grids.merge(previous[["area_id", "on_time_closure_rate", "due_to_close"]], on="area_id",
                       suffixes=("", "_prev"))
    enough = (both["due_to_close"] >= min_due) & (both["due_to_close_prev"] >= min_due)
    both["drop"] = both["on_time_closure_rate_prev"] - both["on_time_closure_rate"]
    hit = both[enough & (both["drop"] >= float(rules["on_time_drop_points"]))].nlargest(5, "drop")
    return _rows(hit, "on_time_drop", "grid", "area_id", "area_name", "on_time_closure_rate",
                 "on_time_closure_rate_prev", hit["drop"] * 10)


def slow_department_alerts(depts: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    both = depts.merge(previous[["department", "median_handling_hours", "handled"]], on="department",
                       suffixes=("", "_prev"))
    both["ratio"] = both["median_handling_hours"] / both["median_handling_hours_prev"]
    hit = both[(both["ratio"] >= 1.5) & (both["handled"] >= 20) & (both["handled_prev"] >= 20)].nlargest(3, "ratio")
    return _rows(hit, "slow_department", "department", "department", "department_name", "median_handling_hours",
                 "median_handling_hours_prev", hit["ratio"])


def rising_demand_alerts(con, f: Filters, rules: dict) -> pd.DataFrame:
    demand = dataclasses.replace(f, kind="demand")
    now = metrics.by_area(con, demand, "grid")[["area_id", "area_name", "reported"]]
    before = metrics.by_area(con, demand.previous(), "grid")[["area_id", "reported"]]
    both = now.merge(before, on="area_id", suffixes=("", "_prev"))
    both["ratio"] = both["reported"] / both["reported_prev"].clip(lower=1)
    hit = both[(both["ratio"] >= float(rules["rising_demand_ratio"]))
               & (both["reported"] >= int(rules["rising_demand_min"]))].nlargest(5, "ratio")
    return _rows(hit, "rising_demand", "grid", "area_id", "area_name", "reported", "reported_prev", hit["ratio"])


def spike_alerts(con: duckdb.DuckDBPyConnection, f: Filters, spike_rules: dict) -> pd.DataFrame:
    """Categories whose weekly count spiked in the last complete week of P."""
    where, params = case_filter_sql(f)
    weeks = int(spike_rules["baseline_weeks"])
    sql = f"""
        SELECT date_trunc('week', c.reported_at) AS week, c.category_code, any_value(c.category_name) AS name,
               count(*) AS n
        FROM cases c
        WHERE c.reported_at >= date_trunc('week', $end) - INTERVAL {weeks + 1} WEEK
          AND c.reported_at < date_trunc('week', $end) AND {where}
        GROUP BY ALL"""
    counts = con.cursor().execute(sql, {**params, "end": period_params(f)["end"]}).df()
    if counts.empty:
        return pd.DataFrame(columns=COLUMNS)
    names = counts.groupby("category_code")["name"].first()
    table = counts.pivot_table(index="week", columns="category_code", values="n", fill_value=0).sort_index()
    table = table.reindex(pd.date_range(table.index.min(), table.index.max(), freq="7D"), fill_value=0)
    rows = []
    for code in table.columns:
        flags = flag_spikes(table[code], "week", float(spike_rules["robust_sd"]), float(spike_rules["min_excess"]),
                            weeks).iloc[-1]
        if flags["spike"]:
            rows.append({"category_code": code, "name": names[code], "count": flags["count"],
                         "baseline": flags["baseline"], "excess": flags["count"] - flags["baseline"]})
    hit = pd.DataFrame(rows, columns=["category_code", "name", "count", "baseline", "excess"])
    return _rows(hit, "spike", "category", "category_code", "name", "count", "baseline", hit["excess"] / 10)


def alerts(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict) -> pd.DataFrame:
    """All alert rules for the filter set, most severe first, at most ``alerts.max_rows``."""
    rules = cfg["alerts"]
    min_due = int(cfg["status"]["min_due_to_close"])
    grids = metrics.by_area(con, f, "grid")
    prev_grids = metrics.by_area(con, f.previous(), "grid")
    depts, prev_depts = department_metrics(con, f), department_metrics(con, f.previous())
    parts = [overdue_alerts(grids, depts, rules), on_time_drop_alerts(grids, prev_grids, rules, min_due),
             slow_department_alerts(depts, prev_depts), spike_alerts(con, f, cfg["spikes"])]
    if f.kind in (None, "demand"):
        parts.append(rising_demand_alerts(con, f, rules))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True).sort_values("severity", ascending=False, kind="stable")
    return out.head(int(rules["max_rows"])).reset_index(drop=True)
