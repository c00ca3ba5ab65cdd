"""Panels of the closed-loop page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import closed_loop, departments
from analytics.filters import Filters
from ui import data, names, present
from ui.charts import duration_chart, funnel_chart
from ui.i18n import current_language, fmt_int, fmt_pct, t, t_or
from ui.tables import masked, show_table


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _funnel(db_key, f: Filters) -> dict:
    return closed_loop.lifecycle_funnel(data.connection(), f)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _stages(db_key, f: Filters) -> pd.DataFrame:
    return closed_loop.stage_durations(data.connection(), f)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _overdue_listed(db_key, f: Filters, suspended: bool | None, limit: int) -> pd.DataFrame:
    return closed_loop.overdue_cases(data.connection(), f, limit=limit, suspended=suspended)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _overdue_summary(db_key, f: Filters, suspended: bool | None) -> dict:
    return closed_loop.overdue_summary(data.connection(), f, suspended=suspended)


def _overdue(db_key, f: Filters, suspended: bool | None = False) -> tuple[pd.DataFrame, dict]:
    """The most overdue ``[closed_loop] overdue_rows_listed`` cases (the limit is part of the cache key) and
    the count and ages of all of them: from the list when it holds every case, else from a second query."""
    limit = int(data.config()["closed_loop"]["overdue_rows_listed"])
    frame = _overdue_listed(db_key, f, suspended, limit)
    if len(frame) < limit:
        return frame, closed_loop.listed_summary(frame)
    return frame, _overdue_summary(db_key, f, suspended)


def _listed_note(listed: int, total: int) -> None:
    """Says so when the list holds only the most overdue of the cases counted."""
    if listed < total:
        st.caption(t("overdue.listed_most", listed=fmt_int(listed), total=fmt_int(total)))


def _suspended_apart() -> bool:
    """metrics.exclude_suspended: suspended (挂账) cases are listed apart from the open overdue."""
    return bool(data.config()["metrics"]["exclude_suspended"])


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _workers(db_key, f: Filters) -> pd.DataFrame:
    return closed_loop.worker_metrics(data.connection(), f)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _first_dispatch(db_key, f: Filters) -> dict:
    return departments.first_dispatch(data.connection(), f)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _funnel_chart(db_key, f: Filters, lang: str, presenting: bool) -> dict:
    """The lifecycle funnel, built once for every session (see :func:`ui.present.chart`)."""
    counts = _funnel(db_key, f)
    stages = list(closed_loop.STAGES)
    names = [t("loop.funnel_dispatched") if s == "dispatched" else t(f"stage.{s}") for s in stages]
    return present.chart(funnel_chart(names, [counts[s] for s in stages]))


def _chart_key() -> tuple[str, bool]:
    """What a chart depends on besides the data: the language and the presentation mode."""
    return current_language(), present.is_presenting()


def funnel_panel(key, f: Filters) -> None:
    st.subheader(t("loop.funnel_title"))
    counts = _funnel(key, f)
    present.draw(_funnel_chart(key, f, *_chart_key()))
    cols = st.columns(4)
    for col, name in zip(cols, ("cancelled", "suspended", "rework", "self_handled")):
        col.metric(t(f"loop.{name}"), fmt_int(counts[name]), border=True)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _stage_chart(db_key, f: Filters, lang: str, presenting: bool) -> dict | None:
    """The stage durations (``None`` when no stage has a median), built once for every session."""
    frame = _stages(db_key, f).dropna(subset=["median_hours"])
    if frame.empty:
        return None
    frame = frame.assign(
        label=[f"{t('stage.' + a)} → {t('stage.' + b)}" for a, b in zip(frame["stage_from"], frame["stage_to"])]
    )
    return present.chart(duration_chart(frame, t("loop.median_hours"), t("loop.p90_hours"), height=420))


def stage_panel(key, f: Filters) -> None:
    st.subheader(t("loop.stage_title"))
    chart = _stage_chart(key, f, *_chart_key())
    if chart is None:
        st.info(t("overview.no_trend"))
        return
    present.draw(chart)
    negative = int(_stages(key, f)["negative"].sum())
    if negative:
        st.caption(t("edges.negative_stage_times", count=fmt_int(negative)))


def department_panel(key, f: Filters) -> None:
    st.subheader(t("loop.department_title"))
    frame = data.department_table(key, f)
    if frame.empty:
        st.info(t("overview.no_trend"))
        return
    first = _first_dispatch(key, f)
    tile, note = st.columns([1, 3], vertical_alignment="center")
    tile.metric(t("metric.first_dispatch_accuracy"), fmt_pct(first["first_dispatch_accuracy"]), border=True)
    note.caption(t("loop.first_dispatch_caption", known=fmt_int(first["dispatched_known"])))
    frame = frame.assign(
        department_label=[names.department_name(d) for d in frame["department"]],
        first_dispatch_rate=frame["first_dispatch_accuracy"],  # 准确派遣率, formatted as a rate
    )
    frame = frame.sort_values("open_overdue", ascending=False)
    show_table(
        frame,
        [
            "department_label",
            "dispatched",
            "handled",
            "handled_on_time",
            "on_time_handling_rate",
            "handled_with_rework",
            "first_dispatch_rate",
            "open_overdue",
            "median_handling_hours",
            "p90_handling_hours",
        ],
        "departments.csv",
        "dl_departments",
    )


def overdue_panel(key, f: Filters) -> None:
    if data.summary(key, f).get("deadlines_known") is False:
        st.subheader(t("loop.overdue_title", count="—"))
        st.info(t("edges.no_deadlines"))
        return
    suspended = False if _suspended_apart() else None
    frame, counted = _overdue(key, f, suspended)
    total = counted["count"]
    st.subheader(t("loop.overdue_title", count=fmt_int(total)))
    if frame.empty:
        st.success(t("loop.no_overdue"))
    else:
        _listed_note(len(frame), total)
        _overdue_table(frame)
    if _suspended_apart():
        suspended_panel(key, f)


def suspended_panel(key, f: Filters) -> None:
    """Suspended (挂账) overdue cases, apart from the open overdue: their count, age and list."""
    frame, age = _overdue(key, f, True)
    st.markdown(f"**{t('edges.suspended_title')}**")
    if not age["count"]:
        st.caption(t("edges.suspended_none"))
        return
    cols = st.columns(3)
    cols[0].metric(t("edges.suspended_count"), fmt_int(age["count"]), border=True)
    cols[1].metric(t("edges.suspended_median_days"), f"{age['median_days_overdue']:.1f}", border=True)
    cols[2].metric(t("edges.suspended_max_days"), f"{age['max_days_overdue']:.1f}", border=True)
    st.caption(t("edges.suspended_note"))
    expander = st.expander(t("edges.suspended_list"), key="suspended_list", on_change="rerun")
    if not expander.open:  # the list is drawn when opened: a closed 500-row grid costs a new session as an open one
        return
    with expander:
        _listed_note(len(frame), age["count"])
        show_table(
            masked(frame.assign(category_label=names.category_labels(frame["category_code"], frame["category_name"]))),
            ["case_id", "days_overdue", "due_at", "category_label", "grid_name", "street_name", "description"],
            "suspended_overdue_cases.csv",
            "dl_suspended",
            height=300,
            rows_shown=int(data.config()["closed_loop"]["overdue_rows_shown"]),
        )


def _overdue_table(frame: pd.DataFrame) -> None:
    departments = names.department_names(frame["department"])
    frame = frame.assign(
        department_label=[
            label if isinstance(d, str) else "—" for d, label in zip(frame["department"].tolist(), departments)
        ],
        category_label=names.category_labels(frame["category_code"], frame["category_name"]),
    )
    # The filters in a pop-over: its widgets are drawn only once it is opened, so a new session does not load the
    # list widget's code for a table far below the first screen (docs/performance.md, "A lighter frame")
    chosen = len(st.session_state.get("overdue_departments") or ()) + len(st.session_state.get("overdue_grids") or ())
    label = t("loop.filter_overdue") + (f" · {chosen}" if chosen else "")
    with st.popover(label, icon=":material/filter_list:"):
        depts = st.multiselect(
            t("loop.filter_department"),
            sorted(frame["department_label"].unique()),
            key="overdue_departments",
            placeholder=t("common.choose"),
        )
        grids = st.multiselect(
            t("loop.filter_grid"),
            sorted(frame["grid_name"].dropna().unique()),
            key="overdue_grids",
            placeholder=t("common.choose"),
        )
    if depts:
        frame = frame[frame["department_label"].isin(depts)]
    if grids:
        frame = frame[frame["grid_name"].isin(grids)]
    labels = {v: t_or(f"case_status.{v}", str(v)) for v in frame["status"].unique()}  # once a status, not a row
    frame = frame.assign(status_label=[labels[v] for v in frame["status"].tolist()])
    show_table(
        masked(frame),
        [
            "case_id",
            "days_overdue",
            "due_at",
            "category_label",
            "department_label",
            "grid_name",
            "street_name",
            "status_label",
            "description",
        ],
        "overdue_cases.csv",
        "dl_overdue",
        height=360,
        rows_shown=int(data.config()["closed_loop"]["overdue_rows_shown"]),
    )


def worker_panel(key, f: Filters) -> None:
    st.subheader(t("loop.worker_title"))
    frame = _workers(key, f)
    if frame.empty or frame["reports"].sum() == 0:
        st.info(t("overview.no_trend"))
        return
    total_valid = frame["valid_reports"].sum()
    cols = st.columns(3)
    cols[0].metric(
        t("metric.self_handled_rate"),
        fmt_pct(frame["self_handled"].sum() / total_valid if total_valid else None),
        border=True,
    )
    cols[1].metric(t("loop.workers_reporting"), fmt_int(int((frame["reports"] > 0).sum())), border=True)
    cols[2].metric(t("col.valid_reports"), fmt_int(int(total_valid)), border=True)
    frame = frame.sort_values(["self_handled_rate", "reports"], ascending=[True, False], na_position="last")
    frame = frame.assign(role_label=[t("role.full_time") if ft else t("role.part_time") for ft in frame["full_time"]])
    show_table(
        frame,
        [
            "worker_id",
            "grid_name",
            "role_label",
            "reports",
            "valid_reports",
            "self_handled",
            "valid_report_rate",
            "self_handled_rate",
        ],
        "workers.csv",
        "dl_workers",
        height=320,
    )


def dispute_panel(key, f: Filters) -> None:
    st.subheader(t("loop.dispute_title"))
    s = data.summary(key, f)
    levels = ("grid", "community", "street", "district")
    values = [s[f"disputes_resolved_{lv}"] for lv in levels]
    cols = st.columns(2)
    cols[0].metric(t("metric.dispute_resolution_rate"), fmt_pct(s["dispute_resolution_rate"]), border=True)
    cols[1].metric(t("metric.local_resolution_rate"), fmt_pct(s["local_resolution_rate"]), border=True)
    window = int(data.config()["metrics"]["dispute_window_days"])
    note = "edges.dispute_provisional" if s.get("dispute_resolution_provisional") else "edges.dispute_window"
    st.caption(t(note, days=window))
    if not any(values):
        st.info(t("overview.no_trend"))
        return
    present.draw(_dispute_chart(levels, tuple(values), *_chart_key()))
    st.caption(t("loop.dispute_note"))


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _dispute_chart(levels: tuple, values: tuple, lang: str, presenting: bool) -> dict:
    """Disputes resolved by level, built once for every session."""
    return present.chart(
        funnel_chart([t(f"level.{lv}") for lv in levels], list(values), "#8e44ad", height=260, share="percent total")
    )
