"""The side-by-side baseline: the overview's aggregates done the usual way, pandas over the full frame.

``python -m analytics.bench.baseline --db FILE`` (a fresh process, so its peak memory is its own)
prints one JSON object: one of two measurements (``--side``) of the same aggregates for the default
period (the last complete month) and its previous month, each in its own process so that its peak
memory (``peak_rss_mb``: ``VmHWM``, reset when the process starts) is its own:

- ``pandas``: ``con.execute("SELECT * FROM cases").df()`` — the whole case table in a DataFrame, as a
  typical Streamlit dashboard holds it — then the summary metrics of both periods, the per-grid
  aggregates of the status map, the 26-week trend by kind and the top categories, grouped in pandas;
- ``gridscope``: the same aggregates through ``analytics`` (SQL in DuckDB, only results come back).

The pandas side also checks that its summary equals GridScope's (``agrees``).

Before loading the full frame, a 100,000-row sample is loaded and the frame's memory is extrapolated.
If the estimate does not fit in the memory available (``--memory-fraction`` of ``MemAvailable``), only
the columns those aggregates need are loaded; if that does not fit either, the pandas side is skipped.
The JSON says which (``mode``: ``all_columns``, ``needed_columns`` or ``skipped``) and the estimate.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import time

import duckdb
import numpy as np
import pandas as pd

from analytics.bench import memory

NEEDED_COLUMNS = (
    "kind",
    "category_code",
    "category_name",
    "grid_id",
    "reported_at",
    "filed_at",
    "dispatched_at",
    "closed_at",
    "due_at",
    "status",
    "reporter_worker_id",
    "self_handled",
    "rework_count",
    "resolution_level",
    "callback_valid",
    "callback_contacted",
    "callback_solved",
    "satisfaction",
)
SAMPLE_ROWS = 100_000
PEAK_FACTOR = 4.5  # peak RSS growth / frame size measured at 1M cases (DuckDB's result, conversion, grouping)


DISPUTE_WINDOW_DAYS = 30  # metrics.dispute_window_days (default)


def _relevant(c: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """``analytics.metrics.RELEVANT`` or ``OUT_OF_ORDER``: every row an aggregate can count."""
    fast = (c["reported_at"] < end) & (c["closed_at"].isna() | (c["closed_at"] >= start))
    odd = (c["closed_at"] < c["reported_at"]) | (c["filed_at"] < c["reported_at"]) | (c["closed_at"] < c["filed_at"])
    return fast | odd


def _flag(series: pd.Series) -> pd.Series:
    return series.fillna(False).astype(bool)


def _masks(c: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """One boolean column per count of ``analytics.metrics.AGGREGATES`` (SQL NULL semantics kept)."""
    valid = c["status"].notna() & (c["status"] != "cancelled")
    in_p = (c["reported_at"] >= start) & (c["reported_at"] < end)
    closed = (c["closed_at"] >= start) & (c["closed_at"] < end) & valid
    overdue = (c["filed_at"] < end) & valid & (c["closed_at"].isna() | (c["closed_at"] >= end)) & (c["due_at"] < end)
    overdue &= c["status"] != "suspended"  # metrics.exclude_suspended (default)
    dispute = (c["kind"] == "dispute") & in_p & valid
    window = pd.Timedelta(days=DISPUTE_WINDOW_DAYS)
    resolved = dispute & (c["closed_at"] <= c["reported_at"] + window) & c["resolution_level"].notna()
    worker = c["reporter_worker_id"].notna() & in_p & valid
    callback = closed & _flag(c["callback_valid"])
    m = {
        "reported": in_p,
        "filed": (c["filed_at"] >= start) & (c["filed_at"] < end) & valid,
        "closed": closed,
        "closed_on_time": closed & (c["closed_at"] <= c["due_at"]),
        "closed_without_deadline": closed & c["due_at"].isna(),
        "open_overdue": overdue,
        "closed_with_rework": closed & (c["rework_count"] > 0),
        "worker_reported": worker,
        "worker_self_handled": worker & _flag(c["self_handled"]) & c["dispatched_at"].isna() & (c["closed_at"] < end),
        "valid_callbacks": callback,
        "callbacks_contacted": callback & _flag(c["callback_contacted"]),
        "callbacks_solved": callback & _flag(c["callback_solved"]),
        "disputes_received": dispute,
        "disputes_resolved": resolved,
        "disputes_resolved_local": resolved & c["resolution_level"].isin(["grid", "community"]),
    }
    for level in ("grid", "community", "street", "district"):
        m[f"disputes_resolved_{level}"] = resolved & (c["resolution_level"] == level)
    return pd.DataFrame(m)


def pandas_summary(frame: pd.DataFrame, start: dt.date, end: dt.date) -> dict:
    """The summary counts and handling-time quantiles of one period, in pandas."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    c = frame[_relevant(frame, s, e)]
    masks = _masks(c, s, e)
    out = {name: int(masks[name].sum()) for name in masks}
    hours = (c["closed_at"] - c["filed_at"]).dt.total_seconds() / 3600.0
    closed_hours = hours[masks["closed"] & (c["closed_at"] >= c["filed_at"])]
    out["median_handling_hours"] = float(closed_hours.quantile(0.5)) if len(closed_hours) else None
    out["p90_handling_hours"] = float(closed_hours.quantile(0.9)) if len(closed_hours) else None
    points = c["satisfaction"].map({"satisfied": 1.0, "basic": 0.9}).fillna(0.0)
    out["satisfaction_points"] = float(points[masks["valid_callbacks"]].sum())
    return out


