"""数据管理 Data: what is loaded, the data dictionary, and the metric definitions as computed.

Administrators also see the validation report, the import and the audit log.
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
        ]
    )
    with loaded:
        parts.loaded_panel(key)
        sync_parts.sync_log_panel(key)
    with report:
        import_parts.report_panel(key)
    with importing:
        import_parts.import_panel()
    with audit:
        parts.audit_panel()
else:
    dictionary, definitions, importing = st.tabs(
        [t("data.tab_dictionary"), t("data.tab_metrics"), t("data.tab_import")]
    )
    with importing:
        import_parts.import_panel()
with dictionary:
    parts.dictionary_panel(key)
with definitions:
    parts.definitions_panel(st.session_state.get("filters"))
    calendar_footnote(key)
