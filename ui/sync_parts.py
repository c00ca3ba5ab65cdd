"""The Data page's sync panel: the runs of ``python -m analytics sync`` (``sync_log``) and the last error."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from analytics import store
from analytics.sync.delta import SYNC_LOG_COLUMNS
from analytics.sync.live import open_status
from ui.i18n import catalog, current_language, t
from ui.safe import md

MAX_RUNS = 50

# What a failed run's error means, in the page's language; the sync writes its errors in English, with the
# source's own message (PostgreSQL's, in the server's language) quoted after them, kept below as the detail
_QUOTED = r"(?P<column>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
ERROR_KINDS = (
    (re.compile(rf"^schema drift: the source column {_QUOTED} \((?P<kind>[^)]*)\) is gone"), "sync.why.column_gone"),
    (
        re.compile(rf"^schema drift: the source column {_QUOTED} changed type from (?P<old>.+?) to (?P<new>.+?); "),
        "sync.why.column_type",
    ),
    (re.compile(rf"^the watermark column {_QUOTED} is not in the source"), "sync.why.watermark"),
    (re.compile(r"^cannot connect to "), "sync.why.connect"),
    (re.compile(r"^the source lacks (?P<removed>[\d,]+) of the (?P<total>[\d,]+) cases"), "sync.why.removed"),
    (
        re.compile(
            r"(cannot read the source|reading the changed rows|reading the source .* failed|reading the case ids)"
        ),
        "sync.why.read",
    ),
)


def sync_runs(limit: int = MAX_RUNS) -> pd.DataFrame:
    """The latest runs, newest first (at most ``limit``), from the newest generation (not cached)."""
    sql = f"SELECT {', '.join(SYNC_LOG_COLUMNS)} FROM sync_log ORDER BY run_id DESC LIMIT $n"
    con = open_status(store.db_path())
    try:
        return con.execute(sql, {"n": limit}).df()
    finally:
        con.close()


def explain(error: str, lang: str | None = None) -> str:
    """What a sync error means, in ``lang`` (default: the page's language; ``sync.why.*``); an error of no
    known kind gets the general sentence."""
    texts = catalog(lang or current_language())
    for pattern, key in ERROR_KINDS:
        found = pattern.search(error)
        if found:
            names = found.groupdict()
            if "column" in names:
                names["column"] = names["column"][1:-1]
            return texts[key].format(**names)
    return texts["sync.why.other"]


def sync_log_panel(key) -> None:
    st.subheader(t("sync.title"))
    runs = sync_runs()
    if runs.empty:
        st.caption(t("sync.none"))
        return
    last_error = runs["error"].iloc[0]
    if isinstance(last_error, str) and last_error:
        st.error(t("sync.last_error", why=md(explain(last_error)), error=md(last_error)))
    runs.insert(
        list(runs.columns).index("error"),
        "why",
        [explain(e) if isinstance(e, str) and e else "" for e in runs["error"]],
    )
    shown = runs.rename(columns={c: t(f"sync.{c}") for c in (*SYNC_LOG_COLUMNS, "why")})
    st.dataframe(shown, hide_index=True, width="stretch")
