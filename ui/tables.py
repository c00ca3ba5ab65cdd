"""Tables for people: translated column headers, formatted rates, PII masked, CSV export with a BOM.

Every download goes through :func:`download`: only roles that may export see the button, each
download is audited, and CSV cells that a spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from analytics.privacy import PERSONAL_COLUMNS, mask_frame
from ui.i18n import fmt_int, t

RATE_SUFFIX = "_rate"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def masked(frame: pd.DataFrame, columns: tuple[str, ...] = ("description",)) -> pd.DataFrame:
    """``frame`` with every column that can hold personal data masked (``columns`` and those of
    :data:`analytics.privacy.PERSONAL_COLUMNS`), unless an administrator unmasked it."""
    from ui.auth import unmasked

    return mask_frame(frame, tuple(dict.fromkeys((*columns, *PERSONAL_COLUMNS))), unmask=unmasked())


def defuse_formula(value):
    """A text cell starting with ``= + - @``, tab or CR, prefixed with ``'`` (spreadsheets show it as text)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


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
    """CSV as UTF-8 with a byte-order mark, so Excel opens Chinese text correctly; formula-like text
    cells and headers are defused (:func:`defuse_formula`). Numbers stay numbers (``-3`` is a value)."""
    out = frame.copy()
    out.columns = [defuse_formula(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(defuse_formula)
    # CRLF rows (RFC 4180): a cell holding a bare CR is then quoted, so it cannot split a row
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def download(
    label: str,
    payload: bytes | Callable[[], bytes],
    file_name: str,
    mime: str,
    key: str,
    icon: str,
    action: str = "export",
):
    """A download button for roles that may export (nothing for the others); each download is audited.

    ``payload`` may be a callable that Streamlit runs only when the button is clicked (off the script thread: it
    must not read the session). Such a download is audited by the callable itself, with the user and address
    read when the button was drawn, and the click starts no rerun: with a rerun, Streamlit registered the
    button's callable anew under another id and dropped the clicked one, and a browser whose request came after
    that (a busy server) got no file at all."""
    from ui.auth import audit, audit_recorder, current

    who = current()
    if not who.can_export:
        return
    if callable(payload):
        record = audit_recorder(action, principal=who)

        def audited() -> bytes:
            body = payload()
            record(file=file_name, bytes=len(body))
            return body

        st.download_button(label, audited, file_name=file_name, mime=mime, key=key, icon=icon, on_click="ignore")
        return
    st.download_button(
        label,
        payload,
        file_name=file_name,
        mime=mime,
        key=key,
        icon=icon,
        on_click=lambda: audit(action, file=file_name, bytes=len(payload)),
    )


# st.dataframe's row and header heights (px): a table with few rows is drawn no taller than its rows.
ROW_PX, HEADER_PX = 35, 38


def fitted_height(rows: int, most: int | None) -> int | str:
    """Pixel height of a table of ``rows`` rows drawn at most ``most`` px tall ("auto" without a limit)."""
    if most is None:
        return "auto"
    return min(most, HEADER_PX + ROW_PX * max(rows, 1) + 3)


def show_table(
    frame: pd.DataFrame,
    columns: list[str],
    filename: str,
    key: str,
    height: int | None = None,
    rows_shown: int | None = None,
) -> None:
    """A sortable table with a CSV download of exactly what is listed (written when the button is clicked, not on
    every run: 0.1–0.3 s for a table of thousands of rows). ``height`` is the most it takes (px): a table with
    fewer rows is drawn to fit them. With ``rows_shown``, the screen shows only the first that many rows, says
    so, and the CSV still holds every row."""
    table = localized(frame, columns)
    shown = table if rows_shown is None or len(table) <= rows_shown else table.head(rows_shown)
    config = {
        t(f"col.{c}"): st.column_config.NumberColumn(format=number_format(c, frame[c]))
        for c in columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    }
    st.dataframe(
        shown, hide_index=True, width="stretch", height=fitted_height(len(shown), height), column_config=config
    )
    if len(shown) < len(table):
        st.caption(t("common.rows_shown", shown=fmt_int(len(shown)), total=fmt_int(len(table))))
    download(t("common.download_csv"), lambda: csv_bytes(table), filename, "text/csv", key, ":material/download:")
