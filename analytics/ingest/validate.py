"""Validation that loses nothing: rejects with the raw row, and data-quality flags on loaded cases.

Rows that cannot become a case go to ``rejects(source, row_number, reason, raw)``:
``missing_id``, ``duplicate_id`` (the first occurrence is kept), ``missing_reported_at``,
``unparseable_reported_at``, ``invalid_kind`` and, for CSV, ``wrong_field_count``.
Usable rows with problems are loaded with comma-separated ``quality_flags``:
``closed_before_reported``, ``closed_within_10min`` and ``unparseable_<column>``
for a time that was given but could not be read (the value is left empty).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from analytics.ingest.canonical import MappedFile
from analytics.ingest.readers import CaseFile

SUSPECT_CLOSURE = pd.Timedelta(minutes=10)
QUALITY_FLAGS = ("closed_before_reported", "closed_within_10min")
REJECT_COLUMNS = ["source", "row_number", "reason", "raw"]


def _raw_json(frame: pd.DataFrame, positions: np.ndarray) -> list[str]:
    records = frame.iloc[positions].to_dict("records")
    return [json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()},
                       ensure_ascii=False) for r in records]


def file_rejects(case_file: CaseFile, reasons: pd.Series) -> pd.DataFrame:
    """Rejects of one file: rows with a reason, and rows the reader could not split into fields."""
    positions = np.flatnonzero(reasons.notna().to_numpy())
    frame = pd.DataFrame({
        "source": case_file.name,
        "row_number": case_file.row_numbers.to_numpy()[positions],
        "reason": reasons.to_numpy(object)[positions],
        "raw": _raw_json(case_file.frame, positions)})
    bad = pd.DataFrame(case_file.bad_rows, columns=["row_number", "reason", "raw"]).assign(source=case_file.name)
    return pd.concat([frame, bad[REJECT_COLUMNS]], ignore_index=True).astype({"row_number": "int64"})


def mark_duplicates(files: list[tuple[CaseFile, MappedFile]]) -> None:
    """Reject every later occurrence of a case id, across all files in order (first one kept)."""
    ids = pd.concat([m.cases["case_id"].where(m.reject_reason.isna()) for _, m in files], ignore_index=True)
    duplicate = ids.notna() & ids.duplicated(keep="first")
    start = 0
    for _, mapped in files:
        part = duplicate.iloc[start:start + len(mapped.cases)].to_numpy()
        mapped.reject_reason = mapped.reject_reason.mask(pd.Series(part, index=mapped.reject_reason.index),
                                                         "duplicate_id")
        start += len(mapped.cases)


def quality_masks(cases: pd.DataFrame) -> dict[str, pd.Series]:
    """Flag name → mask over ``cases`` for the closure-time checks of ``metrics.md``."""
    took = cases["closed_at"] - cases["reported_at"]
    return {"closed_before_reported": (took < pd.Timedelta(0)).fillna(False),
            "closed_within_10min": ((took >= pd.Timedelta(0)) & (took < SUSPECT_CLOSURE)).fillna(False)}


def merge_flags(first: pd.Series, second: pd.Series) -> pd.Series:
    """Two comma-separated flag columns as one (NULL when both are empty)."""
    a, b = first.to_numpy(object), second.to_numpy(object)
    a_ok, b_ok = pd.notna(a), pd.notna(b)
    out = np.where(a_ok & b_ok, a.astype(str) + "," + b.astype(str), np.where(a_ok, a, np.where(b_ok, b, None)))
    return pd.Series(out, index=first.index, dtype="str")


def join_flags(existing: pd.Series, masks: dict[str, pd.Series]) -> pd.Series:
    """Comma-separated flag names per row (source flags first), NULL when none."""
    out = np.where(pd.notna(existing.to_numpy(object)), existing.to_numpy(object), "").astype(object)
    for name, mask in masks.items():
        hit = mask.to_numpy(bool)
        if hit.any():
            out[hit] = np.where(out[hit] == "", name, out[hit] + "," + name)
    return pd.Series(np.where(out == "", None, out), index=existing.index, dtype="str")
