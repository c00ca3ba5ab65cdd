"""Panels of the trends page."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics import trends
from analytics.filters import LEVELS, Filters
from ui import data, names, present
from ui.charts import band_chart, before_after_chart, compare_chart, trend_chart
from ui.filters import choice, keep_if_offered, labels
from ui.i18n import date_tickformat, fmt_date, fmt_int, fmt_signed_pct, t
from ui.safe import md
from ui.tables import csv_bytes, download

GRAINS = ("day", "week", "month")
DAY_MS = 86_400_000  # one x tick a day on short daily series
THEME_WEEKS = 8  # the theme tracker's weeks on each side of the intervention, at first
SPLITS = ("kind", "category_major", "category", "source", "area", "none")


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _series(db_key, f: Filters, grain: str, split: str, level: str | None) -> pd.DataFrame:
    return trends.series(data.connection(), f, grain, split, level)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _band(db_key, f: Filters, grain: str) -> pd.DataFrame:
    return trends.baseline_band(data.connection(), f, grain, data.config()["spikes"])


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _yoy(db_key, f: Filters, grain: str) -> pd.DataFrame:
    return trends.year_over_year(data.connection(), f, grain)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _changes(db_key, f: Filters) -> dict:
    return trends.period_changes(data.connection(), f)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _theme(db_key, f: Filters, category: str, day: dt.date, weeks: int, span) -> dict:
    return trends.theme_tracker(data.connection(), f, category, day, weeks, span)


def controls(f: Filters) -> tuple[str, str, str | None]:
    cols = st.columns([2, 3, 2])
    default = "day" if f.days <= 45 else ("week" if f.days <= 200 else "month")
    grain = (
        cols[0].segmented_control(
            t("trend.grain"),
            GRAINS,
            default=default,
            format_func=labels("grain", GRAINS).__getitem__,
            key="trend_grain",
        )
        or default
    )
    split = choice(t("trend.split"), SPLITS, labels("split", SPLITS), "trend_split", where=cols[1])
    level = None
    if split == "area":
        level = choice(
            t("filter.level"),
            [lv for lv in data.levels(data.db_key()) if lv != "grid"] or ["grid"],
            labels("level", LEVELS),
            "trend_level",
            where=cols[2],
        )
    return grain, split, level


def change_tiles(key, f: Filters) -> None:
    c = _changes(key, f)
    cols = st.columns(3)
    cols[0].metric(t("metric.reported"), fmt_int(c["reported"]), border=True)
    none = t("edges.no_comparison_tile")
    cols[1].metric(
        t("trend.pop"),
        fmt_signed_pct(c["period_over_period"]) if c["previous"] is not None else none,
        help=t("trend.pop_help", n=fmt_int(c["previous"])),
        border=True,
    )
    cols[2].metric(
        t("trend.yoy"),
        fmt_signed_pct(c["year_over_year"]) if c["year_earlier"] is not None else none,
        help=t("trend.yoy_help", n=fmt_int(c["year_earlier"])),
        border=True,
    )


def _series_label(split: str, level: str | None, value: str) -> str:
    if value == "other":
        return t("trend.other")
    if split == "kind":
        return t(f"kind.{value}")
    if split == "category":
        return names.category_label(value)
    if split == "area":
        return names.area_label(level, value)
    if split == "none":
        return t("kind.all")
    return value


def series_panel(key, f: Filters, grain: str, split: str, level: str | None) -> None:
    st.subheader(t("trend.series_title"))
    frame = _series(key, f, grain, split, level)
    if frame.empty:
        st.info(t("overview.no_trend"))
        return
    label_of = {v: _series_label(split, level, v) for v in frame["series"].unique()}
    fig = trend_chart(frame, label_of, t("metric.reported"), t("edges.partial_bucket"))
    fig.update_xaxes(tickformat=date_tickformat(grain), dtick=DAY_MS if grain == "day" and len(frame) < 60 else None)
    if split != "kind":
        for trace in fig.data:
            trace.line.color = None
    present.plot(fig)
    if frame["partial"].any():
        st.caption(t("edges.partial_note"))
    export = frame.assign(series=frame["series"].map(label_of)).rename(
        columns={"bucket": t("col.bucket"), "series": t("col.series"), "reported": t("col.reported")}
    )
    download(
        t("common.download_csv"),
        csv_bytes(export),
        "trend_series.csv",
        "text/csv",
        key="dl_series",
        icon=":material/download:",
    )


def baseline_panel(key, f: Filters, grain: str) -> None:
    st.subheader(t("trend.band_title"))
    if grain == "month":
        st.info(t("trend.band_month"))
        return
    frame = _band(key, f, grain)
    rules = data.config()["spikes"]
    names = {**labels("trend", ("baseline", "count", "spike")), "band": t("trend.band", k=rules["robust_sd"])}
    fig = band_chart(frame, names)
    fig.update_xaxes(tickformat=date_tickformat(grain))
    present.plot(fig)
    spikes = frame[frame["spike"]]
    st.caption(
        t(
            "trend.spikes",
            n=len(spikes),
            k=data.config()["spikes"]["robust_sd"],
            minimum=data.config()["spikes"]["min_excess"],
        )
    )
    export = frame.rename(columns={c: t(f"col.{c}") for c in frame.columns})
    download(
        t("common.download_csv"),
        csv_bytes(export),
        "trend_baseline.csv",
        "text/csv",
        key="dl_band",
        icon=":material/download:",
    )


def yoy_panel(key, f: Filters, grain: str) -> None:
    st.subheader(t("trend.yoy_title"))
    frame = _yoy(key, f, grain)
    fig = compare_chart(frame, {"reported": t("trend.this_year"), "reported_year_earlier": t("trend.last_year")})
    fig.update_xaxes(tickformat=date_tickformat(grain))
    present.plot(fig)
    export = frame.rename(columns={c: t(f"col.{c}") for c in frame.columns})
    download(
        t("common.download_csv"),
        csv_bytes(export),
        "trend_year_over_year.csv",
        "text/csv",
        key="dl_yoy",
        icon=":material/download:",
    )


def theme_panel(key, f: Filters) -> None:
    st.subheader(t("trend.theme_title"))
    top = data.top_categories(key, f, 30)
    if top.empty:
        st.info(t("overview.no_trend"))
        return
    options = {c: names.category_label(c, n) for c, n in zip(top["category_code"], top["category_name"])}
    default_day = f.start + dt.timedelta(days=f.days // 2)
    keep_if_offered("theme_category", options)  # another period's top categories
    # The choices in a pop-over whose label says them: its widgets are drawn only once it is opened, so a new
    # session loads no list, calendar or slider code for this block at the page's foot (docs/performance.md,
    # "A lighter frame")
    defaults = {"theme_category": next(iter(options)), "theme_date": default_day, "theme_weeks": THEME_WEEKS}
    shown = {k: st.session_state.get(k, v) for k, v in defaults.items()}  # what the widgets below will return
    label = t(
        "trend.theme_choice",
        category=md(options[shown["theme_category"]]),
        day=fmt_date(shown["theme_date"]),
        weeks=shown["theme_weeks"],
    )
    with st.popover(label, icon=":material/tune:"):
        category = st.selectbox(
            t("trend.theme_category"), list(options), format_func=options.__getitem__, key="theme_category"
        )
        day = st.date_input(t("trend.theme_date"), value=defaults["theme_date"], key="theme_date")
        weeks = st.slider(t("trend.theme_weeks"), 4, 26, defaults["theme_weeks"], key="theme_weeks")
    span = data.data_range(key)
    result = _theme(key, f, category, day, weeks, span)
    if result["weeks_after"] < weeks or result["weeks_before"] < weeks:
        st.caption(t("trend.theme_clamped", before=result["weeks_before"], after=result["weeks_after"]))
    if not result["weeks_after"] or not result["weeks_before"]:
        st.warning(t("trend.theme_no_data"))
        return
    m = st.columns(3)
    m[0].metric(t("trend.theme_before", weeks=result["weeks_before"]), f"{result['before_mean']:.1f}", border=True)
    m[1].metric(t("trend.theme_after", weeks=result["weeks_after"]), f"{result['after_mean']:.1f}", border=True)
    m[2].metric(t("trend.theme_change"), fmt_signed_pct(result["change"]), border=True)
    fig = before_after_chart(
        result["weekly"], result["before_mean"], result["after_mean"], labels("trend", ("weekly", "before", "after"))
    )
    fig.update_xaxes(tickformat=date_tickformat("week"))
    present.plot(fig)
    export = result["weekly"].rename(columns={c: t(f"col.{c}") for c in result["weekly"].columns})
    download(
        t("common.download_csv"),
        csv_bytes(export),
        "theme_tracker.csv",
        "text/csv",
        key="dl_theme",
        icon=":material/download:",
    )
