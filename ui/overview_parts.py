"""Panels of the overview page (each reads cached loaders and draws one block)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html

import pandas as pd
import streamlit as st

from analytics import queries
from analytics.briefing.content import Material, alert_text, compose
from analytics.filters import Filters
from analytics.scoring import STATUS_COLORS
from ui import auth, data, names, present
from ui.charts import top_categories_chart, trend_chart
from ui.deck_chart import deck_chart
from ui.i18n import current_language, date_tickformat, fmt_int, fmt_pct, t
from ui.maps import status_map
from ui.safe import md
from ui.style import html_block
from ui.tables import download

STATUS_ORDER = ("red", "amber", "green", "grey")


def _status_legend(scored: pd.DataFrame) -> str:
    counts = scored["status"].value_counts()
    chips = []
    for s in STATUS_ORDER:
        r, g, b = STATUS_COLORS[s]
        chips.append(
            f"<span style='display:inline-block;width:14px;height:14px;background:rgb({r},{g},{b});"
            f"border-radius:3px;margin:0 6px -2px 14px'></span>{html.escape(t(f'status.{s}'))} "
            f"<b>{int(counts.get(s, 0))}</b>"
        )
    return "<div style='font-size:15px'>" + "".join(chips) + "</div>"


def status_map_panel(key, f: Filters, height: int = 470) -> None:
    level = "grid"
    scored = data.scored_grids(key, f)
    geoms = data.geometries(key, level)
    geoms = geoms[geoms["area_id"].isin(scored["area_id"])]
    st.subheader(t("overview.map_title"))
    html_block(_status_legend(scored))
    if "deadlines_known" in scored and not scored["deadlines_known"].any():
        st.info(t("edges.no_deadlines_map"))
    if geoms.empty:
        st.info(t("overview.no_areas"))
        return
    labels = {s: t(f"status.{s}") for s in STATUS_COLORS}
    tooltip = (
        f"<b>{{area_name}}</b><br/>{t('map.status')}: {{status_label}}<br/>"
        f"{t('map.score')}: {{score_text}} ({{grade_text}})<br/>{t('metric.due_to_close')}: {{due_to_close}}"
        f"<br/>{t('metric.open_overdue')}: {{open_overdue}}"
    )
    deck_chart(
        status_map(geoms, scored, labels, tooltip, height=height, base=data.base_layer_for(key)),
        height,
        key="overview_map",
    )
    st.caption(t("overview.map_note", minimum=data.config()["status"]["min_due_to_close"]))


def _alert_text(row) -> str:
    return alert_text(row, current_language())


def alert_panel(key, f: Filters, height: int = 400) -> None:
    st.subheader(t("overview.alerts_title"))
    alerts = data.alert_list(key, f)
    if alerts.empty:
        st.success(t("overview.no_alerts"))
        return
    with st.container(height=height, border=False):
        subjects = names.subject_names(alerts["subject_type"], alerts["subject_id"], alerts["subject_name"])
        for row, subject in zip(alerts.itertuples(), subjects):
            colour = "#d63031" if row.alert in ("overdue_grid", "on_time_drop", "spike") else "#e67e22"
            html_block(
                f"<div class='gs-alert' style='padding:2px 0 6px 0;border-bottom:1px solid #e5e7eb;"
                f"font-size:15px'>"
                f"<span style='color:{colour};font-weight:600'>● {html.escape(t(f'alert.{row.alert}'))}"
                f"</span> · <b>{md(subject)}</b><br/><span style='color:#4b5563'>"
                f"{md(_alert_text(row))}</span></div>"
            )


def city_index_panel(current: dict) -> None:
    index = data.city_index_of(current)
    value = "—" if index["index"] is None else f"{index['index']:.2f}"
    st.metric(t("overview.city_index"), value, help=t("overview.city_index_help"), border=True)


def trend_window(f: Filters, coverage=None) -> tuple[Filters, str]:
    """The 26 weeks (periods up to a quarter) or 24 months ending with the period, or its days when the data
    inside that window spans under four weeks. Buckets the data or the period cut are marked partial by
    :func:`analytics.trends.series`, and only the covered range is drawn."""
    if coverage is not None and (min(f.end, coverage.end) - max(f.start, coverage.start)).days < 28:
        return f, "day"
    if f.days <= 92:
        return dataclasses.replace(f, start=f.end - dt.timedelta(weeks=26)), "week"
    end = dt.date(f.end.year, f.end.month, 1)
    return dataclasses.replace(f, start=dt.date(end.year - 2, end.month, 1), end=end), "month"


def trend_panel(key, f: Filters, height: int = 300) -> None:
    window, grain = trend_window(f, data.coverage(key))
    series = data.trend_series(key, window, grain, "kind")
    labels = {k: t(f"kind.{k}") for k in ("incident", "demand", "dispute")}
    titles = {"week": "overview.trend_weekly", "month": "overview.trend_monthly", "day": "edges.trend_daily"}
    st.subheader(t(titles[grain]))
    if series.empty:
        st.info(t("overview.no_trend"))
        return
    fig = trend_chart(series, labels, t("metric.reported"), t("edges.partial_bucket"))
    # one tick a day; the figure has one x axis (fig.update_xaxes would search every subplot: 15-60 ms)
    fig.layout.xaxis.update(tickformat=date_tickformat(grain), dtick=86_400_000 if grain == "day" else None)
    present.plot(fig, height)
    if series["partial"].any():
        st.caption(t("edges.partial_note"))


def _category_labels(top: pd.DataFrame) -> list[str]:
    """Category labels, with the summed rest as "other"."""
    labels = names.category_labels(top["category_code"], top["category_name"])  # one lookup, not one a row
    return [t("trend.other") if c == "other" else label for c, label in zip(top["category_code"].tolist(), labels)]


def top_categories_panel(key, f: Filters, height: int = 300) -> None:
    top = data.top_categories(key, f, 8, other=True)
    st.subheader(t("overview.top_title"))
    if top.empty:
        st.info(t("overview.no_trend"))
        return
    top = top.assign(label=_category_labels(top))
    rest = top[top["category_code"] == "other"]
    named = top[top["category_code"] != "other"]  # the summed rest would dwarf every named bar: said below
    fig = top_categories_chart(named, t("overview.this_period"), t("overview.prev_period"))
    present.plot(fig, height)
    if not rest.empty:
        other = rest.iloc[0]
        st.caption(t("overview.top_other", count=fmt_int(other["reported"]), share=fmt_pct(other["share"])))


def _briefing_parts(key, f: Filters, current: dict, previous: dict, with_names: bool = True) -> tuple:
    """What :func:`analytics.briefing.content.compose` needs, read on the script thread (cached frames, the
    language, the area's name); without ``with_names`` the display names are left to the caller (None)."""
    lang = current_language()
    scored = data.scored_grids(key, f)
    geoms = data.geometries(key, "grid")
    meta = data.meta(key)
    material = Material(
        f,
        current,
        previous,
        scored,
        geoms[geoms["area_id"].isin(scored["area_id"])],
        data.top_categories(key, f, 10),
        data.alert_list(key, f),
        queries.display_names(data.connection(), lang) if with_names else None,
        meta.get("city_name_en" if lang == "en" else "city_name", ""),
    )
    area = t("level.city") if f.area is None else names.area_label(f.level, f.area)
    return material, data.config(), lang, area


def briefing_html(key, f: Filters, current: dict, previous: dict) -> str:
    """The overview for these filters as a one-page, offline HTML briefing (the renderer the ``brief``
    command uses, fed with this page's cached frames)."""
    return compose(*_briefing_parts(key, f, current, previous), dt.datetime.now())


def briefing_download(key, f: Filters, current: dict, previous: dict) -> None:
    """The briefing's download button; the HTML (an SVG of every grid: seconds at 10,000 grids) is composed only
    when the button is clicked (Streamlit runs the callable then, off the script thread, so it gets plain data)."""
    if present.is_presenting() or not auth.current().can_export:
        return
    material, cfg, lang, area = _briefing_parts(key, f, current, previous, with_names=False)

    def briefing() -> bytes:  # the display names too are read on a click only (three catalogue queries a run)
        named = dataclasses.replace(material, names=queries.display_names(data.connection(), lang))
        return compose(named, cfg, lang, area, dt.datetime.now()).encode("utf-8")

    download(
        t("overview.briefing"),
        briefing,
        f"briefing_{f.start}_{f.end}.html",
        "text/html",
        "dl_briefing",
        ":material/description:",
        action="briefing",
    )
