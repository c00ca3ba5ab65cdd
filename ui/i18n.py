"""The zh/en catalogs (``ui/locales/*.json``) and the formatting of numbers and dates per language.

Every user-visible string goes through :func:`t`. Chinese is the default; the
language comes from the ``lang`` query parameter or the sidebar switch.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def load_catalog(lang: str) -> dict[str, str]:
    """The catalog of ``lang``: ``locales/<lang>.json`` merged with every ``locales/<feature>/<lang>.json``.

    A feature keeps its strings in a folder of its own; a key defined twice raises ``ValueError``.
    """
    merged: dict[str, str] = {}
    for path in [LOCALES / f"{lang}.json", *sorted(LOCALES.glob(f"*/{lang}.json"))]:
        with open(path, encoding="utf-8") as fh:
            part = json.load(fh)
        twice = set(part) & set(merged)
        if twice:
            raise ValueError(f"{path}: keys defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


@cache
def catalog(lang: str) -> dict[str, str]:
    return load_catalog(lang)


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
    if value is None or value != value:  # None or NaN
        return "—"
    value = int(value)
    if current_language() == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:.2f}万"
    return f"{value:,}"


def fmt_pct(value, digits: int = 1) -> str:
    return "—" if value is None or value != value else f"{value * 100:.{digits}f}%"


def fmt_hours(value) -> str:
    if value is None or value != value:
        return "—"
    return t("unit.hours", value=f"{value:.1f}")


def fmt_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if current_language() == "zh" else day.strftime("%d %b %Y")


def date_tickformat(grain: str) -> str:
    """d3 time format for chart axes: Chinese dates in zh (plotly's own month names are English)."""
    zh = current_language() == "zh"
    if grain == "month":
        return "%Y年%-m月" if zh else "%b %Y"
    return "%-m月%-d日" if zh else "%-d %b"


def fmt_metric(name: str, value) -> str:
    """A metric's value for people, by its name: rates as %, hours, one decimal for per-1,000 volumes and
    scores, whole counts otherwise; a status word is translated. The one formatter tiles, maps and tables share."""
    if value is None or (not isinstance(value, str) and value != value):
        return "—"
    if isinstance(value, str):
        return t_or(f"status.{value}", value)
    if name.endswith("_rate"):
        return fmt_pct(value)
    if name.endswith("_hours"):
        return fmt_hours(value)
    if name in ("reported_per_1000", "score"):
        return f"{value:.1f}"
    return fmt_int(value)


def fmt_signed_pct(value, digits: int = 1) -> str:
    return "—" if value is None or value != value else f"{value * 100:+.{digits}f}%"
