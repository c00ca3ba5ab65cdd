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


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV as UTF-8 with a byte-order mark, so Excel opens Chinese text correctly."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def show_table(frame: pd.DataFrame, columns: list[str], filename: str, key: str, height: int | None = None) -> None:
    """A sortable table with a CSV download of exactly what is shown."""
    table = localized(frame, columns)
    config = {t(f"col.{c}"): st.column_config.NumberColumn(format="%.1f%%") for c in columns if c.endswith(RATE_SUFFIX)}
    st.dataframe(table, hide_index=True, width="stretch", height=height or "auto", column_config=config)
    st.download_button(t("common.download_csv"), csv_bytes(table), file_name=filename, mime="text/csv", key=key,
                       icon=":material/download:")
