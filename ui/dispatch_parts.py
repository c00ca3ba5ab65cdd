"""Panels of the dispatch desk: the complaint form, the suggestions, similar cases, the model's accuracy."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics import departments, store
from analytics.dispatch import model as dm
from analytics.dispatch import service
from analytics.dispatch.suggest import similar_cases, suggest
from analytics.filters import Filters
from ui import data, heavy, names
from ui.i18n import fmt_date, fmt_int, fmt_pct, t
from ui.safe import md
from ui.tables import show_table

REQUEST_KEY = "dispatch_request"  # the last submitted complaint, kept across reruns (e.g. a CSV download)
SOURCES = ("hotline", "app", "patrol", "camera", "walk_in", "referral")


@st.cache_resource(show_spinner=False)
def _model(db_key: tuple) -> dm.DispatchModel | str:
    """The database's model (trained and stored on first use when configured), or the reason there is none."""
    try:
        return service.ensure_model(store.db_path(), data.connection(), data.config())
    except ValueError as exc:  # ModelError and "no cases"
        return str(exc)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _first_dispatch(db_key: tuple, f: Filters) -> dict:
    return departments.first_dispatch(data.connection(), f)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _stored_is_current(db_key: tuple) -> bool:
    """:func:`service.stored_is_current` once per database (the key changes with its content), not on every
    rerun of the desk (a form submission reruns it)."""
    return service.stored_is_current(store.db_path(), data.connection())


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _training_cases(db_key: tuple) -> int:
    """How many cases a training reads: every case of the database up to ``[dispatch] max_train_cases`` (a
    page waits for a training that small, and shows its note at once for a bigger one: minutes at 20 M)."""
    total = data.connection().execute("SELECT count(*) FROM cases").fetchone()[0]
    return min(int(total), int(data.config()["dispatch"]["max_train_cases"]))


def model_or_stop(key: tuple) -> dm.DispatchModel:
    """The model, or the page stops with why there is none. A model to be trained first (none stored for this
    database; minutes at 20 M cases) is trained and stored in a worker process (``ui.heavy``, once however many
    sessions ask): the page says so and draws itself when it is done, instead of a spinner for the whole training.
    Where the model cannot be stored (a read-only data folder) this process trains it once more, with a spinner."""
    cfg = data.config()
    if cfg["dispatch"]["train_on_demand"] and not _stored_is_current(key):
        workers = int(cfg["limits"]["heavy_analyses"])  # minutes of Python at 20M: a worker process trains it
        job = heavy.submit_process(("dispatch_model", key), "dispatch_model", (str(store.db_path()), cfg), workers)
        if not heavy.ready([job], heavy.wait_for(_training_cases(key), cfg)):
            heavy.waiting([job], lambda: st.info(t("dispatch.training_background")))
            st.stop()
    with st.spinner(t("dispatch.training")):
        model = _model(key)
    if isinstance(model, str):
        st.info(t("dispatch.no_model", reason=model))
        st.stop()
    return model


def complaint_form(key: tuple, f: Filters) -> dict | None:
    """The form; the last submitted inputs (text, grid, source), or None before the first submission."""
    limit = int(data.config()["dispatch"]["max_text_chars"])
    grids = data.areas(key, "grid", f.level, f.area)
    grid_names = dict(zip(grids["area_id"], grids["area_name"]))  # once: Streamlit labels every option each run
    with st.form("dispatch_form"):
        text = st.text_area(t("dispatch.text"), max_chars=limit, height=140, placeholder=t("dispatch.placeholder"))
        left, right = st.columns(2)
        grid = left.selectbox(
            t("dispatch.place"),
            grids["area_id"].tolist(),
            index=None,
            format_func=lambda g: f"{grid_names.get(g, g)} ({g})",
            placeholder=t("dispatch.place_any"),
        )
        source = right.selectbox(
            t("dispatch.source"),
            SOURCES,
            index=None,
            format_func=lambda s: t(f"dispatch.source_{s}"),
            placeholder=t("dispatch.source_any"),
        )
        submitted = st.form_submit_button(t("dispatch.submit"), type="primary", icon=":material/send:")
    if submitted:
        if not text.strip():
            st.session_state.pop(REQUEST_KEY, None)
            st.warning(t("dispatch.empty"))
        else:
            st.session_state[REQUEST_KEY] = {"text": text, "grid": grid, "source": source}
    return st.session_state.get(REQUEST_KEY)


