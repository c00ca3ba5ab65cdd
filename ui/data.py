"""Cached access to the store: one read-only connection, ``st.cache_data`` loaders over analytics.

The connection reads the database file and its current sync delta (:mod:`analytics.sync.live`).
:func:`db_key` identifies the data a reader sees now (the file's identity and the delta pointer);
when a finished import or sync changes it, the next call opens a new connection and the replaced one
is closed ``[sync] close_grace_seconds`` later (queries already running on it finish; its file is
released). Every loader takes the key, so its cached results follow the data.
"""

from __future__ import annotations

import logging

import duckdb
import pandas as pd
import streamlit as st

from analytics import alerts, departments, metrics, queries, store
from analytics.access.scope import Scope
from analytics.config import load_config
from analytics.filters import Filters
from analytics.period_pair import PeriodPair, summaries_and_grids
from analytics.scoring import add_scores, city_index
from analytics.sync.live import LiveConnections
from analytics.sync.live import token as live_token
from analytics.workcal import WorkCalendar

TTL = 600
LOG = logging.getLogger("gridscope")


LIVE = LiveConnections()


def _grace() -> float:
    return float(config()["sync"]["close_grace_seconds"])


def connection() -> duckdb.DuckDBPyConnection:
    """The app's single read-only connection (raises :class:`store.StoreError` when unusable)."""
    return LIVE.get(store.db_path(), _grace())[1]


def config() -> dict:
    return load_config()


def work_calendar() -> WorkCalendar:
    """The working calendar of the configuration (official days plus ``[calendar]``)."""
    return WorkCalendar.from_config(config())


@st.cache_data(ttl=TTL, show_spinner=False)
def meta(db_key: tuple) -> dict[str, str]:
    return store.read_meta(connection())


@st.cache_data(ttl=TTL, show_spinner=False)
def data_range(db_key: tuple):
    """``[first report day, as-of day)``; the as-of day is the dataset's ``data_end`` when recorded."""
    return queries.data_range(connection())


def current_scope() -> Scope:
    """The signed-in principal's scope (nothing before sign-in): every loader below is limited to it."""
    from ui.auth import scope

    return scope()


@st.cache_data(ttl=TTL, show_spinner=False)
def levels(db_key: tuple) -> tuple[str, ...]:
    """The area levels the loaded data has, coarse to fine (:func:`analytics.queries.levels_present`)."""
    return queries.levels_present(connection())


@st.cache_data(ttl=TTL, show_spinner=False)
def coverage(db_key: tuple):
    """The data coverage (:func:`analytics.coverage.data_coverage`), or None without cases."""
    from analytics.coverage import data_coverage

    return data_coverage(connection())


@st.cache_data(ttl=TTL, show_spinner=False)
def default_period(db_key: tuple):
    """The period pages open with (:func:`analytics.coverage.default_period`), or None without cases."""
    from analytics.coverage import default_period as pick

    cov = coverage(db_key)
    return None if cov is None else pick(connection(), cov)


@st.cache_data(ttl=TTL, show_spinner=False)
def _areas(db_key: tuple, level: str, parent_level: str | None, parent: str | None, scope: Scope) -> pd.DataFrame:
    return queries.areas(connection(), level, parent_level, parent, scope)


def areas(db_key: tuple, level: str, parent_level: str | None, parent: str | None) -> pd.DataFrame:
    """The areas of a level the principal may see."""
    return _areas(db_key, level, parent_level, parent, current_scope())


@st.cache_data(ttl=TTL, show_spinner=False)
def summary(db_key: tuple, f: Filters) -> dict:
    return metrics.summary(connection(), f, config())


@st.cache_data(ttl=TTL, show_spinner=False)
def scored_areas(db_key: tuple, f: Filters, level: str) -> pd.DataFrame:
    cfg = config()
    return add_scores(metrics.by_area(connection(), f, level, cfg), cfg)


@st.cache_data(ttl=TTL, show_spinner=False)
def period_pair(db_key: tuple, f: Filters) -> PeriodPair:
    """Summary and grid rows of ``f`` and of ``f.previous()`` from one scan (the overview's numbers; its map, alerts
    and briefing read no grid's handling time, so the grid rows come without those quantiles)."""
    return summaries_and_grids(connection(), f, config(), area_quantiles=False)


