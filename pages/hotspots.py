"""需求热点 Demand hotspots: per-capita demand, Gi* hot and cold spots, emerging-hotspot classes."""

from __future__ import annotations

import streamlit as st

from ui import data, hotspot_parts as parts
from ui.i18n import t
from ui.overview_parts import period_caption
from ui.guard import ensure_frame

ensure_frame()
f = st.session_state.get("filters")
st.title(t("page.hotspots"))
if f is None:
    st.info(t("app.no_data"))
    st.stop()
key = data.db_key()
choice = parts.controls(f)
st.caption(period_caption(choice.filters))
result = parts.analysis(key, choice)
if result is None:
    st.stop()
parts.summary_line(result, choice)
gi_col, emerging_col = st.columns(2, gap="medium")
with gi_col:
    parts.gi_map(key, result, choice)
with emerging_col:
    parts.emerging_map(key, result, choice)
parts.ranked_table(result, choice)
