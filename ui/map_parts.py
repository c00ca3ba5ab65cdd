"""The grid-map page: controls, breadcrumb, the choropleth (in a fragment) and the selected area's panel."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html

import pandas as pd
import pydeck as pdk
import streamlit as st

from analytics import mapdata, profile
from analytics.catalog import fmt_metric as catalog_fmt_metric
from analytics.choropleth import MAP_METRICS, REPEAT_METRICS, class_breaks, colours_for, map_metric, palette
from analytics.filters import LEVELS, Filters
from analytics.scoring import GRADE_ORDER, STATUS_COLORS
from ui import data
from ui.deck_chart import deck_chart
from ui.filters import labels
from ui.i18n import current_language, fmt_date, fmt_hours, fmt_int, fmt_pct, fmt_ranges, t
from ui.maps import CompactDeck, polygon_rows, view_for, with_base
from ui.safe import md
from ui.search_parts import place_search
from ui.style import html_block

LAYER_ID = "choropleth"
LAYERS = ("labels", "points", "hexagons", "heat")
POINT_LIMIT = 5000


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _points(db_key, f: Filters):
    return mapdata.case_points(data.connection(), f, POINT_LIMIT)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _hexes(db_key, f: Filters):
    return mapdata.hex_counts(data.connection(), f, 9)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _area_info_scoped(db_key, level: str, area: str, scope):
    return profile.area_info(data.connection(), level, area, scope)


def _area_info(db_key, level: str, area: str):
    return _area_info_scoped(db_key, level, area, data.current_scope())


def _scope() -> tuple[str | None, str | None]:
    return st.session_state.get("map_scope", (None, None))


def _set_scope(level: str | None, area: str | None, show_level: str) -> None:
    st.session_state["map_scope"] = (level, area)
    st.session_state["map_level"] = show_level
    st.session_state.pop("map_selected", None)


def fly_to(level: str, area: str) -> None:
    """Show ``area`` on the map with its panel open: inside its parent when it has one, so the
    neighbouring areas stay in view (the place search calls this)."""
    info = _area_info(data.db_key(), level, area)
    parents = [(lv, pid) for lv, pid, _ in (info["parents"] if info else []) if pid is not None and pid == pid]
    if parents:
        _set_scope(parents[0][0], parents[0][1], level)
    else:
        _set_scope(level, area, level)
    st.session_state["map_selected"] = (level, area)


def breadcrumb(key, level: str | None, area: str | None) -> None:
    """全市 › district › street › community: each crumb moves the map up to that level."""
    crumbs = [(None, None, t("level.city"), "district")]
    if level is not None:
        info = _area_info(key, level, area) or {"parents": [], "name": area}
        present = data.levels(key)
        for parent_level, parent_id, parent_name in reversed(info["parents"]):
            crumbs.append((parent_level, parent_id, parent_name, profile.children_level(parent_level, present)))
        crumbs.append((level, area, info["name"], profile.children_level(level, present) or level))
    cols = st.columns(len(crumbs) + 4, gap="small")
    for col, (c_level, c_area, name, child) in zip(cols, crumbs):
        col.button(
            f"{md(name)} ›",
            key=f"crumb_{c_level}_{c_area}",
            on_click=_set_scope,
            args=(c_level, c_area, child),
            type="tertiary",
        )


def legend_html(metric: str, breaks: list[float], title: str) -> str:
    """The legend of a map metric: one chip per class with its range, or per status with its word, so
    no class is told by colour alone."""
    m = map_metric(metric)
    if m.kind == "status":
        entries = [(STATUS_COLORS[s], t(f"status.{s}")) for s in ("green", "amber", "red", "grey")]
    else:
        colours = palette(m, len(breaks) - 1)
        entries = list(zip(colours, fmt_ranges(metric, breaks)))
        if m.kind == "score" and len(entries) == len(GRADE_ORDER):  # the grade letter beside its colour
            entries = [(c, f"{g} · {text}") for (c, text), g in zip(entries, reversed(GRADE_ORDER))]
        entries.append(([225, 229, 234], t("map.no_data")))
    chips = "".join(
        f"<span style='display:inline-flex;align-items:center;margin-right:14px'><span style='width:16px;"
        f"height:16px;border-radius:3px;margin-right:5px;background:rgb({c[0]},{c[1]},{c[2]})'></span>"
        f"{html.escape(text)}</span>"
        for c, text in entries
    )
    return f"<div style='font-size:14px'><b>{html.escape(title)}</b><br/>{chips}</div>"


def _legend_notes(metric: str, scored: pd.DataFrame) -> None:
    """What the legend cannot show: no deadlines in the data, areas without a population."""
    if metric in ("status", "closure_rate", "on_time_closure_rate", "open_overdue", "score"):
        if "deadlines_known" in scored and not scored["deadlines_known"].any():
            st.caption(t("edges.no_deadlines_map"))
    if metric == "reported_per_1000" and "population_missing" in scored:
        lacking = int(scored["population_missing"].sum())
        if lacking:
            st.caption(t("edges.population_missing", count=fmt_int(lacking), total=fmt_int(len(scored))))


def _legend(metric: str, breaks: list[float], f: Filters) -> str:
    method = t(f"map.method_{map_metric(metric).method}")
    last = f.end - dt.timedelta(days=1)  # the period's last day, as the page's caption says it
    title = t(
        "map.legend", metric=t(f"map_metric.{metric}"), start=fmt_date(f.start), end=fmt_date(last), method=method
    )
    return legend_html(metric, breaks, title)


def value_texts(scored: pd.DataFrame, metric: str) -> list[str]:
    """Tooltip values: the score with its grade letter, the status as its word, other metrics formatted."""
    m = map_metric(metric)
    lang = current_language()  # once, not a session-state read per area
    texts = [catalog_fmt_metric(metric, v, lang) for v in scored[m.column].tolist()]
    if m.kind == "score":
        texts = [v if pd.isna(g) else f"{v} ({g})" for v, g in zip(texts, scored["grade"])]
    return texts


def _deck(
    key, f: Filters, level: str, metric: str, layers: list[str], scored: pd.DataFrame, breaks: list[float]
) -> pdk.Deck:
    geoms = data.geometries(key, level)
    geoms = geoms[geoms["area_id"].isin(scored["area_id"])]
    m = map_metric(metric)
    values = scored.drop(columns=["area_name"]).assign(value_text=value_texts(scored, metric))
    if m.kind == "status":
        values["fill"] = values["status"].fillna("grey").map(lambda s: STATUS_COLORS[s] + [200])
    else:
        values["fill"] = colours_for(values[m.column], m, breaks)
    rows = polygon_rows(geoms, values)
    deck_layers = [
        pdk.Layer(
            "PolygonLayer",
            data=rows[["polygon", "fill", "area_id", "area_name", "value_text"]],
            id=LAYER_ID,
            get_polygon="polygon",
            get_fill_color="fill",
            pickable=True,
            stroked=True,
            get_line_color=[255, 255, 255, 230],
            line_width_min_pixels=1,
            auto_highlight=True,
        )
    ]
    deck_layers = with_base(deck_layers + _extra_layers(key, f, layers, geoms), data.base_layer_for(key))
    tooltip = {
        "html": f"<b>{{area_name}}</b><br/>{t('map_metric.' + metric)}: {{value_text}}",
        "style": {"fontSize": "14px"},
    }
    return CompactDeck(
        layers=deck_layers, initial_view_state=view_for(geoms, height_px=620), map_provider=None, tooltip=tooltip
    )


def _extra_layers(key, f: Filters, layers: list[str], geoms: pd.DataFrame) -> list[pdk.Layer]:
    out = []
    if "hexagons" in layers:
        out.append(
            pdk.Layer(
                "H3HexagonLayer",
                data=_hexes(key, f),
                id="hexagons",
                get_hexagon="hex",
                extruded=False,
                get_fill_color="[80, 60, 160, Math.min(40 + count * 8, 220)]",
                pickable=False,
                stroked=False,
            )
        )
    if "heat" in layers or "points" in layers:
        points, _ = _points(key, f)
        if "heat" in layers:
            out.append(
                pdk.Layer(
                    "HeatmapLayer",
                    data=points[["lon", "lat"]],
                    id="heat",
                    get_position=["lon", "lat"],
                    radius_pixels=30,
                    opacity=0.6,
                )
            )
        if "points" in layers:
            out.append(
                pdk.Layer(
                    "ScatterplotLayer",
                    data=points[["lon", "lat", "kind"]],
                    id="points",
                    get_position=["lon", "lat"],
                    get_radius=18,
                    radius_min_pixels=1.5,
                    get_fill_color=[20, 40, 90, 150],
                    pickable=False,
                )
            )
    if "labels" in layers:
        out.append(
            pdk.Layer(
                "TextLayer",
                data=geoms[["centroid_lon", "centroid_lat", "area_name"]],
                id="labels",
                get_position=["centroid_lon", "centroid_lat"],
                get_text="area_name",
                get_size=13,
                get_color=[30, 41, 59, 255],
                # quoted: pydeck turns a bare string into an accessor function
                character_set="'auto'",
                font_family="'Noto Sans CJK SC, Microsoft YaHei, sans-serif'",
                size_units="'pixels'",
                background=True,
                get_background_color=[255, 255, 255, 170],
            )
        )
    return out


def _selected(event, level: str) -> str | None:
    objects = (event.selection.get("objects", {}) if event is not None and event.selection else {}).get(LAYER_ID)
    if objects:
        st.session_state["map_selected"] = (level, str(objects[0]["area_id"]))
    chosen = st.session_state.get("map_selected")
    return chosen[1] if chosen and chosen[0] == level else None


def side_panel(key, f: Filters, level: str, area: str | None) -> None:
    if area is None:
        st.info(t("map.click_hint"))
        return
    info = _area_info(key, level, area)
    if info is None:
        st.warning(t("map.unknown_area"))
        return
    st.subheader(md(info["name"]))
    st.caption(f"{t('level.' + level)} · {md(area)}")
    s = data.summary(key, dataclasses.replace(f, level=level, area=area))
    rows = [
        ("reported", fmt_int(s["reported"])),
        ("closure_rate", fmt_pct(s["closure_rate"])),
        ("on_time_closure_rate", fmt_pct(s["on_time_closure_rate"])),
        ("open_overdue", fmt_int(s["open_overdue"])),
        ("median_handling_hours", fmt_hours(s["median_handling_hours"])),
        ("satisfaction_rate", fmt_pct(s["satisfaction_rate"])),
    ]
    for i in range(0, len(rows), 2):
        cols = st.columns(2)
        for col, (name, value) in zip(cols, rows[i : i + 2]):
            col.metric(t(f"metric.{name}"), value, border=True)
    st.page_link(
        "pages/profile.py",
        label=t("map.open_profile"),
        icon=":material/badge:",
        query_params={"level": level, "area": area, "lang": st.session_state.get("lang", "zh")},
    )
    child = profile.children_level(level, data.levels(key))
    if child:
        st.button(
            t("map.drill_down", level=t(f"level.{child}")),
            key="map_drill",
            icon=":material/zoom_in:",
            on_click=_set_scope,
            args=(level, area, child),
        )


@st.fragment
def map_section(key, f: Filters) -> None:
    """Controls, breadcrumb, map and side panel; a click on the map reruns only this fragment."""
    place_search(key, "map", fly_to)
    scope_level, scope_area = _scope()
    if scope_level is None and f.level is not None and f.area is not None:
        scope_level, scope_area = f.level, f.area
    cols = st.columns([2, 3, 3])
    metric = cols[0].selectbox(
        t("map.metric"), list(MAP_METRICS), key="map_metric", format_func=labels("map_metric", MAP_METRICS).__getitem__
    )
    present = data.levels(key)
    allowed = [lv for lv in (LEVELS if scope_level is None else LEVELS[LEVELS.index(scope_level) :]) if lv in present]
    if st.session_state.get("map_level") not in allowed:
        st.session_state["map_level"] = (
            allowed[-1] if scope_level is None else (profile.children_level(scope_level, present) or scope_level)
        )
    level = (
        cols[1].segmented_control(
            t("filter.level"), allowed, key="map_level", format_func=labels("level", LEVELS).__getitem__
        )
        or allowed[-1]
    )
    layers = cols[2].multiselect(
        t("map.layers"),
        LAYERS,
        key="map_layers",
        placeholder=t("common.choose"),
        format_func=labels("map_layer", LAYERS).__getitem__,
    )
    breadcrumb(key, scope_level, scope_area)
    scoped = dataclasses.replace(f, level=scope_level, area=scope_area)
    scored = data.scored_areas(key, scoped, level)
    if metric in REPEAT_METRICS:
        from ui.insight_data import repeat_rates

        scored = scored.merge(repeat_rates(key, scoped, level)[["area_id", *REPEAT_METRICS]], on="area_id", how="left")
    m = map_metric(metric)
    breaks = class_breaks(scored[m.column], m, data.config()["score"]["grades"]) if m.kind != "status" else []
    map_col, side_col = st.columns([3, 1], gap="medium")
    with map_col:
        html_block(_legend(metric, breaks, f))
        _legend_notes(metric, scored)
        event = deck_chart(
            _deck(key, scoped, level, metric, layers, scored, breaks),
            620,
            on_select="rerun",
            selection_mode="single-object",
            key="grid_map",
        )
        if "points" in layers or "heat" in layers:
            shown, total = _points(key, scoped)
            st.caption(t("map.sample_note", shown=fmt_int(len(shown)), total=fmt_int(total)))
    with side_col:
        side_panel(key, f, level, _selected(event, level))
