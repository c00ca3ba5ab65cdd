"""The "data as of" badge on every page, and the timed check that shows a finished import or sync.

The badge is a fragment that reruns every ``[freshness] refresh_seconds``: it redraws the age and,
when the data changed since the page was drawn (a sync published a delta, an import replaced the
file), reruns the whole app so the page shows the new data without a restart.
"""

from __future__ import annotations

import datetime as dt
import html

import streamlit as st

from analytics import store
from analytics.sync.freshness import Freshness, classify, sync_status
from analytics.sync.live import NO_GENERATION, open_status, status_token
from ui import data
from ui.i18n import t
from ui.style import html_block

COLOURS = {"green": "#15803d", "amber": "#b45309", "red": "#b91c1c", "static": "#475569"}
SHOWN_KEY = "freshness_shown_key"


def ago(minutes: float | None) -> str:
    if minutes is None:
        return ""
    if minutes < 1:
        return t("fresh.just_now")
    if minutes < 120:
        return t("fresh.minutes_ago", n=int(minutes))
    if minutes < 48 * 60:
        return t("fresh.hours_ago", n=int(minutes // 60))
    return t("fresh.days_ago", n=int(minutes // (24 * 60)))


def badge_html(state: Freshness) -> str:
    """The badge as HTML; every text in it is escaped."""
    if state.as_of is None:
        text = t("fresh.never")
    else:
        shown = state.as_of.strftime("%H:%M" if state.as_of.date() == dt.date.today() else "%Y-%m-%d %H:%M")
        text = t("fresh.as_of", time=shown, ago=ago(state.minutes))
    note = {"red": t("fresh.failed"), "amber": t("fresh.stale")}.get(state.level, "")
    colour = COLOURS[state.level]
    return (
        f'<div class="gs-freshness" data-level="{state.level}" style="text-align:right;margin:-0.4rem 0 0.2rem 0">'
        f'<span title="{html.escape(note)}" style="background:{colour};color:#fff;border-radius:12px;'
        f'padding:2px 12px;font-size:0.85rem">{html.escape(text)}'
        f"{' · ' + html.escape(note) if note else ''}</span></div>"
    )


@st.cache_data(show_spinner=False, max_entries=8)
def sync_status_of(token: tuple) -> tuple:
    """The sync status of the newest generation (``token`` from :func:`status_token`).

    Without a generation (no sync ever ran on this file) it is the base file's own, which the app's data
    connection reads as is: no second connection is opened for it (the file's catalog read again, 0.07-0.2 s)."""
    if token[2] == NO_GENERATION:
        return sync_status(data.connection())
    con = open_status(token[0])
    try:
        return sync_status(con)
    finally:
        con.close()


def _draw() -> None:
    key = data.db_key()
    shown = st.session_state.get(SHOWN_KEY)
    if shown is not None and shown != key:
        st.session_state[SHOWN_KEY] = key
        st.rerun(scope="app")
    st.session_state[SHOWN_KEY] = key
    cfg = data.config()["freshness"]
    state = classify(sync_status_of(status_token(store.db_path())), float(cfg["amber_minutes"]))
    html_block(badge_html(state))


def badge() -> None:
    """Draw the badge (and keep it current) at this place of the page."""
    every = float(data.config()["freshness"]["refresh_seconds"])
    st.fragment(run_every=every)(_draw)()
