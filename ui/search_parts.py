"""The place search box of the map and profile pages (名称、编码、拼音或首字母): results from
:mod:`analytics.search`; picking one calls back with ``(level, area_id)``."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from analytics import search
from ui import data
from ui.i18n import t


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _index(db_key, scope) -> pd.DataFrame:
    return search.place_index(data.connection(), scope)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _addresses(db_key, query: str, scope) -> pd.DataFrame:
    unmask = bool(data.config()["privacy"]["unmask"])
    return search.search_addresses(data.connection(), query, unmask=unmask, scope=scope)


def _label(row) -> str:
    parent = f" · {row.parent_name}" if isinstance(row.parent_name, str) and row.parent_name else ""
    return f"{t('level.' + row.level)} · {row.area_name} · {row.area_id}{parent}"


def results(key, query: str, limit: int = 12) -> list[tuple[str, str, str]]:
    """``(level, area_id, label)`` of the places and case addresses matching ``query``."""
    found = [
        (r.level, r.area_id, _label(r))
        for r in search.search_places(_index(key, data.current_scope()), query, limit).itertuples()
    ]
    for row in _addresses(key, query.strip()[: search.MAX_QUERY], data.current_scope()).itertuples():
        found.append(("grid", str(row.grid_id), f"{t('search.address')} · {row.address} → {row.grid_name}"))
    return found


def place_search(key, prefix: str, on_pick: Callable[[str, str], None]) -> None:
    """A search box and, once something is typed, the matches to pick from."""
    cols = st.columns([2, 3])
    query = cols[0].text_input(
        t("search.label"),
        key=f"{prefix}_search",
        max_chars=search.MAX_QUERY,
        placeholder=t("search.placeholder"),
        help=t("search.help"),
    )
    if not query or not query.strip():
        return
    matches = results(key, query)
    if not matches:
        cols[1].caption(t("search.none"))
        return
    options = {f"{level}|{area}": label for level, area, label in matches}

    def picked() -> None:
        choice = st.session_state.get(f"{prefix}_search_pick")
        if choice:
            level, area = choice.split("|", 1)
            on_pick(level, area)

    cols[1].selectbox(
        t("search.results", count=len(matches)),
        list(options),
        index=None,
        format_func=options.__getitem__,
        placeholder=t("search.pick"),
        key=f"{prefix}_search_pick",
        on_change=picked,
    )
