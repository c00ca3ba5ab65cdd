"""网格地图 Grid map: a choropleth of any metric at any level, optional layers, click a polygon to drill down."""

from __future__ import annotations

import streamlit as st

from ui import data, map_parts as parts
from ui.i18n import t
from ui.overview_parts import period_caption
from ui.guard import ensure_frame

ensure_frame()
f = st.session_state.get("filters")
st.title(t("page.grid_map"))
if f is None:
    st.info(t("app.no_data"))
    st.stop()
st.caption(period_caption(f))
parts.map_section(data.db_key(), f)
