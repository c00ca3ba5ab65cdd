"""The zh/en catalogs (``ui/locales/*.json``) and the formatting of numbers and dates per language.

Every user-visible string goes through :func:`t`. Chinese is the default; the
language comes from the ``lang`` query parameter or the sidebar switch.
"""

from __future__ import annotations

import streamlit as st

from analytics import catalog as _catalog
from analytics.catalog import LANGUAGES, catalog, load_catalog  # noqa: F401 (re-exported)

LOCALES = _catalog.LOCALES
DEFAULT_LANGUAGE = "zh"


def current_language() -> str:
    lang = st.session_state.get("lang")
    if lang not in LANGUAGES:
        lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        st.session_state["lang"] = lang
    return lang


def t(key: str, **values) -> str:
    """The string for ``key`` in the current language, formatted with ``values``.

    A missing key shows as ``⟦key⟧`` so it is visible on screen and caught by tests.
    """
    text = catalog(current_language()).get(key)
    if text is None:
        return f"⟦{key}⟧"
    return text.format(**values) if values else text


def t_or(key: str, fallback: str) -> str:
    """The catalog string for ``key`` when there is one, else ``fallback`` (for values that come from the data)."""
    return catalog(current_language()).get(key, fallback)


def fmt_int(value) -> str:
    """A count: ``12,345`` in English; ``1.23万`` from ten thousand up in Chinese."""
    return _catalog.fmt_int(value, current_language())


def fmt_pct(value, digits: int = 1) -> str:
    return _catalog.fmt_pct(value, digits)


def fmt_hours(value) -> str:
    return _catalog.fmt_hours(value, current_language())


def fmt_date(day) -> str:
    return _catalog.fmt_date(day, current_language())


def date_tickformat(grain: str) -> str:
    """d3 time format for chart axes: Chinese dates in zh (plotly's own month names are English)."""
    zh = current_language() == "zh"
    if grain == "month":
        return "%Y年%-m月" if zh else "%b %Y"
    return "%-m月%-d日" if zh else "%-d %b"


def fmt_metric(name: str, value) -> str:
    """:func:`analytics.catalog.fmt_metric` in the session's language."""
    return _catalog.fmt_metric(name, value, current_language())


def fmt_ranges(name: str, breaks) -> list[str]:
    """:func:`analytics.catalog.fmt_ranges` (a map legend's class ranges) in the session's language."""
    return _catalog.fmt_ranges(name, breaks, current_language())


def fmt_signed_pct(value, digits: int = 1) -> str:
    return "—" if value is None or value != value else f"{_catalog.signed(value * 100, digits)}%"
