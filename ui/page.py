"""The start every page shares: the frame guard, the title, the shared filters, and the period caption."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.filters import Filters
from ui import data, names
from ui.guard import ensure_frame
from ui.i18n import fmt_date, t


def start(title_key: str) -> tuple[Filters, tuple]:
    """Guard, title and the sidebar's filters; stops the page with a message when there is no data."""
    ensure_frame()
    f = st.session_state.get("filters")
    st.title(t(title_key))
    if f is None:
        st.info(t("app.no_data"))
        st.stop()
    return f, data.db_key()


def period_caption(f: Filters) -> str:
    last = f.end - dt.timedelta(days=1)
    prev = f.previous()
    area = t("level.city") if f.area is None else names.area_label(f.level, f.area)
    kind = t(f"kind.{f.kind}") if f.kind in ("incident", "demand", "dispute") else t("kind.all")
    return t(
        "overview.caption",
        start=fmt_date(f.start),
        end=fmt_date(last),
        prev_start=fmt_date(prev.start),
        prev_end=fmt_date(prev.end - dt.timedelta(days=1)),
        area=area,
        kind=kind,
    )
