"""Column lists of the cases table and a helper for text columns.

Text columns are kept as Python objects while a chunk is generated: pandas 3
would otherwise convert every string array to Arrow and back at each step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CASE_COLUMNS = [
    "case_id",
    "kind",
    "category_code",
    "category_name",
    "category_major",
    "source",
    "grid_id",
    "lon",
    "lat",
    "location_flag",
    "reported_at",
    "filed_at",
    "dispatched_at",
    "handled_at",
    "closed_at",
    "due_at",
    "status",
    "department",
    "reporter_worker_id",
    "self_handled",
    "rework_count",
    "redispatch_count",
    "resolution_level",
    "callback_valid",
    "callback_contacted",
    "callback_solved",
    "satisfaction",
    "quality_flags",
    "description",
]
TIME_COLUMNS = ["reported_at", "filed_at", "dispatched_at", "handled_at", "closed_at", "due_at"]


def text_column(values: np.ndarray | list, index: pd.Index | None = None) -> pd.Series:
    """An object-dtype Series (strings and ``None``), without Arrow conversion."""
    return pd.Series(np.asarray(values, dtype=object), index=index, dtype=object)
