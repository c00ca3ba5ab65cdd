"""Panels of the demand-hotspots page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from analytics.filters import Filters, months_before
from analytics.hotspot_report import MEASURES, STEPS, HotspotImpossible, HotspotResult, hotspot_analysis
from analytics.hotspots import EMERGING_CLASSES
from ui import data, present
from ui.deck_chart import deck_chart
from ui.filters import choice, labels
from ui.i18n import current_language, fmt_date, fmt_int, t
from ui.maps import SerializedDeck, area_map, paired_area_map
from ui.style import html_block
from ui.tables import show_table

LEVELS = ("grid", "community", "street")
MAP_WIDTH, PRESENT_MAP_WIDTH = 1440, 1880  # the maps' width in px on a 1920-px screen, with and without the sidebar
STEP_CHOICES = ("auto", *STEPS)
WINDOWS = ("twelve_months", "period")
BAND_COLOURS = {
    99: [178, 24, 43],
    95: [239, 138, 98],
    90: [253, 219, 199],
    0: [238, 241, 245],
    -90: [209, 229, 240],
    -95: [103, 169, 207],
    -99: [33, 102, 172],
}
EMERGING_COLOURS = {
    "new_hot": [128, 0, 38],
    "consecutive_hot": [189, 0, 38],
    "intensifying_hot": [227, 26, 28],
    "persistent_hot": [252, 78, 42],
    "diminishing_hot": [253, 141, 60],
    "sporadic_hot": [254, 178, 76],
    "oscillating_hot": [254, 217, 118],
    "historical_hot": [255, 237, 160],
    "new_cold": [8, 48, 107],
    "consecutive_cold": [8, 81, 156],
    "intensifying_cold": [33, 113, 181],
    "persistent_cold": [66, 146, 198],
    "diminishing_cold": [107, 174, 214],
    "sporadic_cold": [158, 202, 225],
    "oscillating_cold": [198, 219, 239],
    "historical_cold": [222, 235, 247],
    "none": [238, 241, 245],
    "too_few_steps": [238, 241, 245],
}


@dataclass(frozen=True)
class Choice:
    filters: Filters
    level: str
    measure: str
    step: str


def controls(f: Filters, population_known: bool = True, coverage=None) -> Choice:
    """The page's choices; without any population data the measure defaults to counts, and the window
    is clipped to the data ``coverage``."""
    cols = st.columns(4)
    present = [lv for lv in LEVELS if lv in data.levels(data.db_key())]
    level = choice(t("hot.level"), present, labels("level", LEVELS), "hot_level", where=cols[0])
    measure = choice(
        t("hot.measure"),
        MEASURES,
        labels("hot.measure", MEASURES),
        "hot_measure",
        where=cols[1],
        default="per_1000" if population_known else "count",
    )
    step_labels = {**labels("grain", STEPS), "auto": t("edges.step_auto_short")}
    step = choice(t("hot.step"), STEP_CHOICES, step_labels, "hot_step", help=t("edges.step_auto_help"), where=cols[2])
    window = choice(t("hot.window"), WINDOWS, labels("hot.window", WINDOWS), "hot_window", where=cols[3])
    scoped = f
    if window != "period":  # twelve whole months ending with the period (a year of days otherwise)
        start = months_before(f.end, 12) if f.end.day == 1 else f.end - dt.timedelta(days=365)
        scoped = dataclasses.replace(f, start=start)
    if coverage is not None and coverage.overlaps(scoped.start, scoped.end):  # the window the data covers
        scoped = dataclasses.replace(scoped, start=max(scoped.start, coverage.start), end=min(scoped.end, coverage.end))
    return Choice(scoped, level, measure, step)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _analysis(db_key, choice: Choice) -> HotspotResult:
    return hotspot_analysis(
        data.connection(),
        choice.filters,
        choice.level,
        choice.step,
        choice.measure,
        geoms_weights=data.weights(db_key, choice.level),
    )


@st.cache_data(ttl=data.TTL, show_spinner=False)
def population_known(db_key) -> bool:
    from analytics.hotspot_report import population_known as known

    return known(data.connection())


def analysis(key, choice: Choice) -> HotspotResult | None:
    try:
        return _analysis(key, choice)
    except HotspotImpossible as exc:
        st.warning(t("hot.not_possible", reason=t(f"edges.hot_reason.{exc.reason}", **exc.values)))
    except ValueError:
        if data.geometries(key, choice.level).empty:
            st.warning(t("geo.no_boundaries"))
        else:
            st.warning(t("hot.not_possible", reason=t("edges.hot_reason.too_few_areas", areas="<3", no_population=0)))
    return None


def summary_line(result: HotspotResult, choice: Choice) -> None:
    text = t(
        "hot.summary",
        analysed=fmt_int(result.analysed),
        excluded=fmt_int(result.excluded),
        steps=result.steps,
        step=t(f"grain.{result.step}"),
    )
    notes = [t("edges.hot_window", start=fmt_date(result.start), end=fmt_date(result.end - dt.timedelta(days=1)))]
    if choice.step == "auto":
        notes.append(t("edges.hot_step_auto", step=t(f"grain.{result.step}")))
    if result.no_population:
        notes.append(t("edges.hot_no_population", count=fmt_int(result.no_population)))
    st.info(" ".join([text, *notes]))


def _chips(entries: list[tuple[list[int], str]]) -> str:
    chips = "".join(
        f"<div style='display:flex;align-items:center;margin:2px 0'><span style='flex:none;width:14px;"
        f"height:14px;border-radius:3px;margin-right:6px;background:rgb({c[0]},{c[1]},{c[2]})'></span>"
        f"<span>{html.escape(text)}</span></div>"
        for c, text in entries
    )
    return f"<div style='font-size:13px;line-height:1.3;margin-bottom:10px'>{chips}</div>"


def _band_label(band: int) -> str:
    return t("hot.band_none") if band == 0 else t("hot.band_hot" if band > 0 else "hot.band_cold", level=abs(band))


def _labels(codes: pd.Series, label) -> pd.Series:
    """``label`` of every code, looked up once per distinct code (10,000 areas, a handful of classes)."""
    return codes.map({c: label(c) for c in codes.unique()})


def _map_table(key, choice: Choice) -> tuple[pd.DataFrame, str]:
    """Per area: both analyses' fills and tooltip texts, and the tooltip (names are added by the map's join)."""
    result = _analysis(key, choice)
    table = result.table.assign(
        gi_fill=result.table["band"].map(BAND_COLOURS),
        emerging_fill=result.table["emerging"].map(EMERGING_COLOURS),
        band_text=_labels(result.table["band"], _band_label),
        emerging_text=_labels(result.table["emerging"], lambda c: t(f"emerging.{c}")),
        value_text=result.table["value"].round(1).astype(str),
        z_text=result.table["z"].round(2).astype(str),
    ).drop(columns=["area_name"])
    value_label = t("hot.value_per_1000") if choice.measure == "per_1000" else t("hot.value_count")
    tooltip = f"<b>{{area_name}}</b><br/>{value_label}: {{value_text}}<br/>Gi* z: {{z_text}}<br/>{{band_text}}"
    return table, tooltip


@st.cache_data(ttl=data.TTL, show_spinner=False, max_entries=8)
def _gi_deck(key, choice: Choice, lang: str) -> SerializedDeck:
    """The Gi* map alone (when no emerging class can be computed) as JSON, kept for reruns."""
    table, tooltip = _map_table(key, choice)
    geoms, _ = data.weights(key, choice.level)
    keep = ["area_name", "value_text", "z_text", "band_text"]
    deck = area_map(geoms, table, "gi_fill", tooltip, keep, 460, "gi-star", data.base_layer_for(key))
    return SerializedDeck.of(deck)


@st.cache_data(ttl=data.TTL, show_spinner=False, max_entries=8)
def _paired_deck(key, choice: Choice, lang: str, width_px: int) -> SerializedDeck:
    """Gi* (left) and the emerging classes (right) as two panels of one map, as JSON kept for reruns (a
    10,000-area map takes about a second to build and serialize). The tooltip gives both for the area."""
    table, tooltip = _map_table(key, choice)
    geoms, _ = data.weights(key, choice.level)
    keep = ["area_name", "value_text", "z_text", "band_text", "emerging_text"]
    left = table.rename(columns={"gi_fill": "fill"})
    right = table.rename(columns={"emerging_fill": "fill"})
    deck = paired_area_map(
        geoms, left, right, tooltip + "<br/>{emerging_text}", keep, 460, width_px, base=data.base_layer_for(key)
    )
    return SerializedDeck.of(deck)


def maps(key, result: HotspotResult, choice: Choice) -> None:
    """The Gi* map and the emerging-hotspot map side by side — one map with two panels, so they pan and zoom
    together — each with its legend below; or the Gi* map alone and why no class could be computed."""
    if result.steps < 4:  # no class can be computed: say why instead of a blank map
        gi_col, emerging_col = st.columns(2, gap="medium")
        with gi_col:
            st.subheader(t("hot.gi_title"))
            deck_chart(_gi_deck(key, choice, current_language()), 460, key="hot_gi_map")
            _gi_legend(result)
        with emerging_col:
            st.subheader(t("hot.emerging_title"))
            st.info(t("edges.hot_too_few_steps", steps=result.steps, step=t(f"grain.{result.step}")))
        return
    titles = st.columns(2, gap="medium")
    titles[0].subheader(t("hot.gi_title"))
    titles[1].subheader(t("hot.emerging_title"))
    width = PRESENT_MAP_WIDTH if present.is_presenting() else MAP_WIDTH  # the panels under the two titles
    deck_chart(_paired_deck(key, choice, current_language(), width), 460, key="hot_maps")
    gi_col, emerging_col = st.columns(2, gap="medium")
    with gi_col:
        _gi_legend(result)
    with emerging_col:
        _emerging_legend(result)


def _gi_legend(result: HotspotResult) -> None:
    counts = result.table["band"].value_counts()
    html_block(
        _chips([(BAND_COLOURS[b], f"{_band_label(b)} ({int(counts.get(b, 0))})") for b in (99, 95, 90, -90, -95, -99)])
    )
    if not (result.table["band"] != 0).any():
        st.caption(t("hot.none_significant"))
    method = (
        t("hot.method_permutations", n=f"{result.permutations:,}") if result.permutations else t("hot.method_normal")
    )
    st.caption(t("hot.gi_note", method=method) + " " + t("edges.p_one_sided"))


def _emerging_legend(result: HotspotResult) -> None:
    counts = result.table["emerging"].value_counts()
    present = [c for c in EMERGING_CLASSES if c != "none" and counts.get(c, 0)]
    legend = [
        (EMERGING_COLOURS[c], f"{t('emerging.' + c)} ({int(counts[c])}) — {t('emerging_help.' + c)}") for c in present
    ] or [(EMERGING_COLOURS["none"], t("hot.no_emerging"))]
    html_block(_chips(legend))
    with st.expander(t("hot.legend_all")):
        html_block(
            _chips(
                [
                    (EMERGING_COLOURS[c], f"{t('emerging.' + c)} — {t('emerging_help.' + c)}")
                    for c in EMERGING_CLASSES
                    if c != "none"
                ]
            )
        )


def ranked_table(result: HotspotResult, choice: Choice) -> None:
    st.subheader(t("hot.table_title"))
    table = result.table.assign(
        band_text=_labels(result.table["band"], _band_label),
        emerging_text=_labels(result.table["emerging"], lambda c: t(f"emerging.{c}")),
        value=result.table["value"].round(2),
        z=result.table["z"].round(2),
    )
    table = table.rename(columns={"value": f"value_{choice.measure}"})
    show_table(
        table,
        ["area_id", "area_name", "cases", f"value_{choice.measure}", "z", "p", "p_fdr", "band_text", "emerging_text"],
        "hotspots.csv",
        "dl_hotspots",
        height=420,
    )
