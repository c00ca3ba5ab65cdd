"""诉求洞察 Demand insight: what residents ask about (top and emerging terms, search over descriptions)
and where it keeps coming back (repeats 一事多诉 and rebounds 问题反弹)."""

from __future__ import annotations

import streamlit as st

from ui import insight_parts as parts
from ui import page
from ui.i18n import t

f, key = page.start("page.insight")
st.caption(page.period_caption(f))
terms_tab, repeats_tab = st.tabs([t("insight.tab_terms"), t("insight.tab_repeats")])
with terms_tab:
    top_col, emerging_col = st.columns(2, gap="medium")
    with top_col:
        top = parts.top_terms_panel(key, f)
    with emerging_col:
        rising = parts.emerging_panel(key, f)
    parts.term_detail(key, f, list(dict.fromkeys([*rising["term"].tolist(), *top["term"].tolist()])))
    parts.search_panel(key, f)
with repeats_tab:
    parts.repeat_panel(key, f)