def summaries(db_key: tuple, f: Filters) -> tuple[dict, dict]:
    """:func:`summary` of ``f`` and of ``f.previous()``, from :func:`period_pair`."""
    pair = period_pair(db_key, f)
    return pair.current, pair.previous


@st.cache_data(ttl=TTL, show_spinner=False)
def scored_grids(db_key: tuple, f: Filters) -> pd.DataFrame:
    """``scored_areas(db_key, f, "grid")``, from :func:`period_pair`."""
    return add_scores(period_pair(db_key, f).areas, config())


# a resource, not data: every map read these shared frames (never changing them) and st.cache_data would unpickle
# the parsed rings on each read (0.7 s a read at 10,000 grids); keyed by the database, so a new file reloads them
@st.cache_resource(ttl=TTL, show_spinner=False)
def _geometries(db_key: tuple, level: str, scope: Scope) -> pd.DataFrame:
    from ui.maps import with_polygons

    return with_polygons(queries.area_geometries(connection(), level, scope))


def geometries(db_key: tuple, level: str) -> pd.DataFrame:
    """Area geometries of a level (those the principal may see) with their outer rings parsed (``polygon``)."""
    return _geometries(db_key, level, current_scope())


@st.cache_data(ttl=TTL, show_spinner=False)
def trend_series(db_key: tuple, f: Filters, grain: str, split: str) -> pd.DataFrame:
    """Complete series (empty buckets are 0) from :func:`analytics.trends.series`."""
    from analytics import trends

    return trends.series(connection(), f, grain, split)


@st.cache_data(ttl=TTL, show_spinner=False)
def category_counts(db_key: tuple, f: Filters) -> pd.DataFrame:
    return queries.category_counts(connection(), f)


def top_categories(db_key: tuple, f: Filters, limit: int, other: bool = False) -> pd.DataFrame:
    """:func:`analytics.queries.top_categories` from one cached query per filter set (any ``limit``)."""
    return queries.top_of(category_counts(db_key, f), limit, other)


@st.cache_data(ttl=TTL, show_spinner=False)
def alert_list(db_key: tuple, f: Filters) -> pd.DataFrame:
    grids, previous = scored_grids(db_key, f), period_pair(db_key, f).previous_areas
    return alerts.alerts(connection(), f, config(), grids=grids, prev_grids=previous)


@st.cache_data(ttl=TTL, show_spinner=False)
def department_table(db_key: tuple, f: Filters) -> pd.DataFrame:
    return departments.department_metrics(connection(), f, config())


@st.cache_resource(show_spinner=False)
def _weights(db_key: tuple, level: str, scope: Scope):
    from analytics.hotspot_report import weights_for
    from ui.maps import with_polygons

    geoms, w = weights_for(connection(), level, scope)
    return with_polygons(geoms), w  # the rings parsed once, not on every draw of the two hotspot maps


def weights(db_key: tuple, level: str):
    """Area geometries and contiguity weights of a level among the areas the principal may see."""
    return _weights(db_key, level, current_scope())


@st.cache_data(ttl=3600, show_spinner=False)
def basemap(db_key: tuple, tile_url: str):
    """The configured tile server's image of the whole territory, or None (no URL, or the server failed)."""
    if not tile_url:
        return None
    from analytics.basemap import compose

    grids = _geometries(db_key, "grid", Scope.city())  # the tiles of the whole territory: no case data
    bbox = (
        grids["centroid_lon"].min() - 0.02,
        grids["centroid_lat"].min() - 0.02,
        grids["centroid_lon"].max() + 0.02,
        grids["centroid_lat"].max() + 0.02,
    )
    try:
        return compose(tile_url, tuple(float(v) for v in bbox))
    except (OSError, ValueError) as exc:
        LOG.warning("base map from %s not available: %s", tile_url, exc)
        return None


def base_layer_for(key) -> tuple[str, list[float]] | None:
    return basemap(key, str(config()["map"].get("tile_url", "")))


def city_index_of(summary_row: dict) -> dict:
    return city_index(summary_row, config())


def clear_caches() -> None:
    """Drop cached query results (the presentation mode's timed refresh)."""
    from ui import heavy

    st.cache_data.clear()
    heavy.clear()


def db_key() -> tuple:
    """Cache key part that changes when the database file is replaced or a sync publishes a delta."""
    return live_token(store.db_path())
