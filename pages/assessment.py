"""考核评价 Assessment: scorecards of grids, departments and workers, score breakdown, city index."""

from __future__ import annotations

import streamlit as st

from ui import assessment_parts as parts
from ui import page

f, key = page.start("page.assessment")
st.caption(page.period_caption(f))

entity = parts.entity_picker()
weights = parts.weights_panel(entity)
card = parts.scorecard(key, f, entity, weights)
table_col, chart_col = st.columns([3, 2], gap="medium")
with table_col:
    parts.scorecard_table(card, entity)
with chart_col:
    parts.breakdown_chart(card, entity, weights)
parts.city_index_table(key, f)
