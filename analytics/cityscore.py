"""City index views after Boston's CityScore: each metric's ratio to its target over the last day,
week, month and quarter that end with the period, beside the index (mean of the ratios) of each.

The ratio and the index are :func:`analytics.scoring.city_index`, so every view follows the one
definition in ``metrics.md``; only the window changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd

from analytics import metrics
from analytics.filters import Filters
from analytics.scoring import city_index

# view -> days of the window that ends with the period's end
VIEWS = {"day": 1, "week": 7, "month": 30, "quarter": 91}


def view_filters(f: Filters) -> dict[str, Filters]:
    """The window of each view: ``[end - days, end)`` with ``f``'s area and kind."""
    return {view: dataclasses.replace(f, start=f.end - dt.timedelta(days=days)) for view, days in VIEWS.items()}


def index_views(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict) -> pd.DataFrame:
    """One row per target metric (and a last row ``index``): its target and the ratio in each view."""
    targets = cfg["city_index"]["targets"]
    rows = {metric: {"metric": metric, "target": float(target)} for metric, target in targets.items()}
    rows["index"] = {"metric": "index", "target": 1.0}
    for view, window in view_filters(f).items():
        result = city_index(metrics.summary(con, window, cfg), cfg)
        for metric in targets:
            rows[metric][view] = result["ratios"][metric]
        rows["index"][view] = result["index"]
    return pd.DataFrame(list(rows.values()), columns=["metric", "target", *VIEWS])
