"""闭环督办 Closed loop: lifecycle funnel and stage times, departments, overdue cases, workers, disputes."""

from __future__ import annotations

import streamlit as st

from ui import closed_loop_parts as parts
from ui import page
from ui.calendar_note import calendar_footnote

f, key = page.start("page.closed_loop")
st.caption(page.period_caption(f))

funnel_col, stage_col = st.columns([1, 1], gap="medium")
with funnel_col:
    parts.funnel_panel(key, f)
with stage_col:
    parts.stage_panel(key, f)
parts.department_panel(key, f)
parts.overdue_panel(key, f)
worker_col, dispute_col = st.columns([3, 2], gap="medium")
with worker_col:
    parts.worker_panel(key, f)
with dispute_col:
    parts.dispute_panel(key, f)
calendar_footnote(key)
