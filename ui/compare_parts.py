"""Panels of the compare page (对比分析). Every control's value is kept in the URL (``cmp_*`` query
parameters holding the raw value, not the translated label, so a link works in either language) and
a copied link reproduces the view; the numbers come from :mod:`analytics.compare`."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import compare
from analytics.catalog import signed
from analytics.choropleth import MAP_METRICS, colours_for, map_metric
from analytics.filters import LEVELS, Filters
from analytics.scoring import STATUS_COLORS
from ui import data, names, present
from ui.charts import LAYOUT
from ui.deck_chart import deck_chart
from ui.filters import labels
from ui.i18n import fmt_date, fmt_metric, t
from ui.map_parts import legend_html, value_texts
from ui.maps import area_map
from ui.style import html_block
from ui.tiles import Tile, delta_style, tile_delta

RATE_TILES = {name for name in compare.COMPARE_METRICS if name.endswith("_rate")}
WINDOWS = (7, 14, 28, 30, 60, 90, 91, 182, 365)


@dataclass(frozen=True)
class Sides:
    a: Filters
    b: Filters
    label_a: str
    label_b: str
    map_level: str


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _compare(db_key, a: Filters, b: Filters) -> dict:
    return compare.compare(data.connection(), a, b, data.config())


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _mix(db_key, a: Filters, b: Filters) -> pd.DataFrame:
    return compare.category_mix_change(data.connection(), a, b)


def url_state(key: str, allowed, default, parse=str):
    """Seed widget ``key`` from the URL (when its value parses and is ``allowed``), else keep its value
    if still allowed, else ``default``; write it back to the URL. ``allowed`` is a collection or a test."""

    def ok(value) -> bool:
        return allowed(value) if callable(allowed) else value in allowed

    if key not in st.session_state and key in st.query_params:
        try:
            candidate = parse(st.query_params[key])
        except (TypeError, ValueError):
            candidate = None
        if candidate is not None and ok(candidate):
            st.session_state[key] = candidate
    if key not in st.session_state or not ok(st.session_state[key]):
        st.session_state[key] = default
    _to_url(key)


def _to_url(key: str) -> None:
    value = st.session_state.get(key)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if st.query_params.get(key) != text:
        st.query_params[key] = text


def _span(f: Filters) -> str:
    return f"{fmt_date(f.start)} – {fmt_date(f.end - dt.timedelta(days=1))}"


def mode_picker() -> str:
    url_state("cmp_mode", compare.MODES, "periods")
    mode = st.segmented_control(
        t("compare.mode"),
        compare.MODES,
        format_func=labels("compare.mode", compare.MODES).__getitem__,
        key="cmp_mode",
        on_change=_to_url,
        args=("cmp_mode",),
    )
    return mode or "periods"


def _period_sides(key, f: Filters) -> Sides:
    first, end = data.data_range(key)
    default_day = max(first + dt.timedelta(days=1), min(f.start, end - dt.timedelta(days=1)))
    lowest = first + dt.timedelta(days=1)
    url_state("cmp_day", lambda d: isinstance(d, dt.date) and lowest <= d <= end, default_day, dt.date.fromisoformat)
    url_state("cmp_days", WINDOWS, 30, int)
    cols = st.columns([2, 2, 5])
    day = cols[0].date_input(
        t("compare.intervention"),
        min_value=lowest,
        max_value=end,
        key="cmp_day",
        help=t("compare.intervention_help"),
        on_change=_to_url,
        args=("cmp_day",),
    )
    days = cols[1].selectbox(
        t("compare.window"),
        WINDOWS,
        format_func=lambda d: t("compare.days", days=d),
        key="cmp_days",
        on_change=_to_url,
        args=("cmp_days",),
    )
    before, after = compare.before_after(f, day, int(days))
    area = t("level.city") if f.area is None else names.area_label(f.level, f.area)
    cols[2].caption(t("compare.periods_note", area=area))
    return Sides(
        before,
        after,
        t("compare.before", span=_span(before)),
        t("compare.after", span=_span(after)),
        "grid",
    )


def _area_choice(key, level: str, slot: str, column, default_index: int) -> tuple[str, str]:
    options = data.areas(key, level, None, None)
    ids = list(options["area_id"])
    area_names = dict(zip(options["area_id"], options["area_name"]))
    url_state(f"cmp_{slot}", ids, ids[min(default_index, len(ids) - 1)])
    chosen = column.selectbox(
        t(f"compare.area_{slot}"),
        ids,
        format_func={a: f"{n} · {a}" for a, n in area_names.items()}.__getitem__,
        key=f"cmp_{slot}",
        on_change=_to_url,
        args=(f"cmp_{slot}",),
    )
    return chosen, area_names.get(chosen, chosen)


def _area_sides(key, f: Filters) -> Sides:
    url_state("cmp_level", LEVELS, "street")
    cols = st.columns([2, 3, 3])
    level = cols[0].selectbox(
        t("filter.level"),
        LEVELS,
        format_func=labels("level", LEVELS).__getitem__,
        key="cmp_level",
        on_change=_to_url,
        args=("cmp_level",),
    )
    area_a, name_a = _area_choice(key, level, "a", cols[1], 0)
    area_b, name_b = _area_choice(key, level, "b", cols[2], 1)
    a, b = compare.two_areas(f, level, area_a, area_b)
    st.caption(t("compare.areas_note", span=_span(f)))
    return Sides(a, b, name_a, name_b, "grid")


def sides(key, f: Filters, mode: str) -> Sides:
    """The two filter sets the user chose (controls drawn here)."""
    return _area_sides(key, f) if mode == "areas" else _period_sides(key, f)


def _verdict(row) -> str:
    if row.p_value is None or pd.isna(row.p_value):
        return t("compare.no_test")
    return t("compare.significant") if row.significant else t("compare.noise")


def kpi_tiles(key, s: Sides) -> pd.DataFrame:
    """Side B's value per metric with the change against side A (and, for shares, whether it is noise)."""
    result = _compare(key, s.a, s.b)
    rows = result["rows"]
    st.markdown(
        f"**A** · {html.escape(s.label_a)} &nbsp;&nbsp;→&nbsp;&nbsp; **B** · {html.escape(s.label_b)}",
    )
    per_row = 6
    cols: list = []
    for i, row in enumerate(rows.itertuples()):
        if i % per_row == 0:  # one st.columns per row, so tiles keep their order when a phone stacks them
            cols = st.columns(per_row)
        tile = Tile(row.metric, "rate" if row.metric in RATE_TILES else "count", row.lower_is_better)
        delta = tile_delta(tile, row.b, row.a)
        style = delta_style(delta, row.lower_is_better)
        if delta is not None and row.p_value is not None and not pd.isna(row.p_value):
            delta = f"{delta} · {_verdict(row)}"
        with cols[i % per_row]:
            st.metric(
                t(f"metric.{row.metric}"),
                fmt_metric(row.metric, row.b),
                delta,
                **style,
                help=t("compare.tile_help", a=fmt_metric(row.metric, row.a), b=fmt_metric(row.metric, row.b)),
                border=True,
            )
    return rows


