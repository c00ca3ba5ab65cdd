"""数据管理 Data: what is loaded, the data dictionary, and the metric definitions as computed."""

from __future__ import annotations

import streamlit as st

from ui import data, import_parts, sync_parts
from ui import data_parts as parts
from ui.calendar_note import calendar_footnote
from ui.guard import ensure_frame
from ui.i18n import t

ensure_frame()
st.title(t("page.data"))
key = data.db_key()
loaded, report, importing, dictionary, definitions = st.tabs(
    [t("data.tab_loaded"), t("data.tab_report"), t("data.tab_import"), t("data.tab_dictionary"), t("data.tab_metrics")]
)
with loaded:
    parts.loaded_panel(key)
    sync_parts.sync_log_panel(key)
with report:
    import_parts.report_panel(key)
with importing:
    import_parts.import_panel()
with dictionary:
    parts.dictionary_panel(key)
with definitions:
    parts.definitions_panel(st.session_state.get("filters"))
    calendar_footnote(key)
