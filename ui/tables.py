"""Tables for people: translated column headers, formatted rates, PII masked, CSV export with a BOM."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.privacy import mask_frame
from ui import data
from ui.i18n import t

RATE_SUFFIX = "_rate"


def masked(frame: pd.DataFrame, columns: tuple[str, ...] = ("description",)) -> pd.DataFrame:
    """``frame`` with free text masked unless the configuration unmasks it."""
    return mask_frame(frame, columns, unmask=bool(data.config()["privacy"]["unmask"]))


def localized(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The chosen columns, headed by their ``col.<name>`` catalog strings (rates as percentages)."""
    out = frame[columns].copy()
    for column in columns:
        if column.endswith(RATE_SUFFIX):
            out[column] = (pd.to_numeric(out[column], errors="coerce") * 100).round(1)
        elif column.endswith("_hours") or column == "score":
            out[column] = pd.to_numeric(out[column], errors="coerce").round(1)
    return out.rename(columns={c: t(f"col.{c}") for c in columns})


def number_format(column: str, values: pd.Series) -> str:
    """Display format of a numeric column: rates as 12.3%, hours/scores/per-1,000 with one decimal, counts whole."""
    if column.endswith(RATE_SUFFIX):
        return "%.1f%%"
    if column == "rank_change":
        return "%+d"
    if pd.api.types.is_integer_dtype(values):
        return "%d"
    if column in ("p", "p_fdr"):
        return "%.4f"
    return (
        "%.1f"
        if column.endswith(("_hours", "_overdue", "_1000")) or column in ("score", "value_count", "z")
        else "%.2f"
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV as UTF-8 with a byte-order mark, so Excel opens Chinese text correctly."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def show_table(frame: pd.DataFrame, columns: list[str], filename: str, key: str, height: int | None = None) -> None:
    """A sortable table with a CSV download of exactly what is shown."""
    table = localized(frame, columns)
    config = {
        t(f"col.{c}"): st.column_config.NumberColumn(format=number_format(c, frame[c]))
        for c in columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    }
    st.dataframe(table, hide_index=True, width="stretch", height=height or "auto", column_config=config)
    st.download_button(
        t("common.download_csv"),
        csv_bytes(table),
        file_name=filename,
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )
