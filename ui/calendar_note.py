"""The working-calendar footnote: which years' holidays are known, and which years of the data are not."""

from __future__ import annotations

import datetime as dt

import numpy as np
import streamlit as st

from ui import data
from ui.i18n import t


def calendar_footnote(key) -> None:
    """One caption under a page that uses working-time deadlines; a warning when the data has years the
    calendar does not know (their working-time deadlines count weekends only)."""
    cal = data.work_calendar()
    if cal.covered_years is None:
        st.caption(t("edges.calendar_weekends_only", start=cal.work_start, end=cal.work_end))
        return
    st.caption(t(f"edges.calendar_{cal.official.replace('-', '_')}", years=cal.coverage_text()))
    span = data.data_range(key)
    if span is None:
        return
    days = np.arange(np.datetime64(span[0]), np.datetime64(span[1] - dt.timedelta(days=1)) + 1)
    missing = cal.uncovered_years(days)
    if missing:
        st.warning(t("edges.calendar_uncovered", years=", ".join(str(y) for y in missing)))
