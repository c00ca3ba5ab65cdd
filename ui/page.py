"""The start every page shares: the frame guard, the title, the shared filters, and the period caption."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.filters import Filters
from ui import data, names
from ui.guard import ensure_frame
from ui.i18n import fmt_date, t
from ui.safe import md


def start(title_key: str) -> tuple[Filters, tuple]:
    """Guard, title and the sidebar's filters; stops the page with a message when there is no data."""
    ensure_frame()
    f = st.session_state.get("filters")
    st.title(t(title_key))
    if f is None:
        st.info(t("app.no_data"))
        st.stop()
    key = data.db_key()
    coverage_notice(f, data.coverage(key))
    return f, key


def coverage_notice(f: Filters, coverage) -> None:
    """Say when the data does not cover the period (metrics.md: never zeros and 100 % as if measured)."""
    state = coverage.state(f) if coverage is not None else "outside"
    if state == "inside":
        return
    values = {
        "start": fmt_date(f.start),
        "end": fmt_date(f.end - dt.timedelta(days=1)),
        "data_start": fmt_date(coverage.start) if coverage else "—",
        "data_end": fmt_date(coverage.end - dt.timedelta(days=1)) if coverage else "—",
    }
    if state == "outside":
        st.warning(t("edges.coverage_outside", **values))
    else:
        st.info(t("edges.coverage_partial", **values))


def period_caption(f: Filters, markdown: bool = True) -> str:
    """The period, comparison period, area and kind in words (the area escaped for markdown unless ``markdown`` is False)."""
    last = f.end - dt.timedelta(days=1)
    prev = f.previous()
    label = names.area_label(f.level, f.area) if f.area is not None else None
    whole = t("level.city") if f.scope is None or f.scope.whole_city else t("access.my_areas")
    area = whole if label is None else md(label) if markdown else label
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
