"""GridScope frame: page config, language, shared filters, navigation. No queries here."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st
from streamlit import delta_generator

from analytics.config import ConfigError
from analytics.filters import enforce_scope
from analytics.store import StoreError, db_path
from ui import auth, data, freshness, present
from ui.filters import sidebar_filters
from ui.i18n import LANGUAGES, current_language, t
from ui.navigation import PAGES
from ui.safe import md
from ui.style import apply_layout_css

LOG = logging.getLogger("gridscope")
ICON = Path(__file__).parent / "ui" / "static" / "icon.png"

# Streamlit asks once per process, at the first element drawn, whether it runs in a Python REPL (to print "use
# streamlit run"): an inspect.stack() of the script thread that reads every frame's source file, 0.1-0.35 s of
# a new server's first visitor. This app never runs in a REPL: the question is answered before it is asked.
delta_generator._use_warning_has_been_displayed = True

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
    st.sidebar.markdown(f"**{md(name)}**")
    if meta.get("synthetic") == "true":
        st.sidebar.caption(t("app.demo_badge"))


def navigation_pages(specs) -> list:
    """One ``st.Page`` per registered page; the first is the default, served at the root URL.

    Streamlit serves the default page only at ``/``, so ``/overview`` (its own path, used by links and
    presentation rotation) would say "Page not found": the same script is registered once more, hidden
    from the menu, at that path. The default page itself reserves the otherwise unused path ``home``.
    """
    first = specs[0]
    pages = [
        st.Page(
            p.path, title=t(f"page.{p.key}"), icon=p.icon, url_path="home" if i == 0 else p.url_path, default=i == 0
        )
        for i, p in enumerate(specs)
    ]
    alias = st.Page(
        first.path, title=t(f"page.{first.key}"), icon=first.icon, url_path=first.url_path, visibility="hidden"
    )
    return [*pages, alias]


def config_or_stop() -> None:
    """A malformed configuration file: its file, line and key on every page (presentation mode too)."""
    try:
        data.config()
    except ConfigError as exc:
        st.error(
            t(
                "access.config_error",
                file=md(exc.file),
                line=exc.line or "—",
                setting=md(exc.key or "—"),
                reason=md(exc.reason),
            )
        )
        st.stop()


def main() -> None:
    enforce_scope()  # deny by default: in this run, a query without the principal's scope reads nothing
    presenting = present.is_presenting()
    apply_layout_css(present.DARK_CSS if presenting else "")
    language_switch()
    config_or_stop()
    principal = auth.gate()
    kiosk = principal is not None and principal.read_only_screen
    shown = [p for p in PAGES if not (p.key == "data" and kiosk)]
    navigation = st.navigation(navigation_pages(shown), position="sidebar" if principal else "hidden")
    if principal is None:  # the page asked for waits for the sign-in
        auth.sign_in_form()
        st.stop()
    auth.account_panel(principal)
    try:
        data.connection()
        dataset_badge()
        st.session_state["filters"] = sidebar_filters()
        st.sidebar.toggle(t("present.toggle"), key="present_toggle", help=t("present.toggle_help"))
        auth.unmask_toggle(principal)
    except StoreError:
        st.error(t("app.no_database", path=str(db_path())))
        st.code("python -m analytics demo --if-missing", language="bash")
        st.stop()
    except Exception:  # the database opened but could not be read: a clear message (the log keeps the details)
        LOG.exception("opening %s failed", db_path())
        st.error(t("app.open_error"))
        st.stop()
    present.ensure_theme(presenting)
    if presenting:
        present.ticker(navigation.url_path or PAGES[0].url_path)
    freshness.badge()
    auth.record_view(navigation.url_path or PAGES[0].url_path, st.session_state.get("filters"))
    try:
        navigation.run()
    except Exception:  # a page failed: a clear message, never a traceback (the log keeps the details)
        LOG.exception("page %s failed", navigation.url_path)
        st.error(t("app.page_error"))


main()
