"""趋势分析: series by category, class, source, kind or area; baselines and spikes; year over year; theme tracker.

Series are complete inside the data coverage (a bucket with no case is 0) and missing outside it
(``metrics.md``: a lag outside the coverage is missing, not zero); buckets the coverage cuts are marked
partial.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from analytics.anomaly import flag_spikes
from analytics.casedays import read as casedays
from analytics.coverage import data_coverage
from analytics.cube.read import is_cube
from analytics.cube.series import cube_trend_counts
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


def bucket_ends(starts: pd.DatetimeIndex, grain: str) -> pd.DatetimeIndex:
    """The exclusive end of each bucket."""
    step = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7), "month": pd.offsets.MonthBegin(1)}[grain]
    return starts + step


def covered_span(con: duckdb.DuckDBPyConnection, f: Filters) -> tuple[dt.date, dt.date] | None:
    """The part of the period of ``f`` inside the data coverage, or None when they do not meet."""
    coverage = data_coverage(con)
    if coverage is None or not coverage.overlaps(f.start, f.end):
        return None
    return max(f.start, coverage.start), min(f.end, coverage.end)


def partial_buckets(starts: pd.DatetimeIndex, grain: str, span: tuple[dt.date, dt.date]) -> np.ndarray:
    """True for a bucket that is not wholly inside ``span`` (e.g. the week in which the data ends)."""
    ends = bucket_ends(starts, grain)
    return np.asarray((starts < pd.Timestamp(span[0])) | (ends > pd.Timestamp(span[1])))


def series(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    grain: str = "week",
    split: str = "kind",
    level: str | None = None,
    top: int = 8,
) -> pd.DataFrame:
    """Reported cases per bucket and split value in P (columns ``bucket``, ``series``, ``reported``, ``partial``).

    Only the buckets of P inside the data coverage are listed (days without data are not zeros); a bucket
    the coverage or the period cuts is ``partial`` (charts mark it rather than draw it as a drop). The
    ``top`` series by volume are kept; the rest are summed as ``other``.
    """
    unit = grain_unit(grain)
    expr, join = _split_expr(split, level)
    where, params = case_filter_sql(f)
    span = covered_span(con, f)
    if span is None:
        return pd.DataFrame(columns=["bucket", "series", "reported", "partial"])
    if is_cube(con):  # province scale: the same counts from the cube's report days (no case rows read)
        area_col = level_columns(level or "street")[0] if split == "area" else None
        frame = cube_trend_counts(con, f, unit, split, area_col)
    elif split in casedays.TREND_SPLITS and casedays.usable(con, f):  # the day counts: no case rows read
        sql = casedays.trend_sql(unit, split, where)
        frame = con.cursor().execute(sql, {**params, **period_params(f)}).df()
    else:
        sql = f"""SELECT date_trunc('{unit}', c.reported_at) AS bucket, {expr}::TEXT AS series, count(*) AS reported
                  FROM cases c {join}
                  WHERE c.reported_at >= $start AND c.reported_at < $end AND {where}
                  GROUP BY ALL"""
        frame = con.cursor().execute(sql, {**params, **period_params(f)}).df()
    if frame.empty:
        return pd.DataFrame(columns=["bucket", "series", "reported", "partial"])
    frame["series"] = frame["series"].fillna("unknown")
    keep = frame.groupby("series")["reported"].sum().nlargest(top).index
    frame.loc[~frame["series"].isin(keep), "series"] = "other"
    wide = frame.pivot_table(index="bucket", columns="series", values="reported", aggfunc="sum", fill_value=0)
    index = buckets(span[0], span[1], grain)
    wide = wide.reindex(index, fill_value=0)
    wide.index.name = "bucket"
    out = wide.reset_index().melt(id_vars="bucket", var_name="series", value_name="reported")
    partial = pd.Series(partial_buckets(index, grain, span), index=index)
    return out.assign(partial=out["bucket"].map(partial).astype(bool))


def _totals(con, f: Filters, grain: str) -> pd.Series:
    """Reported per bucket over every bucket of P: NaN where the data does not cover the bucket wholly."""
    frame = series(con, f, grain, "none")
    index = buckets(f.start, f.end, grain)
    if frame.empty:
        span = covered_span(con, f)
        totals = pd.Series(np.nan, index=index, name="reported")
        if span is not None:
            inside = buckets(span[0], span[1], grain)
            totals[inside[~partial_buckets(inside, grain, span)]] = 0.0
        return totals
    whole = frame[~frame["partial"]].set_index("bucket")["reported"].astype(float)
    return whole.reindex(index).rename("reported")


def baseline_band(con: duckdb.DuckDBPyConnection, f: Filters, grain: str, rules: dict) -> pd.DataFrame:
    """Total reported per bucket in P with its seasonal baseline, band and spike flag (day or week grain).

    Buckets outside the data coverage (or cut by it) are missing: they are neither lags nor judged.
    """
    weeks = int(rules["baseline_weeks"])
    history = dataclasses.replace(f, start=f.start - dt.timedelta(weeks=weeks))
    totals = _totals(con, history, grain)
    flags = flag_spikes(
        totals, grain, float(rules["robust_sd"]), float(rules["min_excess"]), weeks, rules.get("min_lags")
    )
    flags["lower"] = (flags["baseline"] - float(rules["robust_sd"]) * flags["robust_sd"]).clip(lower=0)
    flags = flags[flags.index >= buckets(f.start, f.end, grain)[0]]
    return flags.rename_axis("bucket").reset_index()


def year_over_year(con: duckdb.DuckDBPyConnection, f: Filters, grain: str) -> pd.DataFrame:
    """Reported per bucket in P beside the same bucket a year earlier (NaN where the data does not cover it).

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
    """Reported in P, the previous equal period and a year earlier, with relative changes.

    A comparison period not wholly inside the data coverage has no count and no change (None: "no comparison
    data", never −100 % or +∞); nor does a base of 0.
    """
    where, params = case_filter_sql(f)
    sql = f"SELECT count(*) FROM cases c WHERE c.reported_at >= $start AND c.reported_at < $end AND {where}"
    coverage = data_coverage(con)

    def count(flt: Filters) -> int | None:
        if coverage is None or not coverage.covers(flt.start, flt.end):
            return None
        return int(con.cursor().execute(sql, {**params, **period_params(flt)}).fetchone()[0])

    now, prev, last_year = count(f), count(f.previous()), count(f.year_earlier())

    def change(base):
        return (now - base) / base if now is not None and base else None

    return {
        "reported": now,
        "previous": prev,
        "year_earlier": last_year,
        "period_over_period": change(prev),
        "year_over_year": change(last_year),
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
