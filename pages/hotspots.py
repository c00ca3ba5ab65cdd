"""需求热点 Demand hotspots: per-capita demand, Gi* hot and cold spots, emerging-hotspot classes."""

from __future__ import annotations

import streamlit as st

from ui import data, page
from ui import hotspot_parts as parts

f, key = page.start("page.hotspots")
choice = parts.controls(f, parts.population_known(key), data.coverage(key))
st.caption(page.period_caption(choice.filters))
result = parts.analysis(key, choice)
if result is None:
    st.stop()
parts.summary_line(result, choice)
parts.maps(key, result, choice)
parts.ranked_table(result, choice)
