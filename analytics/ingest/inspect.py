"""A quick look at one case file before importing it (for the Data page's import form)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analytics.ingest.mapping import suggest_preset
from analytics.ingest.readers import read_case_file


@dataclass
class FileInfo:
    name: str
    columns: list[str]
    encoding: str | None
    delimiter: str | None
    sample: pd.DataFrame
    suggested_preset: str | None


def inspect_file(path: str | Path, rows: int = 5, encoding: str | None = None) -> FileInfo:
    """Columns, detected encoding and delimiter, the first ``rows`` rows as text and a matching preset."""
    case_file = read_case_file(path, encoding=encoding, nrows=rows)
    columns = list(case_file.frame.columns)
    return FileInfo(
        case_file.name, columns, case_file.encoding, case_file.delimiter, case_file.frame, suggest_preset(columns)
    )
