"""The physical order of ``cases`` that lets DuckDB skip row groups (see docs/performance.md).

Cases closed within :data:`LATE_CLOSURE_DAYS` of their report come first, then the cases closed later, then
the open ones (no ``closed_at``); each part in report order. A row group of promptly closed cases then has no
NULL ``closed_at`` and a ``closed_at`` range that ends soon after its reports, so DuckDB's min/max statistics
skip it when every case in it was closed before a period starts (the ``RELEVANT`` filter of
:mod:`analytics.metrics`), while filters on ``reported_at`` skip row groups as they do in plain report order.
The order changes no number: only which row groups a query has to read.

Whoever writes ``cases`` (the demo generator, an import) writes in this order and records
``meta.case_order = CASE_ORDER``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CASE_ORDER = "prompt_late_open_by_reported_at"
LATE_CLOSURE_DAYS = 30

# The same order for SQL writers: INSERT INTO cases SELECT ... ORDER BY <ORDER_BY_SQL>
ORDER_BY_SQL = (
    f"CASE WHEN closed_at IS NULL THEN 2 WHEN closed_at - reported_at > INTERVAL {LATE_CLOSURE_DAYS} DAY "
    "THEN 1 ELSE 0 END, reported_at, case_id"
)


def closure_class(cases: pd.DataFrame) -> np.ndarray:
    """0 = closed within :data:`LATE_CLOSURE_DAYS` of the report, 1 = closed later, 2 = open (no ``closed_at``).

    Examples
    --------
    >>> frame = pd.DataFrame({"reported_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-01"]),
    ...                       "closed_at": pd.to_datetime(["2025-01-03", "2025-03-01", None])})
    >>> closure_class(frame).tolist()
    [0, 1, 2]
    """
    closed = cases["closed_at"].notna().to_numpy()
    late = (cases["closed_at"] - cases["reported_at"] > pd.Timedelta(days=LATE_CLOSURE_DAYS)).to_numpy()
    return np.where(~closed, 2, np.where(late, 1, 0))