def suggestion_panel(key: tuple, f: Filters, model: dm.DispatchModel, inputs: dict) -> None:
    cfg = data.config()
    con = data.connection()
    result = suggest(con, model, inputs["text"], cfg, grid_id=inputs["grid"], source=inputs["source"])
    st.subheader(t("dispatch.suggested_departments"))
    cols = st.columns(3)
    for col, rank, dept in zip(cols, range(1, 4), result["departments"]):
        label = md(names.department_name(dept["department"]))
        col.metric(t("dispatch.rank", rank=rank), fmt_pct(dept["confidence"]), border=True)
        col.markdown(f"**{label}**")
    if result["route_to_dispatcher"]:
        st.warning(t("dispatch.route_to_dispatcher", threshold=fmt_pct(result["confidence_threshold"])), icon="⚠️")
    category = result["category"]
    name = names.category_label(category["category_code"], category["category_name"])
    deadline = _deadline_text(category)
    st.markdown(
        t(
            "dispatch.category_line",
            category=md(name),
            confidence=fmt_pct(category["confidence"]),
            deadline=deadline,
        )
    )
    similar_panel(f, model, result, cfg)


def _deadline_text(category: dict) -> str:
    hours = category.get("deadline_hours")
    if hours is None or pd.isna(hours):
        return t("dispatch.no_deadline")
    basis = t("dispatch.working_hours") if category.get("deadline_basis") == "working" else t("dispatch.calendar_hours")
    due = category.get("due_at")
    due_text = due.strftime("%Y-%m-%d %H:%M") if due is not None else "—"
    return t("dispatch.deadline", hours=f"{float(hours):g}", basis=basis, due=due_text)


def similar_panel(f: Filters, model: dm.DispatchModel, result: dict, cfg: dict) -> None:
    st.subheader(t("dispatch.similar_title"))
    code = result["category"]["category_code"]
    frame = similar_cases(data.connection(), model, f, result["text"], code, cfg)
    if frame.empty:
        st.info(t("dispatch.no_similar"))
        return
    frame = frame.assign(
        department_label=names.department_names(frame["department"]),
        category_label=names.category_labels(frame["category_code"], frame["category_name"]),
        on_time_label=[
            t("dispatch.yes") if v is True else t("dispatch.no") if v is False else "—" for v in frame["closed_on_time"]
        ],
        similarity_rate=frame["similarity"],
    )
    show_table(
        frame,
        [
            "case_id",
            "reported_at",
            "category_label",
            "department_label",
            "hours_to_close",
            "on_time_label",
            "redispatch_count",
            "similarity_rate",
            "description",
        ],
        "similar_cases.csv",
        "dl_similar",
    )


def accuracy_panel(key: tuple, f: Filters, model: dm.DispatchModel) -> None:
    st.subheader(t("dispatch.accuracy_title"))
    evaluation = model.meta.get("evaluation")
    first = _first_dispatch(key, f)
    cols = st.columns(5)
    cols[0].metric(
        t("metric.first_dispatch_accuracy"),
        fmt_pct(first["first_dispatch_accuracy"]),
        border=True,
        help=t("dispatch.first_dispatch_help", known=fmt_int(first["dispatched_known"])),
    )
    if not evaluation:
        st.info(t("dispatch.no_evaluation"))
        return
    for col, name in zip(cols[1:], ("top1", "top3", "baseline_top1", "category_top1")):
        col.metric(t(f"dispatch.{name}"), fmt_pct(evaluation[name]), border=True)
    st.caption(
        t(
            "dispatch.evaluation_caption",
            cutoff=fmt_date(dt.date.fromisoformat(evaluation["cutoff"])),
            test_last=fmt_date(dt.date.fromisoformat(evaluation["test_end"]) - dt.timedelta(days=1)),
            n_train=fmt_int(evaluation["n_train"]),
            n_test=fmt_int(evaluation["n_test"]),
            baseline_top3=fmt_pct(evaluation["baseline_top3"]),
            top3=fmt_pct(evaluation["top3"]),
        )
    )
    per_dept, confused = st.columns([3, 2], gap="medium")
    with per_dept:
        frame = pd.DataFrame(evaluation["per_department"])
        frame = frame.assign(
            department_label=names.department_names(frame["department"]),
            precision_rate=frame["precision"],
            recall_rate=frame["recall"],
        )
        show_table(
            frame,
            ["department_label", "support", "suggested", "precision_rate", "recall_rate"],
            "dispatch_per_department.csv",
            "dl_dispatch_depts",
            height=300,
        )
    with confused:
        pairs = pd.DataFrame(evaluation["confused"], columns=["actual", "suggested", "cases"])
        if pairs.empty:
            st.info(t("dispatch.no_confusion"))
            return
        pairs = pairs.assign(
            actual_label=names.department_names(pairs["actual"]),
            suggested_label=names.department_names(pairs["suggested"]),
        )
        show_table(
            pairs, ["actual_label", "suggested_label", "cases"], "dispatch_confused.csv", "dl_confused", height=300
        )
