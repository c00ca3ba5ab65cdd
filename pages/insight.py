"""诉求洞察 Demand insight: what residents ask about (top and emerging terms, search over descriptions)
and where it keeps coming back (repeats 一事多诉 and rebounds 问题反弹). The terms tab, whose widgets keep their
state, is drawn in every run; the repeats tab only when open, its city-wide analyses started either way."""

from __future__ import annotations

import streamlit as st

from analytics.privacy_names import preload as preload_name_model
from ui import insight_parts as parts
from ui import page
from ui.i18n import t

f, key = page.start("page.insight")
preload_name_model()  # the case lists below are masked: jieba's model loads while the queries run
st.caption(page.period_caption(f))
terms_tab, repeats_tab = st.tabs(
    [t("insight.tab_terms"), t("insight.tab_repeats")], key="insight_tab", on_change="rerun"
)
with terms_tab:
    top_col, emerging_col = st.columns(2, gap="medium")
    with top_col:
        top = parts.top_terms_panel(key, f)
    with emerging_col:
        rising = parts.emerging_panel(key, f)
    parts.term_detail(key, f, list(dict.fromkeys([*rising["term"].tolist(), *top["term"].tolist()])))
    parts.search_panel(key, f)
jobs = parts.repeat_jobs(key, f)  # started now, drawn when their tab is opened (a map and two tables)
if repeats_tab.open:
    with repeats_tab:
        parts.repeat_panel(key, f, jobs)
