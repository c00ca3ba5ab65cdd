"""Display names in the current language: areas, departments, categories."""

from __future__ import annotations

import streamlit as st

from analytics import queries
from ui import data
from ui.i18n import current_language


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _lookups(db_key: tuple) -> dict[str, dict[str, str]]:
    con = data.connection()
    out = {}
    for lang in ("zh", "en"):
        for kind, table in queries.display_names(con, lang).items():
            out[f"{kind}_{lang}"] = table
    return out


def _lang() -> str:
    return "en" if current_language() == "en" else "zh"


def department_name(code: str, fallback: str | None = None) -> str:
    return _lookups(data.db_key())[f"department_{_lang()}"].get(code, fallback or code)


def category_label(code: str, fallback: str | None = None) -> str:
    return _lookups(data.db_key())[f"category_{_lang()}"].get(code, fallback or code)


def _values(items) -> list:
    """``items`` as a plain list: a pandas column in one call (iterating an Arrow-backed column builds a
    Python object per step, about ten times slower: 0.15 s for the closed loop's 3,749 overdue cases)."""
    return items.tolist() if hasattr(items, "tolist") else list(items)


def department_names(codes) -> list[str]:
    """:func:`department_name` of many codes with one lookup (a cached call per item is slow on long tables)."""
    table = _lookups(data.db_key())[f"department_{_lang()}"]
    return [table.get(code, code) for code in _values(codes)]


def category_labels(codes, fallbacks) -> list[str]:
    """:func:`category_label` of many codes with one lookup."""
    table = _lookups(data.db_key())[f"category_{_lang()}"]
    return [table.get(code, fallback or code) for code, fallback in zip(_values(codes), _values(fallbacks))]


def major_label(major: str) -> str:
    return _lookups(data.db_key())[f"major_{_lang()}"].get(major, major)


def subject_name(subject_type: str, subject_id: str, fallback: str) -> str:
    if subject_type == "department":
        return department_name(subject_id, fallback)
    if subject_type == "category":
        return category_label(subject_id, fallback)
    return fallback


def subject_names(types, ids, fallbacks) -> list[str]:
    """:func:`subject_name` of many subjects with one lookup (each cached call hashes its key and unpickles every
    name of the city: ~2 ms, a dozen a run of the overview)."""
    lookups, lang = _lookups(data.db_key()), _lang()
    tables = {"department": lookups[f"department_{lang}"], "category": lookups[f"category_{lang}"]}
    out = []
    for kind, code, fallback in zip(_values(types), _values(ids), _values(fallbacks)):
        table = tables.get(kind)
        out.append(fallback if table is None else table.get(code, fallback or code))
    return out


def area_label(level: str, area: str) -> str:
    frame = data.areas(data.db_key(), level, None, None)
    match = frame.loc[frame["area_id"] == area, "area_name"]
    return f"{match.iloc[0]} · {area}" if len(match) else str(area)
