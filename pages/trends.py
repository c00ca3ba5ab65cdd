"""趋势分析 Trends: series by category, class, source, kind or area; baseline and spikes; YoY; theme tracker."""

from __future__ import annotations

import streamlit as st

from ui import page
from ui import trends_parts as parts

f, key = page.start("page.trends")
st.caption(page.period_caption(f))

grain, split, level = parts.controls(f)
parts.change_tiles(key, f)
parts.series_panel(key, f, grain, split, level)
band_col, yoy_col = st.columns(2, gap="medium")
with band_col:
    parts.baseline_panel(key, f, grain)
with yoy_col:
    parts.yoy_panel(key, f, grain)
parts.theme_panel(key, f)
