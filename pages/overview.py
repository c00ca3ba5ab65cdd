"""一屏总览 Overview: KPI tiles, the grid status map, alerts, the trend and the top categories."""

from __future__ import annotations

import streamlit as st

from ui import data, page, present
from ui import overview_parts as parts
from ui.i18n import t
from ui.tiles import kpi_tiles

f, key = page.start("page.overview")
st.caption(page.period_caption(f))
current, previous = data.summaries(key, f)
if current["reported"] == 0 and current["due_to_close"] == 0:
    st.warning(t("overview.empty"))
kpi_tiles(current, previous)

if present.is_presenting():  # one 1920×1080 screen: map | trend and categories | alerts
    map_col, chart_col, side_col = st.columns([5, 4, 3], gap="medium")
    with map_col:
        parts.status_map_panel(key, f, height=640)
    with chart_col:
        parts.trend_panel(key, f, height=300)
        parts.top_categories_panel(key, f, height=300)
    with side_col:
        parts.alert_panel(key, f, height=520)
        parts.city_index_panel(current)
else:
    map_col, side_col = st.columns([3, 2], gap="medium")
    with map_col:
        parts.status_map_panel(key, f)
    with side_col:
        parts.alert_panel(key, f)
        parts.city_index_panel(current)
    trend_col, top_col = st.columns([3, 2], gap="medium")
    with trend_col:
        parts.trend_panel(key, f)
    with top_col:
        parts.top_categories_panel(key, f)
parts.briefing_download(key, f, current, previous)
