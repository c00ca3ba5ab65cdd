"""Reports per day, kind and category from one scan of the cases: the overview's top categories and its spike alert.

The overview read the cases twice for these: :func:`analytics.queries.category_counts` (the period and the
previous one) and the spike alert's daily counts (:func:`analytics.alerts.daily_category_counts`, the baseline
weeks before the period and the period). :func:`category_days` reads the union of the two windows once, grouped
by day, kind and category, and :func:`category_counts` and :func:`daily_counts` give each caller the rows its own
query gives (``tests/test_category_days.py``). A cube answers both from its own roll-ups, so it is not read here.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics.filters import Filters, case_filter_sql, period_params

CATEGORY_DAYS_SQL = """
SELECT c.reported_at::DATE AS day, c.kind, c.category_code, any_value(c.category_name) AS category_name,
       any_value(c.category_major) AS category_major, count(*) AS n
FROM cases c
WHERE c.reported_at >= $since AND c.reported_at < $end AND {where}
GROUP BY c.reported_at::DATE, c.kind, c.category_code"""


def since(f: Filters, weeks: int) -> dt.date:
    """The first day either reader needs: the previous period's start or ``weeks`` before the period."""
    return min(f.previous().start, f.start - dt.timedelta(weeks=int(weeks)))


def category_days(con: duckdb.DuckDBPyConnection, f: Filters, weeks: int) -> pd.DataFrame:
    """``day``, ``kind``, ``category_code``, ``category_name``, ``category_major`` and the count ``n`` of the cases
    of ``f`` reported from :func:`since` to the end of the period."""
    if int(weeks) < 0:
        raise ValueError(f"baseline weeks must not be negative, got {weeks!r}")
    where, params = case_filter_sql(f)
    bound = {**params, "since": dt.datetime.combine(since(f, weeks), dt.time()), "end": period_params(f)["end"]}
    return con.cursor().execute(CATEGORY_DAYS_SQL.format(where=where), bound).df()


def _days(days: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(days["day"]).dt.date


def category_counts(days: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The rows of :func:`analytics.queries.category_counts` for ``f`` from :func:`category_days`'s frame: every
    kind and category reported in P, its count in P and in the previous period, most reported first."""
    day = _days(days)
    rows = days[day >= f.previous().start]
    current = (day[rows.index] >= f.start).to_numpy()
    rows = rows.assign(reported=rows["n"].where(current, 0), reported_previous=rows["n"].where(~current, 0))
    out = rows.groupby(["kind", "category_code"], sort=False, dropna=False).agg(
        category_name=("category_name", "first"),
        category_major=("category_major", "first"),
        reported=("reported", "sum"),
        reported_previous=("reported_previous", "sum"),
    )
    out = out[out["reported"] > 0].reset_index()
    out = out.sort_values(["reported", "category_code", "kind"], ascending=[False, True, True], kind="stable")
    out[["reported", "reported_previous"]] = out[["reported", "reported_previous"]].astype("int64")
    return out.reset_index(drop=True)


def daily_counts(days: pd.DataFrame, f: Filters, weeks: int) -> pd.DataFrame:
    """The rows of the spike alert's daily query (``day``, ``category_code``, ``name``, ``n``: the kinds
    together) from ``weeks`` before the period to its end."""
    rows = days[_days(days) >= f.start - dt.timedelta(weeks=int(weeks))]
    out = rows.groupby(["day", "category_code"], sort=False, dropna=False).agg(
        name=("category_name", "first"), n=("n", "sum")
    )
    return out.reset_index()
