"""Rejects: every row that cannot become a case, with the reason and the raw row as JSON.

Rows go to ``rejects(source, row_number, reason, raw)`` for ``missing_id``,
``duplicate_id`` (the first occurrence is kept, across all files in order),
``missing_reported_at``, ``unparseable_reported_at``, ``invalid_kind`` and, for CSV,
``wrong_field_count``. Usable rows with problems are loaded with flags instead
(``canonical`` sets ``quality_flags``, ``locate`` sets ``location_flag``).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from analytics.ingest.canonical import MappedFile
from analytics.ingest.readers import CaseFile

REJECT_COLUMNS = ["source", "row_number", "reason", "raw"]


def _raw_json(frame: pd.DataFrame, positions: np.ndarray) -> list[str]:
    records = frame.iloc[positions].to_dict("records")
    return [
        json.dumps(
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}, ensure_ascii=False
        )
        for r in records
    ]


def file_rejects(case_file: CaseFile, reasons: pd.Series) -> pd.DataFrame:
    """Rejects of one file: rows with a reason, and rows the reader could not split into fields."""
    positions = np.flatnonzero(reasons.notna().to_numpy())
    frame = pd.DataFrame(
        {
            "source": case_file.name,
            "row_number": case_file.row_numbers.to_numpy()[positions],
            "reason": reasons.to_numpy(object)[positions],
            "raw": (
                _raw_json(case_file.frame, positions)
                if case_file.raw_json is None
                else [case_file.raw_json[i] for i in positions]
            ),
        }
    )
    bad = pd.DataFrame(case_file.bad_rows, columns=["row_number", "reason", "raw"]).assign(source=case_file.name)
    both = pd.concat([frame, bad[REJECT_COLUMNS]], ignore_index=True).astype({"row_number": "int64"})
    return both.sort_values("row_number", kind="stable", ignore_index=True)


def mark_duplicates(files: list[tuple[CaseFile, MappedFile]]) -> None:
    """Reject every later occurrence of a case id, across all files in order (first one kept)."""
    ids = pd.concat([m.cases["case_id"].where(m.reject_reason.isna()) for _, m in files], ignore_index=True)
    duplicate = ids.notna() & ids.duplicated(keep="first")
    start = 0
    for _, mapped in files:
        part = duplicate.iloc[start : start + len(mapped.cases)].to_numpy()
        mapped.reject_reason = mapped.reject_reason.mask(
            pd.Series(part, index=mapped.reject_reason.index), "duplicate_id"
        )
        start += len(mapped.cases)
