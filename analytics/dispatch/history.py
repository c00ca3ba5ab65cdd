"""Cases the dispatch model learns from and is tested on, read through :class:`~analytics.filters.Filters`."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics.dispatch.features import hour_blocks
from analytics.filters import Filters, case_filter_sql, period_params

HISTORY_SQL = """
SELECT c.case_id, c.reported_at, c.description, c.category_code, c.category_name, c.kind,
       c.department, c.grid_id, g.district_id, c.source
FROM cases c LEFT JOIN grids g ON g.grid_id = c.grid_id
WHERE c.reported_at >= $start AND c.reported_at < $end
  AND c.department IS NOT NULL AND c.description IS NOT NULL AND {where}
ORDER BY c.reported_at DESC, c.case_id DESC
LIMIT $limit
"""


def dispatched_history(con: duckdb.DuckDBPyConnection, f: Filters, limit: int) -> pd.DataFrame:
    """The most recent ``limit`` cases reported in P that have a department and a text, oldest first.

    The department is the one that finally handled the case (after any re-dispatch): what the model
    should have suggested.
    """
    if limit < 1:
        raise ValueError(f"the training limit must be at least 1, got {limit}")
    where, params = case_filter_sql(f)
    frame = (
        con.cursor().execute(HISTORY_SQL.format(where=where), {**params, **period_params(f), "limit": int(limit)}).df()
    )
    frame = frame.iloc[::-1].reset_index(drop=True)
    frame["hour_block"] = hour_blocks(frame["reported_at"])
    return frame


def coverage(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    """``[first report day, day after the last report)`` of the cases table."""
    first, last = con.cursor().execute("SELECT min(reported_at), max(reported_at) FROM cases").fetchone()
    if first is None:
        raise ValueError("the database has no cases")
    return first.date(), last.date() + dt.timedelta(days=1)
