"""网格档案 Area profile: KPIs against the city median with rank, trend, category mix, lifecycle times,
open and overdue cases, grid workers, population and neighbouring areas."""

from __future__ import annotations

import streamlit as st

from analytics.privacy_names import preload as preload_name_model
from ui import page
from ui import profile_parts as parts
from ui.search_parts import place_search

f, key = page.start("page.profile")
preload_name_model()  # the case lists below are masked: jieba's model loads while the queries run
level, area = parts.choose_area(key, f, lambda: place_search(key, "profile", parts.open_profile))
info = parts.header(key, level, area)
if info is None:
    st.stop()
st.caption(page.period_caption(f))
area_f = parts.area_filters(f, level, area)
parts.kpi_panel(key, f, level, area)
left, right = st.columns(2, gap="medium")
with left:
    parts.trend_panel(key, area_f)
    parts.stage_panel(key, f, area_f)
with right:
    parts.mix_panel(key, area_f)
    parts.population_panel(info)
    parts.start_repeats(key, f, level)  # started here only when the page will wait for it (a small period)
    repeats_slot = st.container()  # filled last: a big period's analysis starts after the page's own queries
parts.cases_panel(key, area_f)
workers_col, neighbours_col = st.columns([2, 3], gap="medium")
with workers_col:
    parts.workers_panel(key, area_f)
with neighbours_col:
    parts.neighbours_panel(key, f, level, area)
with repeats_slot:
    parts.repeats_panel(key, f, level, area)
