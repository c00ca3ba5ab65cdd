"""GridScope frame: page config, language, shared filters, navigation. No queries here."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from analytics.store import StoreError, db_path
from ui import data, present
from ui.filters import sidebar_filters
from ui.i18n import LANGUAGES, current_language, t
from ui.navigation import PAGES
from ui.style import apply_layout_css

LOG = logging.getLogger("gridscope")
ICON = Path(__file__).parent / "ui" / "static" / "icon.png"

st.set_page_config(page_title="GridScope", page_icon=str(ICON), layout="wide", initial_sidebar_state="auto")


def language_switch() -> None:
    lang = current_language()
    choice = st.sidebar.segmented_control(
        t("app.language"),
        LANGUAGES,
        default=lang,
        format_func=lambda code: {"zh": "中文", "en": "English"}[code],
        key="lang_switch",
    )
    if choice and choice != lang:
        st.session_state["lang"] = choice
        st.query_params["lang"] = choice
        st.rerun()


def dataset_badge() -> None:
    meta = data.meta(data.db_key())
    name = meta.get("city_name_en" if current_language() == "en" else "city_name", meta.get("dataset", ""))
    st.sidebar.markdown(f"**{name}**")
    if meta.get("synthetic") == "true":
        st.sidebar.caption(t("app.demo_badge"))


def main() -> None:
    apply_layout_css()
    presenting = present.is_presenting()
    if presenting:
        present.apply()
    language_switch()
    pages = [
        st.Page(p.path, title=t(f"page.{p.key}"), icon=p.icon, url_path=p.url_path, default=(i == 0))
        for i, p in enumerate(PAGES)
    ]
    navigation = st.navigation(pages, position="sidebar")
    try:
        data.connection()
        dataset_badge()
        st.session_state["filters"] = sidebar_filters()
        st.sidebar.toggle(t("present.toggle"), key="present_toggle", help=t("present.toggle_help"))
    except StoreError:
        st.error(t("app.no_database", path=str(db_path())))
        st.code("python -m analytics demo --if-missing", language="bash")
        st.stop()
    present.ensure_theme(presenting)
    if presenting:
        present.ticker(navigation.url_path or PAGES[0].url_path)
    try:
        navigation.run()
    except Exception:  # a page failed: a clear message, never a traceback (the log keeps the details)
        LOG.exception("page %s failed", navigation.url_path)
        st.error(t("app.page_error"))


main()
