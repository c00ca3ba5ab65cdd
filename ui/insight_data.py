"""Cached loaders of the Demand insight page (text terms, repeats, rebounds); no drawing here."""

from __future__ import annotations

from concurrent.futures import Future

import pandas as pd
import streamlit as st

from analytics.filters import Filters
from analytics.repeats import rates
from analytics.text import search, terms
from ui import data, heavy


@st.cache_data(ttl=data.TTL, show_spinner=False)
def top_terms(db_key, f: Filters) -> pd.DataFrame:
    return terms.top_terms(data.connection().cursor(), f, cfg=data.config())


@st.cache_data(ttl=data.TTL, show_spinner=False)
def emerging_terms(db_key, f: Filters) -> pd.DataFrame:
    return terms.emerging_terms(data.connection().cursor(), f, data.config())


@st.cache_data(ttl=data.TTL, show_spinner=False)
def term_cases(db_key, f: Filters, term: str) -> pd.DataFrame:
    return search.term_cases(data.connection().cursor(), f, term)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def term_areas(db_key, f: Filters, term: str, level: str) -> pd.DataFrame:
    return search.term_areas(data.connection().cursor(), f, term, level)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def search_cases(db_key, f: Filters, query: str) -> pd.DataFrame:
    return search.search_cases(data.connection().cursor(), f, query)


def _rule() -> rates.RepeatRule:
    return rates.RepeatRule.from_config(data.config())


def _workers() -> int:
    return int(data.config()["limits"]["heavy_analyses"])


# The repeat analyses pair every case of the period with its neighbours (minutes and gigabytes at 20 M
# cases): computed once per request however many sessions ask, a few at a time, in worker processes (never
# holding the server's interpreter lock), kept like a cache (ui/heavy.py). The *_job functions return the
# future, for a panel that shows the rest of its page first.
def repeats_job(db_key, f: Filters) -> Future:
    return heavy.submit_process(("repeats", db_key, f), "repeats", (f, _rule()), _workers())


def rebounds_job(db_key, f: Filters) -> Future:
    return heavy.submit_process(("rebounds", db_key, f), "rebounds", (f, _rule()), _workers())


def repeat_rates_job(db_key, f: Filters, level: str) -> Future:
    return heavy.submit_process(("repeat_rates", db_key, f, level), "repeat_rates", (f, level, _rule()), _workers())


def repeat_rates(db_key, f: Filters, level: str) -> pd.DataFrame:
    return repeat_rates_job(db_key, f, level).result()


@st.cache_data(ttl=data.TTL, show_spinner=False)
def case_labels(db_key, case_ids: tuple[str, ...]) -> pd.DataFrame:
    """Category and grid names of listed cases (for the repeat tables)."""
    con = data.connection().cursor()
    con.register("label_ids", pd.DataFrame({"case_id": list(case_ids)}))
    return con.execute(
        """SELECT c.case_id, c.category_name, g.grid_name, c.description FROM cases c
           JOIN label_ids USING (case_id) LEFT JOIN grids g ON g.grid_id = c.grid_id"""
    ).df()
