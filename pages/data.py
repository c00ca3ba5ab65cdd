"""数据管理 Data: what is loaded, the data dictionary, and the metric definitions as computed.

Administrators also see the validation report, the import and the audit log. Only the open tab's tables are
drawn (a new session mounted all sixteen data grids of the hidden tabs before); the import and the audit log,
whose widgets must keep their state, are drawn in every run.
"""

from __future__ import annotations

import streamlit as st

from ui import auth, data, import_parts, sync_parts
from ui import data_parts as parts
from ui.calendar_note import calendar_footnote
from ui.guard import ensure_frame
from ui.i18n import t

ensure_frame()
st.title(t("page.data"))
key = data.db_key()
if auth.current().can_administer:
    loaded, report, importing, dictionary, definitions, audit = st.tabs(
        [
            t("data.tab_loaded"),
            t("data.tab_report"),
            t("data.tab_import"),
            t("data.tab_dictionary"),
            t("data.tab_metrics"),
            t("access.audit_tab"),
        ],
        key="data_tab",
        on_change="rerun",
    )
    if loaded.open:
        with loaded:
            parts.loaded_panel(key)
            sync_parts.sync_log_panel(key)
    if report.open:
        with report:
            import_parts.report_panel(key)
    with importing:
        import_parts.import_panel()
    with audit:
        parts.audit_panel()
else:
    dictionary, definitions, importing = st.tabs(
        [t("data.tab_dictionary"), t("data.tab_metrics"), t("data.tab_import")], key="data_tab", on_change="rerun"
    )
    with importing:
        import_parts.import_panel()
if dictionary.open:
    with dictionary:
        parts.dictionary_panel(key)
if definitions.open:
    with definitions:
        parts.definitions_panel(st.session_state.get("filters"))
        calendar_footnote(key)
