"""网格地图 Grid map: a choropleth of any metric at any level, optional layers, click a polygon to drill down."""

from __future__ import annotations

import streamlit as st

from ui import map_parts as parts
from ui import page

f, key = page.start("page.grid_map")
st.caption(page.period_caption(f))
parts.map_section(key, f)
