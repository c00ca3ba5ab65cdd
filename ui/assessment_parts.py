"""Panels of the assessment page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import cityscore
from analytics.filters import Filters
from analytics.scorecards import scorecard as build_scorecard
from analytics.scoring import ENTITIES
from ui import data, names, present
from ui.charts import points_chart
from ui.filters import labels
from ui.i18n import fmt_metric, t
from ui.tables import show_table

METRIC_COLUMNS = {
    "grid": [
        "due_to_close",
        "closed",
        "closed_on_time",
        "open_overdue",
        "on_time_closure_rate",
        "closure_rate",
        "satisfaction_rate",
        "rework_rate",
    ],
    "department": [
        "due_to_handle",
        "handled",
        "handled_on_time",
        "open_overdue",
        "on_time_handling_rate",
        "handled_rate",
        "rework_rate",
        "first_dispatch_rate",
    ],
    "worker": ["reports", "valid_reports", "self_handled", "valid_report_rate", "self_handled_rate"],
}


def entity_picker() -> str:
    choice = st.segmented_control(
        t("assess.entity"),
        tuple(ENTITIES),
        default="grid",
        format_func=labels("entity", ENTITIES).__getitem__,
        key="assess_entity",
    )
    return choice or "grid"


def weights_panel(entity: str) -> dict[str, float]:
    """The configured weights, shown; sliders let an analyst try others for this session only.

    The sliders are drawn when their expander is open (``on_change="rerun"``): five hidden sliders cost every new
    session their mounting in the browser. The weights tried are kept apart from the sliders' own state (which
    Streamlit drops when a widget is not drawn), so they hold while the expander is closed."""
    components, _, weight_key = ENTITIES[entity]
    configured = {k: float(v) for k, v in data.config()["score"][weight_key].items()}
    kept = f"weights_tried_{entity}"
    tried = {name: float(st.session_state.get(kept, {}).get(name, configured.get(name, 0))) for name in components}
    expander = st.expander(t("assess.weights_title"), expanded=False, key="assess_weights", on_change="rerun")
    if expander.open:
        with expander:
            st.caption(t("assess.weights_note"))
            cols = st.columns(len(components))
            tried = {
                name: float(
                    col.slider(t(f"component.{name}"), 0, 100, int(tried[name]), 5, key=f"weight_{entity}_{name}")
                )
                for col, name in zip(cols, components)
            }
        st.session_state[kept] = tried
    if sum(tried.values()) <= 0:
        st.warning(t("assess.weights_zero"))
        return configured
    if tried != configured:
        st.info(t("assess.weights_trial", weights=", ".join(f"{t('component.' + k)} {v:g}" for k, v in tried.items())))
    return tried


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _scorecard(db_key, f: Filters, entity: str, weights: tuple) -> pd.DataFrame:
    return build_scorecard(data.connection(), f, entity, data.config(), dict(weights))


def scorecard(key, f: Filters, entity: str, weights: dict[str, float]) -> pd.DataFrame:
    card = _scorecard(key, f, entity, tuple(sorted(weights.items())))
    if entity == "department":
        card = card.assign(
            entity_name=[names.department_name(d, n) for d, n in zip(card["entity_id"], card["entity_name"])],
            first_dispatch_rate=card["first_dispatch_accuracy"],  # 准确派遣率, formatted as a rate
        )
    return card


def scorecard_table(card: pd.DataFrame, entity: str) -> None:
    graded = card["grade"].notna().sum()
    st.subheader(t("assess.table_title", graded=graded, total=len(card)))
    shown = card.assign(grade=card["grade"].fillna(t("assess.no_grade")), score=card["score"].round(1))
    columns = ["rank", "rank_change", "entity_id", "entity_name", "score", "grade", *METRIC_COLUMNS[entity]]
    show_table(shown, columns, f"scorecard_{entity}.csv", f"dl_score_{entity}", height=460)


def breakdown_chart(card: pd.DataFrame, entity: str, weights: dict[str, float]) -> None:
    st.subheader(t("assess.breakdown_title"))
    graded = card.dropna(subset=["score"])
    if graded.empty:
        st.info(t("overview.no_trend"))
        return
    lowest = graded.nsmallest(12, "score").sort_values("score")
    lowest = lowest.assign(
        label=[f"{n} ({s:.1f} {g})" for n, s, g in zip(lowest["entity_name"], lowest["score"], lowest["grade"])]
    )
    components = [c for c in ENTITIES[entity][0] if weights.get(c, 0) > 0]
    labels = {c: t(f"component.{c}") for c in components}
    shown = lowest[["label", *(f"points_{c}" for c in components)]]  # what the chart reads: the cache key
    present.draw(_breakdown_figure(shown, tuple(labels.items()), present.is_presenting()))
    st.caption(t("assess.breakdown_note"))


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _breakdown_figure(lowest: pd.DataFrame, labels: tuple, presenting: bool) -> dict:
    """The lowest scores' components, built once for every session that shows the same rows (keyed by them, the
    translated component names and the presentation mode; see :func:`ui.present.chart`)."""
    labels = dict(labels)
    return present.chart(points_chart(lowest, list(labels), labels, height=460))


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _index_views(db_key, f: Filters) -> pd.DataFrame:
    return cityscore.index_views(data.connection(), f, data.config())


def _ratio_text(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.2f}"


def city_index_table(key, f: Filters) -> None:
    """Actual against target for the period, and (CityScore style) the ratio over the last day, week,
    month and quarter ending with the period."""
    st.subheader(t("assess.city_index_title"))
    summary = data.summary(key, f)
    index = data.city_index_of(summary)
    views = _index_views(key, f).set_index("metric").to_dict("index")  # a dict: .at on Arrow strings is slow
    rows = []
    for metric, target in index["targets"].items():
        rows.append(
            {
                "metric": t(f"metric.{metric}"),
                "actual": fmt_metric(metric, summary.get(metric)),
                "target": fmt_metric(metric, target),
                "ratio": _ratio_text(index["ratios"][metric]),
                **{view: _ratio_text(views[metric][view]) for view in cityscore.VIEWS},
            }
        )
    rows.append(
        {
            "metric": t("overview.city_index"),
            "actual": "",
            "target": "1.00",
            "ratio": _ratio_text(index["index"]),
            **{view: _ratio_text(views["index"][view]) for view in cityscore.VIEWS},
        }
    )
    cols = st.columns([1, 4])
    cols[0].metric(t("overview.city_index"), _ratio_text(index["index"]), border=True)
    headers = {k: t(f"assess.index_{k}") for k in ("metric", "actual", "target", "ratio")}
    headers.update({view: t(f"cityscore.{view}") for view in cityscore.VIEWS})
    cols[1].dataframe(pd.DataFrame(rows).rename(columns=headers), hide_index=True, width="stretch")
    cols[1].caption(
        t("cityscore.note", days=", ".join(f"{t('cityscore.' + v)} {d}" for v, d in cityscore.VIEWS.items()))
    )
