"""趋势分析: series by category, class, source, kind or area; baselines and spikes; year over year; theme tracker.

Series are complete (a bucket with no case is 0, not missing) so that the spike
rule of ``metrics.md`` sees every period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd

from analytics.anomaly import flag_spikes
from analytics.filters import Filters, case_filter_sql, level_columns, period_params
from analytics.queries import grain_unit

SPLITS = {
    "none": "'all'",
    "kind": "c.kind",
    "category": "c.category_code",
    "category_major": "c.category_major",
    "source": "c.source",
}
FREQ = {"day": "D", "week": "W-MON", "month": "MS"}


def _split_expr(split: str, level: str | None) -> tuple[str, str]:
    """``(SQL expression, join)`` of a split; ``area`` splits by the areas of ``level``."""
    if split == "area":
        id_col, _ = level_columns(level or "street")
        return f"g.{id_col}", "JOIN grids g ON g.grid_id = c.grid_id"
    try:
        return SPLITS[split], ""
    except KeyError:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join([*SPLITS, 'area'])}") from None


def buckets(start: dt.date, end: dt.date, grain: str) -> pd.DatetimeIndex:
    """Every bucket start of a grain that overlaps [start, end)."""
    first = pd.Timestamp(start)
    first = {"day": first, "week": first - pd.Timedelta(days=first.weekday()), "month": first.replace(day=1)}[grain]
    return pd.date_range(first, pd.Timestamp(end) - pd.Timedelta(microseconds=1), freq=FREQ[grain])


def series(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    grain: str = "week",
    split: str = "kind",
    level: str | None = None,
    top: int = 8,
) -> pd.DataFrame:
    """Reported cases per bucket and split value in P (columns ``bucket``, ``series``, ``reported``).

    The ``top`` series by volume are kept; the rest are summed as ``other``.
    """
    unit = grain_unit(grain)
    expr, join = _split_expr(split, level)
    where, params = case_filter_sql(f)
    sql = f"""SELECT date_trunc('{unit}', c.reported_at) AS bucket, {expr}::TEXT AS series, count(*) AS reported
              FROM cases c {join}
              WHERE c.reported_at >= $start AND c.reported_at < $end AND {where}
              GROUP BY ALL"""
    frame = con.cursor().execute(sql, {**params, **period_params(f)}).df()
    if frame.empty:
        return pd.DataFrame(columns=["bucket", "series", "reported"])
    frame["series"] = frame["series"].fillna("unknown")
    keep = frame.groupby("series")["reported"].sum().nlargest(top).index
    frame.loc[~frame["series"].isin(keep), "series"] = "other"
    wide = frame.pivot_table(index="bucket", columns="series", values="reported", aggfunc="sum", fill_value=0)
    wide = wide.reindex(buckets(f.start, f.end, grain), fill_value=0)
    wide.index.name = "bucket"
    return wide.reset_index().melt(id_vars="bucket", var_name="series", value_name="reported")


def _totals(con, f: Filters, grain: str) -> pd.Series:
    frame = series(con, f, grain, "none")
    return (
        frame.set_index("bucket")["reported"]
        if not frame.empty
        else pd.Series(0, index=buckets(f.start, f.end, grain), name="reported")
    )


def baseline_band(con: duckdb.DuckDBPyConnection, f: Filters, grain: str, rules: dict) -> pd.DataFrame:
    """Total reported per bucket in P with its seasonal baseline, band and spike flag (day or week grain)."""
    weeks = int(rules["baseline_weeks"])
    history = dataclasses.replace(f, start=f.start - dt.timedelta(weeks=weeks))
    totals = _totals(con, history, grain)
    flags = flag_spikes(totals, grain, float(rules["robust_sd"]), float(rules["min_excess"]), weeks)
    flags["lower"] = (flags["baseline"] - float(rules["robust_sd"]) * flags["robust_sd"]).clip(lower=0)
    flags = flags[flags.index >= buckets(f.start, f.end, grain)[0]]
    return flags.rename_axis("bucket").reset_index()


def year_over_year(con: duckdb.DuckDBPyConnection, f: Filters, grain: str) -> pd.DataFrame:
    """Reported per bucket in P beside the same bucket a year earlier.

    Months compare with the same calendar month; days and weeks with the bucket 52 weeks
    (364 days) earlier, so that weekdays line up.
    """
    now = _totals(con, f, grain)
    if grain == "month":
        before = _totals(con, f.year_earlier(), grain)
        before.index = before.index + pd.DateOffset(years=1)
    else:
        shift = dt.timedelta(days=364)
        before = _totals(con, dataclasses.replace(f, start=f.start - shift, end=f.end - shift), grain)
        before.index = before.index + pd.Timedelta(days=364)
    out = pd.DataFrame({"reported": now, "reported_year_earlier": before.reindex(now.index)})
    return out.rename_axis("bucket").reset_index()


def period_changes(con: duckdb.DuckDBPyConnection, f: Filters) -> dict:
    """Reported in P, the previous equal period and a year earlier, with relative changes (None if base is 0)."""
    where, params = case_filter_sql(f)
    sql = f"SELECT count(*) FROM cases c WHERE c.reported_at >= $start AND c.reported_at < $end AND {where}"

    def count(flt: Filters) -> int:
        return int(con.cursor().execute(sql, {**params, **period_params(flt)}).fetchone()[0])

    now, prev, last_year = count(f), count(f.previous()), count(f.year_earlier())
    return {
        "reported": now,
        "previous": prev,
        "year_earlier": last_year,
        "period_over_period": (now - prev) / prev if prev else None,
        "year_over_year": (now - last_year) / last_year if last_year else None,
    }


def theme_tracker(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    category: str,
    intervention: dt.date,
    weeks: int = 12,
    data_span: tuple[dt.date, dt.date] | None = None,
) -> dict:
    """每月一题: mean weekly volume of one category in the ``weeks`` before and after an intervention date.

    Weeks are counted from the intervention day (7-day windows), so no partial calendar week distorts
    the means. With ``data_span`` (first day, as-of day) the windows keep only whole weeks inside the
    data, so weeks the data does not cover are not counted as zero.
    """
    scoped = dataclasses.replace(
        f,
        category=category,
        start=intervention - dt.timedelta(weeks=weeks),
        end=intervention + dt.timedelta(weeks=weeks),
    )
    where, params = case_filter_sql(scoped)
    sql = f"""SELECT floor(datediff('day', $pivot::TIMESTAMP, c.reported_at) / 7)::INTEGER AS week, count(*) AS n
              FROM cases c WHERE c.reported_at >= $start AND c.reported_at < $end AND {where} GROUP BY 1"""
    pivot = dt.datetime.combine(intervention, dt.time())
    counts = con.cursor().execute(sql, {**params, **period_params(scoped), "pivot": pivot}).df()
    first, last = -weeks, weeks
    if data_span is not None:
        first = max(first, -((intervention - data_span[0]).days // 7))
        last = min(last, max((data_span[1] - intervention).days // 7, 0))
    weekly = counts.set_index("week")["n"].reindex(range(first, last), fill_value=0)
    before, after = weekly[weekly.index < 0], weekly[weekly.index >= 0]
    before_mean = float(before.mean()) if len(before) else None
    after_mean = float(after.mean()) if len(after) else None
    frame = weekly.rename("reported").rename_axis("week").reset_index()
    frame["week_start"] = [pivot + dt.timedelta(weeks=int(w)) for w in frame["week"]]
    change = (after_mean - before_mean) / before_mean if before_mean and after_mean is not None else None
    return {
        "before_mean": before_mean,
        "after_mean": after_mean,
        "change": change,
        "weekly": frame,
        "weeks_before": len(before),
        "weeks_after": len(after),
    }
