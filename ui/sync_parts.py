"""The Data page's sync panel: the runs of ``python -m analytics sync`` (``sync_log``) and the last error."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from analytics import store
from analytics.sync.delta import SYNC_LOG_COLUMNS
from analytics.sync.live import open_status
from ui.i18n import t

MAX_RUNS = 50


def sync_runs(limit: int = MAX_RUNS) -> pd.DataFrame:
    """The latest runs, newest first (at most ``limit``), from the newest generation (not cached)."""
    sql = f"SELECT {', '.join(SYNC_LOG_COLUMNS)} FROM sync_log ORDER BY run_id DESC LIMIT $n"
    con = open_status(store.db_path())
    try:
        return con.execute(sql, {"n": limit}).df()
    finally:
        con.close()


def escape_markdown(text: str) -> str:
    """``text`` shown literally by Streamlit's markdown (an error can quote the source's column names)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text)


def sync_log_panel(key) -> None:
    st.subheader(t("sync.title"))
    runs = sync_runs()
    if runs.empty:
        st.caption(t("sync.none"))
        return
    last_error = runs["error"].iloc[0]
    if isinstance(last_error, str) and last_error:
        st.error(t("sync.last_error", error=escape_markdown(last_error)))
    shown = runs.rename(columns={c: t(f"sync.{c}") for c in SYNC_LOG_COLUMNS})
    st.dataframe(shown, hide_index=True, width="stretch")
