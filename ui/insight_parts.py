"""Panels of the Demand insight page: top and emerging terms, a term's cases and map, search, repeats."""

from __future__ import annotations

import html

import pandas as pd
import pydeck as pdk
import streamlit as st

from analytics.catalog import rate_digits
from analytics.choropleth import MapMetric, class_breaks, colours_for, palette
from analytics.filters import LEVELS, Filters
from analytics.text.search import SearchError
from ui import data, heavy
from ui import insight_data as load
from ui.deck_chart import deck_chart
from ui.filters import labels
from ui.i18n import fmt_int, fmt_metric, fmt_pct, fmt_ranges, t, t_or
from ui.maps import CompactDeck, polygon_rows, view_for, with_base
from ui.safe import md
from ui.style import html_block
from ui.tables import masked, show_table

SHARE = MapMetric("share", "share", False, "quantile")
MAP_HEIGHT = 430


def area_level(f: Filters) -> str:
    """The level the maps show: one below the filter's area, else streets."""
    if f.level is None or f.area is None:
        return "street"
    return LEVELS[min(LEVELS.index(f.level) + 1, len(LEVELS) - 1)]


def area_map(key, f: Filters, values: pd.DataFrame, column: str, label: str, level: str) -> None:
    """A small choropleth of ``values[column]`` per ``area_id`` with a legend (quantile classes)."""
    geoms = data.geometries(key, level)
    geoms = geoms[geoms["area_id"].isin(values["area_id"])]
    if geoms.empty or values[column].dropna().empty:
        st.info(t("insight.no_map"))
        return
    breaks = class_breaks(values[column], SHARE)
    if column.endswith("_rate"):  # as many decimals as the legend's ranges: small shares read apart
        digits = rate_digits(breaks)
        texts = [fmt_pct(v, digits) for v in values[column]]
    else:
        texts = [fmt_metric(column, v) for v in values[column]]
    shown = values.assign(fill=colours_for(values[column], SHARE, breaks), value_text=texts)
    rows = polygon_rows(geoms, shown)
    layer = pdk.Layer(
        "PolygonLayer",
        data=rows[["polygon", "fill", "area_name", "value_text"]],
        get_polygon="polygon",
        get_fill_color="fill",
        pickable=True,
        stroked=True,
        get_line_color=[255, 255, 255, 230],
        line_width_min_pixels=1,
    )
    tooltip = {"html": f"<b>{{area_name}}</b><br/>{html.escape(label)}: {{value_text}}", "style": {"fontSize": "14px"}}
    deck = CompactDeck(
        layers=with_base([layer], data.base_layer_for(key)),
        initial_view_state=view_for(geoms, height_px=MAP_HEIGHT),
        map_provider=None,
        tooltip=tooltip,
    )
    chips = "".join(
        f"<span style='display:inline-flex;align-items:center;margin-right:12px'><span style='width:14px;height:14px;"
        f"border-radius:3px;margin-right:4px;background:rgb({c[0]},{c[1]},{c[2]})'></span>"
        f"{html.escape(text)}</span>"
        for c, text in zip(palette(SHARE, len(breaks) - 1), fmt_ranges(column, breaks))
    )
    html_block(f"<div style='font-size:13px'><b>{html.escape(label)}</b><br/>{chips}</div>")
    deck_chart(deck, MAP_HEIGHT)


def top_terms_panel(key, f: Filters) -> pd.DataFrame:
    st.subheader(t("insight.top_terms"))
    whole_city = f.area is None  # the lift of the whole city against itself is 1 on every row: not shown
    st.caption(t("insight.top_terms_note_city" if whole_city else "insight.top_terms_note"))
    top = load.top_terms(key, f)
    if top.empty:
        st.info(t("insight.no_terms"))
    else:
        shown = top.assign(share_rate=top["share"])
        columns = ["term", "cases", "share_rate"] + ([] if whole_city else ["lift"])
        show_table(shown, columns, "top_terms.csv", "dl_top_terms", height=360)
    return top