def significance_table(rows: pd.DataFrame) -> None:
    st.subheader(t("compare.test_title"))
    tested = rows[rows["p_value"].notna()]
    if tested.empty:
        st.info(t("compare.no_tests"))
        return
    table = pd.DataFrame(
        {
            t("compare.col_metric"): [t(f"metric.{m}") for m in tested["metric"]],
            "A": [fmt_metric(m, v) for m, v in zip(tested["metric"], tested["a"])],
            "B": [fmt_metric(m, v) for m, v in zip(tested["metric"], tested["b"])],
            t("compare.col_change"): [signed(d * 100) for d in tested["difference"]],
            t("compare.col_ci"): [
                f"{signed(lo * 100)} … {signed(hi * 100)}" for lo, hi in zip(tested["ci_low"], tested["ci_high"])
            ],
            "p": [f"{p:.4f}" for p in tested["p_value"]],
            t("compare.col_verdict"): [_verdict(r) for r in tested.itertuples()],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t("compare.test_note", alpha=data.config()["compare"]["alpha"]))


def _side_map(key, side: Filters, level: str, metric: str, breaks: list[float], scored: pd.DataFrame, height: int):
    geoms = data.geometries(key, level)
    geoms = geoms[geoms["area_id"].isin(scored["area_id"])]
    m = map_metric(metric)
    values = scored.drop(columns=["area_name"]).assign(value_text=value_texts(scored, metric))
    if m.kind == "status":
        values["fill"] = values["status"].fillna("grey").map(lambda v: STATUS_COLORS[v] + [200])
    else:
        values["fill"] = colours_for(values[m.column], m, breaks)
    tooltip = f"<b>{{area_name}}</b><br/>{html.escape(t('map_metric.' + metric))}: {{value_text}}"
    return area_map(geoms, values, "fill", tooltip, ["area_id", "area_name", "value_text"], height, "compare-areas")


def maps_panel(key, s: Sides, height: int = 420) -> None:
    """Both sides' grids on the same class breaks, so one colour means one value on both maps."""
    st.subheader(t("compare.maps_title"))
    url_state("cmp_metric", MAP_METRICS, "on_time_closure_rate")
    metric = st.selectbox(
        t("map.metric"),
        list(MAP_METRICS),
        key="cmp_metric",
        format_func=labels("map_metric", MAP_METRICS).__getitem__,
        on_change=_to_url,
        args=("cmp_metric",),
    )
    scored_a, scored_b = data.scored_areas(key, s.a, s.map_level), data.scored_areas(key, s.b, s.map_level)
    m = map_metric(metric)
    breaks = (
        []
        if m.kind == "status"
        else compare.shared_breaks(scored_a[m.column], scored_b[m.column], metric, data.config()["score"]["grades"])
    )
    html_block(legend_html(metric, breaks, t("compare.maps_legend", metric=t(f"map_metric.{metric}"))))
    left, right = st.columns(2, gap="medium")
    for col, side, scored, label, name in (
        (left, s.a, scored_a, "A", s.label_a),
        (right, s.b, scored_b, "B", s.label_b),
    ):
        with col:
            st.markdown(f"**{label}** · {html.escape(name)}")
            deck_chart(
                _side_map(key, side, s.map_level, metric, breaks, scored, height), height, key=f"cmp_map_{label}"
            )


def mix_panel(key, s: Sides, height: int = 380) -> None:
    st.subheader(t("compare.mix_title"))
    mix = _mix(key, s.a, s.b)
    if mix.empty:
        st.info(t("overview.no_trend"))
        return
    mix = mix.iloc[::-1].assign(label=[names.major_label(v) for v in mix.iloc[::-1]["category_major"]])
    fig = go.Figure(
        [
            go.Bar(y=mix["label"], x=mix["share_a"] * 100, orientation="h", name="A", marker_color="#94a3b8"),
            go.Bar(y=mix["label"], x=mix["share_b"] * 100, orientation="h", name="B", marker_color="#2b6cb0"),
        ]
    )
    fig.update_layout(**{**LAYOUT, "barmode": "group", "margin": dict(l=10, r=20, t=10, b=10)})
    fig.update_xaxes(title_text=t("compare.share_axis"), ticksuffix="%")
    present.plot(fig, height)
    st.caption(t("compare.mix_note"))
