"""对比分析 Compare: two periods (before/after an intervention date) or two areas side by side, with the
change of every KPI, whether a change of a rate is more than noise, both maps on one scale and the
category mix. Every control is in the URL, so a link reproduces the view."""

from __future__ import annotations

import streamlit as st

from ui import compare_parts as parts
from ui import page, present

f, key = page.start("page.compare")
sides = parts.sides(key, f, parts.mode_picker())
rows = parts.kpi_tiles(key, sides)
if present.is_presenting():
    map_col, side_col = st.columns([3, 2], gap="medium")
    with map_col:
        parts.maps_panel(key, sides, height=380)
    with side_col:
        parts.mix_panel(key, sides, height=300)
        parts.significance_table(rows)
else:
    parts.significance_table(rows)
    parts.maps_panel(key, sides)
    parts.mix_panel(key, sides)