def emerging_panel(key, f: Filters) -> pd.DataFrame:
    st.subheader(t("insight.emerging_terms"))
    cfg = data.config()["text"]
    st.caption(
        t(
            "insight.emerging_rule",
            periods=cfg["emerging_baseline_periods"],
            fdr=fmt_pct(cfg["emerging_fdr"]),
            ratio=cfg["emerging_min_ratio"],
            min=cfg["emerging_min_cases"],
        )
    )
    emerging = load.emerging_terms(key, f)
    rising = emerging[emerging["emerging"]] if not emerging.empty else emerging
    if rising.empty:
        st.info(t("insight.no_emerging"))
    else:
        columns = ["term", "cases", "baseline_cases", "rate_ratio", "p_fdr"]
        shown = rising.assign(p_fdr=rising["q_value"])  # the BH-adjusted p-value, shown with 4 decimals
        show_table(shown, columns, "emerging_terms.csv", "dl_emerging_terms", height=360)
    return rising


def term_detail(key, f: Filters, options: list[str]) -> None:
    """A chosen term opens its cases (masked) and its map."""
    st.subheader(t("insight.term_detail"))
    if not options:
        st.info(t("insight.no_terms"))
        return
    term = st.selectbox(t("insight.choose_term"), options, key="insight_term")
    level = area_level(f)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        cases = load.term_cases(key, f, term)
        st.caption(t("insight.term_cases", term=md(term), count=fmt_int(len(cases))))
        show_table(masked(_labelled(cases)), _case_columns(), "term_cases.csv", "dl_term_cases", height=MAP_HEIGHT)
    with right:
        areas = load.term_areas(key, f, term, level)
        areas = areas.assign(term_share_rate=areas["term_cases"] / areas["reported"].where(areas["reported"] > 0))
        # The map on request: deck.gl's code (3 MB) and a WebGL canvas cost a new session about a fifth of a
        # trivial page's time while this block sits below the first screen (docs/performance.md, "A lighter frame")
        if st.toggle(t("insight.show_map"), key="insight_term_map"):
            area_map(key, f, areas, "term_share_rate", t("insight.term_map", term=term), level)
        else:
            term_areas_table(key, areas, level, term)


def term_areas_table(key, areas: pd.DataFrame, level: str, term: str) -> None:
    """The areas where ``term`` is mentioned most, by cases (what the map colours, as a list)."""
    named = areas[areas["term_cases"] > 0].merge(
        data.areas(key, level, None, None)[["area_id", "area_name"]], on="area_id"
    )
    if named.empty:
        st.info(t("insight.no_map"))
        return
    top = named.sort_values(["term_cases", "term_share_rate", "area_id"], ascending=[False, False, True])
    st.caption(t("insight.term_areas", term=md(term), level=t(f"level.{level}")))
    show_table(
        top.rename(columns={"term_cases": "cases", "term_share_rate": "share_rate"}),
        ["area_name", "cases", "share_rate"],
        "term_areas.csv",
        "dl_term_areas",
        height=MAP_HEIGHT - 60,
    )


def _case_columns() -> list[str]:
    return ["case_id", "reported_at", "category_name", "status_label", "description"]


def _labelled(cases: pd.DataFrame) -> pd.DataFrame:
    return cases.assign(status_label=[t_or(f"case_status.{s}", str(s)) for s in cases["status"]])


def search_panel(key, f: Filters) -> None:
    st.subheader(t("insight.search"))
    query = st.text_input(
        t("insight.search_box"), key="insight_search", max_chars=data.config()["text"]["search_max_chars"]
    )
    if not query.strip():
        st.caption(t("insight.search_hint"))
        return
    try:
        found = load.search_cases(key, f, query)
    except SearchError:
        st.warning(t("insight.search_invalid", max=data.config()["text"]["search_max_chars"]))
        return
    st.caption(t("insight.search_found", count=fmt_int(len(found))))
    if not found.empty:
        show_table(masked(_labelled(found)), _case_columns(), "search.csv", "dl_search", height=320)