def pandas_by_grid(frame: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    c = frame[_relevant(frame, s, e) & frame["grid_id"].notna()]
    masks = _masks(c, s, e).astype("int64")
    grouped = masks.groupby(c["grid_id"]).sum()
    in_order = masks["closed"].astype(bool) & (c["closed_at"] >= c["filed_at"])
    hours = ((c["closed_at"] - c["filed_at"]).dt.total_seconds() / 3600.0)[in_order]
    grouped["median_handling_hours"] = hours.groupby(c["grid_id"]).median()
    return grouped


def pandas_trend(frame: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    c = frame[(frame["reported_at"] >= s) & (frame["reported_at"] < e)]
    week = c["reported_at"].dt.normalize() - pd.to_timedelta(c["reported_at"].dt.day_of_week, unit="D")
    return c.groupby([week, c["kind"]]).size().rename("reported").reset_index()


def pandas_top(frame: pd.DataFrame, start: dt.date, end: dt.date, prev_start: dt.date, limit: int = 8):
    s, e, p = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(prev_start)
    c = frame[(frame["reported_at"] >= p) & (frame["reported_at"] < e)]
    current = c["reported_at"] >= s
    table = pd.DataFrame({"reported": current.astype("int64"), "reported_previous": (~current).astype("int64")})
    grouped = table.groupby([c["kind"], c["category_code"]]).sum()
    return grouped[grouped["reported"] > 0].sort_values("reported", ascending=False).head(limit)


def default_filters(con):
    from analytics.filters import Filters, months_before
    from analytics.queries import data_range

    end = data_range(con)[1]
    stop = dt.date(end.year, end.month, 1)
    return Filters(months_before(stop, 1), stop)


def trend_window(f):
    end = f.end - dt.timedelta(days=f.end.weekday())
    return dataclasses.replace(f, start=end - dt.timedelta(weeks=26), end=end)


def pandas_aggregates(frame: pd.DataFrame, f) -> dict:
    prev, window = f.previous(), trend_window(f)
    return {
        "summary": pandas_summary(frame, f.start, f.end),
        "previous": pandas_summary(frame, prev.start, prev.end),
        "by_grid": pandas_by_grid(frame, f.start, f.end),
        "trend": pandas_trend(frame, window.start, window.end),
        "top": pandas_top(frame, f.start, f.end, prev.start),
    }


def gridscope_aggregates(con, f) -> dict:
    from analytics import metrics, queries, trends

    return {
        "summary": metrics.summary(con, f),
        "previous": metrics.summary(con, f.previous()),
        "by_grid": metrics.by_area(con, f, "grid"),
        "trend": trends.series(con, trend_window(f), "week", "kind"),
        "top": queries.top_categories(con, f, 8),
    }


def _mem_available_mb() -> float:
    with open("/proc/meminfo", encoding="ascii") as info:
        for line in info:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024.0
    raise OSError("MemAvailable not in /proc/meminfo")


def estimate_mb(con, columns: tuple[str, ...] | None, rows: int) -> float:
    """Extrapolated peak memory (MB) of loading ``rows`` rows of those columns into pandas."""
    listed = "*" if columns is None else ", ".join(columns)
    sample = con.execute(f"SELECT {listed} FROM cases LIMIT {SAMPLE_ROWS}").df()
    per_row = sample.memory_usage(deep=True).sum() / max(len(sample), 1)
    return per_row * rows * PEAK_FACTOR / 1e6


def agrees(pandas_result: dict, gridscope_result: dict) -> bool:
    """The pandas summary equals GridScope's (counts exactly, quantiles to 1e-6 h)."""
    for period in ("summary", "previous"):
        for key, value in pandas_result[period].items():
            other = gridscope_result[period][key]
            if value is None or other is None:
                if value != other:
                    return False
            elif not np.isclose(float(value), float(other), rtol=0, atol=1e-6):
                return False
    return int(pandas_result["by_grid"]["reported"].sum()) == int(gridscope_result["by_grid"]["reported"].sum())


def run_pandas(db: str, memory_fraction: float) -> dict:
    """Load the frame (all columns if the estimate fits, else the needed ones) and aggregate in pandas."""
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    f = default_filters(con)
    available = _mem_available_mb()
    allowed = available * memory_fraction
    full, needed = estimate_mb(con, None, rows), estimate_mb(con, NEEDED_COLUMNS, rows)
    mode = "all_columns" if full <= allowed else ("needed_columns" if needed <= allowed else "skipped")
    out = {
        "side": "pandas",
        "rows": rows,
        "period": [str(f.start), str(f.end)],
        "mem_available_mb": round(available),
        "allowed_mb": round(allowed),
        "estimate_all_columns_mb": round(full),
        "estimate_needed_columns_mb": round(needed),
        "mode": mode,
    }
    if mode == "skipped":
        return out
    before = memory.current_rss_mb()
    began = time.perf_counter()
    listed = "*" if mode == "all_columns" else ", ".join(NEEDED_COLUMNS)
    frame = con.execute(f"SELECT {listed} FROM cases").df()
    loaded = time.perf_counter()
    result = pandas_aggregates(frame, f)
    done = time.perf_counter()
    out.update(
        load_seconds=loaded - began,
        aggregate_seconds=done - loaded,
        seconds=done - began,
        rss_before_mb=before,
        peak_rss_mb=memory.peak_rss_mb(),
        frame_mb=frame.memory_usage(deep=True).sum() / 1e6,
    )
    del frame
    out["agrees"] = agrees(result, gridscope_aggregates(con, f))
    return out


def run_gridscope(db: str) -> dict:
    """The same aggregates through ``analytics`` on a fresh connection."""
    con = duckdb.connect(db, read_only=True)
    f = default_filters(con)
    before = memory.current_rss_mb()
    began = time.perf_counter()
    gridscope_aggregates(con, f)
    return {
        "side": "gridscope",
        "period": [str(f.start), str(f.end)],
        "seconds": time.perf_counter() - began,
        "rss_before_mb": before,
        "peak_rss_mb": memory.peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument(
        "--memory-fraction",
        type=float,
        default=0.6,
        help="share of MemAvailable the pandas frame may use (default 0.6)",
    )
    parser.add_argument("--side", choices=("pandas", "gridscope"), required=True)
    args = parser.parse_args(argv)
    memory.reset_peak()  # a child inherits its parent's peak (ru_maxrss survives fork and exec): start afresh
    result = run_pandas(args.db, args.memory_fraction) if args.side == "pandas" else run_gridscope(args.db)
    sys.stdout.write(json.dumps(result, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
