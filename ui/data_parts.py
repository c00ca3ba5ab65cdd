"""Panels of the Data page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import metrics
from analytics.casedays.build import TABLE as CASE_DAYS
from analytics.filters import Filters
from analytics.schema import TABLES_SQL
from ui import data
from ui.i18n import current_language, fmt_date, fmt_int, t
from ui.safe import md

# tables built from the cases for speed (listed after the canonical ones; rebuilt, never imported)
DERIVED_TABLES = (CASE_DAYS,)
LISTED_TABLES = (*TABLES_SQL, *DERIVED_TABLES)

AUDIT_ACTIONS = (
    "login",
    "login_failed",
    "login_locked",
    "logout",
    "session_expired",
    "kiosk",
    "view",
    "export",
    "briefing",
    "unmask",
    "import",
    "import_refused",
    "import_busy",
    "denied",
)

SHOWN_META = (
    "dataset",
    "city_name",
    "timezone",
    "loaded_at",
    "source_files",
    "schema_version",
    "data_start",
    "data_end",
)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def table_counts(db_key: tuple) -> pd.DataFrame:
    con = data.connection().cursor()
    present = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
        ).fetchall()
    }
    rows = [
        (name, con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in LISTED_TABLES if name in present
    ]
    return pd.DataFrame(rows, columns=["table", "rows"])


def loaded_panel(key) -> None:
    meta = data.meta(key)
    span = data.data_range(key)
    cols = st.columns(3)
    counts = table_counts(key).set_index("table")["rows"]
    cols[0].metric(t("data.cases"), fmt_int(int(counts.get("cases", 0))), border=True)
    cols[1].metric(t("data.grids"), fmt_int(int(counts.get("grids", 0))), border=True)
    cols[2].metric(t("data.rejects"), fmt_int(int(counts.get("rejects", 0))), border=True)
    if span:
        st.write(t("data.range", start=fmt_date(span[0]), end=fmt_date(span[1])))
    english = current_language() == "en"
    shown = {
        **meta,
        "city_name": meta.get("city_name_en", meta.get("city_name")) if english else meta.get("city_name"),
        "loaded_at": meta.get("loaded_at", "").replace("T", " ")[:19],
    }
    rows = [(t(f"meta.{k}"), shown[k]) for k in SHOWN_META if shown.get(k)]
    st.dataframe(pd.DataFrame(rows, columns=[t("data.key"), t("data.value")]), hide_index=True, width="stretch")
    counts = table_counts(key)
    counts = counts.assign(table=[f"{t('table.' + name)} ({name})" for name in counts["table"]])
    st.dataframe(
        counts.rename(columns={"table": t("data.table"), "rows": t("data.rows")}),
        hide_index=True,
        width="content",
        column_config={t("data.rows"): st.column_config.NumberColumn(format="localized")},
    )


@st.cache_data(ttl=data.TTL, show_spinner=False)
def columns_of(db_key: tuple) -> pd.DataFrame:
    sql = (
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database() ORDER BY table_name, ordinal_position"
    )
    return data.connection().cursor().execute(sql).df()


def dictionary_panel(key) -> None:
    frame = columns_of(key)
    for table in LISTED_TABLES:
        part = frame[frame["table_name"] == table]
        if part.empty:
            continue
        expander = st.expander(f"{table} — {t(f'table.{table}')}", key=f"data_dict_{table}", on_change="rerun")
        if not expander.open:  # drawn when opened: eleven closed grids cost a new session as much as open ones
            continue
        with expander:
            st.dataframe(
                part[["column_name", "data_type"]].rename(
                    columns={"column_name": t("data.column"), "data_type": t("data.type")}
                ),
                hide_index=True,
                width="stretch",
            )


def query_panel(f: Filters | None) -> None:
    """The complete queries the app runs for the current filters (WHERE clauses included), with their
    parameters: built by the same functions that run them (:func:`analytics.metrics.summary_query`)."""
    if f is None:
        return
    st.subheader(t("edges.query_heading"))
    st.caption(t("edges.query_intro"))
    sql, params = metrics.summary_query(data.connection(), f, data.config())
    st.code(sql, language="sql", wrap_lines=True)
    st.dataframe(parameter_table(params), hide_index=True, width="content")
    with st.expander(t("edges.query_by_area")):
        level = f.level or "grid"
        sql, params = metrics.by_area_query(data.connection(), f, level, data.config())
        st.code(sql, language="sql", wrap_lines=True)
        st.dataframe(parameter_table(params), hide_index=True, width="content")


def parameter_table(params: dict) -> pd.DataFrame:
    """``$name`` and value of each bound parameter, as text."""
    rows = [(f"${name}", str(value)) for name, value in params.items()]
    return pd.DataFrame(rows, columns=[t("edges.query_parameter"), t("data.value")])


def definitions_panel(f: Filters | None = None) -> None:
    st.markdown(t("data.metrics_intro"))
    rows = [(name, t(f"metric.{name}"), expr) for name, expr in metrics.AGGREGATES.items()]
    st.dataframe(
        pd.DataFrame(rows, columns=[t("data.metric_key"), t("data.metric_name"), t("data.metric_sql")]),
        hide_index=True,
        width="stretch",
    )
    bound = metrics.metric_params(data.connection(), data.config())
    shown = {k: str(v).lower() if isinstance(v, bool) else str(v)[:10] for k, v in bound.items()}  # SQL literals
    st.caption(t("edges.bound_values", **shown))
    st.markdown(t("data.rates_intro"))
    rates = [(name, t(f"metric.{name}"), t(f"metric_help.{name}")) for name in metrics.RATE_KEYS]
    st.dataframe(
        pd.DataFrame(rates, columns=[t("data.metric_key"), t("data.metric_name"), t("data.metric_formula")]),
        hide_index=True,
        width="stretch",
    )
    query_panel(f)


def audit_panel() -> None:
    """The newest audit records (administrators only), filterable by action."""
    from analytics.access import audit
    from ui.tables import download

    cfg = data.config()
    path = audit.audit_path(cfg)
    st.caption(t("access.audit_caption", path=md(path), days=int(cfg["audit"]["retention_days"])))
    actions = {a: t(f"access.action_{a}") for a in ("all", *AUDIT_ACTIONS)}  # in this run's language
    action = st.selectbox(t("access.audit_action"), list(actions), key="audit_action", format_func=actions.__getitem__)
    try:
        frame = audit.read(path, limit=2000, action=None if action == "all" else action)
    except OSError as exc:
        st.error(t("access.audit_unreadable", reason=md(exc)))
        return
    if frame.empty:
        st.info(t("access.audit_empty"))
        return
    shown = frame.assign(action=[t(f"access.action_{a}") if a in AUDIT_ACTIONS else a for a in frame["action"]])
    shown = shown.rename(columns={c: t(f"access.audit_col_{c}") for c in frame.columns})
    st.dataframe(shown, hide_index=True, width="stretch", height=480)
    from ui.tables import csv_bytes

    download(t("common.download_csv"), csv_bytes(shown), "audit.csv", "text/csv", "dl_audit", ":material/download:")