KEPT_METRIC = "insight_repeat_metric_kept"


def repeat_jobs(key, f: Filters) -> list:
    """The background analyses of the repeat panel (ui/heavy.py): per-area rates, repeats, rebounds."""
    return [load.repeat_rates_job(key, f, area_level(f)), load.repeats_job(key, f), load.rebounds_job(key, f)]


def repeat_panel(key, f: Filters, jobs: list) -> None:
    """Repeat and rebound rates (tiles), their map, and the lists with parents (``jobs``: :func:`repeat_jobs`)."""
    cfg = data.config()["repeats"]
    st.caption(
        t(
            "insight.repeat_rule",
            distance=fmt_int(cfg["distance_m"]),
            hours=fmt_int(cfg["window_hours"]),
            similarity=cfg["text_similarity"],
            days=fmt_int(cfg["rebound_days"]),
            rebound_distance=fmt_int(cfg["rebound_distance_m"]),
        )
    )
    level = area_level(f)
    if not heavy.ready(jobs):  # minutes at 20 M cases: the terms tab is usable meanwhile
        heavy.waiting(jobs, _repeats_placeholder)
        return
    per_area, found, back = (job.result() for job in jobs)
    reported, closed = int(per_area["reported"].sum()), int(per_area["closed"].sum())
    tiles = st.columns(4)
    tiles[0].metric(t("insight.repeats"), fmt_int(len(found)))
    tiles[1].metric(t("map_metric.repeat_rate"), fmt_pct(len(found) / reported) if reported else "—")
    tiles[2].metric(t("insight.rebounds"), fmt_int(len(back)))
    tiles[3].metric(t("map_metric.rebound_rate"), fmt_pct(len(back) / closed) if closed else "—")
    metric = (
        st.segmented_control(
            t("map.metric"),
            ["repeat_rate", "rebound_rate"],
            key="insight_repeat_metric",
            default=st.session_state.get(KEPT_METRIC, "repeat_rate"),
            format_func=labels("map_metric", ("repeat_rate", "rebound_rate")).__getitem__,
        )
        or "repeat_rate"
    )
    st.session_state[KEPT_METRIC] = metric  # the tab is drawn only when open: its choice outlives a visit elsewhere
    left, right = st.columns([2, 3], gap="medium")
    with left:
        area_map(key, f, per_area, metric, t(f"map_metric.{metric}"), level)
    with right:
        _repeat_tables(key, found, back)


def _repeats_placeholder() -> None:
    tiles = st.columns(4)
    for col, label in zip(
        tiles, ("insight.repeats", "map_metric.repeat_rate", "insight.rebounds", "map_metric.rebound_rate")
    ):
        col.metric(t(label), t("heavy.computing"))
    st.caption(t("heavy.computing_note"))


def _repeat_tables(key, found: pd.DataFrame, back: pd.DataFrame) -> None:
    ids = tuple(sorted(set(found["case_id"]) | set(back["case_id"])))
    names = (
        load.case_labels(key, ids)
        if ids
        else pd.DataFrame(columns=["case_id", "category_name", "grid_name", "description"])
    )
    st.caption(t("insight.repeat_list"))
    shown = found.merge(names, on="case_id", how="left")
    columns = [
        "case_id",
        "parent_id",
        "category_name",
        "grid_name",
        "distance_m",
        "hours_apart",
        "similarity",
        "description",
    ]
    show_table(masked(shown), columns, "repeats.csv", "dl_repeats", height=240)
    st.caption(t("insight.rebound_list"))
    back = back.merge(names, on="case_id", how="left")
    columns = ["case_id", "rebound_id", "category_name", "grid_name", "closed_at", "distance_m", "days_after"]
    show_table(back, columns, "rebounds.csv", "dl_rebounds", height=200)
