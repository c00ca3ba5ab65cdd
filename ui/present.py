"""Presentation mode (演示模式): big type, dark, no chrome; rotation through pages; timed data refresh.

Turned on by the URL parameter ``present=1`` (or the sidebar toggle). The dark look comes from
Streamlit's own theme mechanism: ``.streamlit/config.toml`` defines ``[theme.light]`` and
``[theme.dark]``, and the URL option ``embed_options=dark_theme`` makes the browser use the dark
one, so widgets, the ``st.dataframe`` canvas grid and charts all follow it (CSS cannot reach the
grid). A presentation URL without the option is reloaded once with it (:func:`ensure_theme`). ``rotate=overview,grid-map``
names the pages to cycle through and ``every=30`` the seconds per page (default from the
configuration); a visible countdown says what comes next. Data is re-read every
``[presentation] refresh_seconds`` without reloading the page.
"""

from __future__ import annotations

import html
import time

import plotly.graph_objects as go
import streamlit as st

from ui import data
from ui.i18n import t
from ui.navigation import PAGES
from ui.vega import figure_spec

# Hides the chrome and switches to the dark large-type look; drawn with the layout CSS (``ui.style``) by
# ``st.html``, so presenting loads no HTML-in-markdown code either (docs/performance.md, "A lighter frame").
DARK_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], footer {display: none !important;}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {background: #0b1220 !important; color: #e5e7eb;}
.block-container {padding: 0.8rem 1.6rem 0.4rem 1.6rem !important; max-width: 100% !important;}
h1 {font-size: 2.1rem !important; color: #f8fafc !important; padding: 0 0 0.4rem 0 !important;}
h2, h3 {color: #e2e8f0 !important; font-size: 1.35rem !important; padding: 0.1rem 0 0.3rem 0 !important;}
p, span, label, div[data-testid="stCaptionContainer"] {color: #cbd5e1;}
[data-testid="stMetric"] {background: #111a2e; border-color: #1e293b !important; padding: 0.4rem 0.8rem;}
[data-testid="stMetricValue"] {color: #f8fafc !important; font-size: 2.3rem !important;}
[data-testid="stMetricLabel"] p {color: #94a3b8 !important; font-size: 1.05rem !important;}
[data-testid="stVerticalBlock"] {gap: 0.55rem;}
[data-testid="stMetricDelta"] {background: transparent !important;}
[data-testid="stMetricDelta"] div {color: #cbd5e1 !important;}
.gs-alert {border-bottom-color: #1e293b !important;}
[data-testid="stDownloadButton"], [data-testid="stExpander"] {display: none !important;}
.gs-countdown {position: fixed; top: 10px; right: 18px; z-index: 1000; background: #1e293b; color: #f1f5f9;
  padding: 6px 14px; border-radius: 16px; font-size: 15px;}
</style>
"""


def is_presenting() -> bool:
    return st.query_params.get("present") == "1" or bool(st.session_state.get("present_toggle"))


KEPT_PARAMS = ("present", "rotate", "every", "lang", "kiosk")


# Streamlit hides embed_options from st.query_params, so the browser checks its own address.
DARK_RELOAD_JS = """<script>
const url = new URL(window.location.href);
if (url.searchParams.getAll("embed_options").includes("dark_theme")) {
  window.__gsDarkTheme = true;  // this page was loaded with the dark theme
} else {
  url.searchParams.set("present", "1");
  url.searchParams.append("embed_options", "dark_theme");
  if (window.__gsDarkTheme) {  // still dark (a rotation's page switch dropped the option): fix the address only
    window.history.replaceState(window.history.state, "", url.toString());
  } else {
    window.location.replace(url.toString());
  }
}
</script>"""


def ensure_theme(presenting: bool) -> None:
    """In presentation mode, reload once with ``embed_options=dark_theme`` when the address lacks it
    (see the module docstring); ``present=1`` goes into the address too, so the mode survives."""
    if presenting:
        with st.sidebar:  # hidden while presenting; the browser still runs the script
            st.html(DARK_RELOAD_JS, unsafe_allow_javascript=True)


def style_figure(fig: go.Figure) -> go.Figure:
    if is_presenting():
        fig.update_layout(
            paper_bgcolor="rgba(0,0,0,0)",
            plot_bgcolor="#111a2e",
            font=dict(color="#e2e8f0", size=15),
            legend=dict(font=dict(color="#e2e8f0")),
        )
        fig.for_each_trace(_lighten)
        fig.update_xaxes(gridcolor="#243049", linecolor="#334155")
        fig.update_yaxes(gridcolor="#243049", linecolor="#334155")
    return fig


def _lighten(trace) -> None:
    """Traces drawn in near-black for a white page (the count line, previous-period ticks) turn light."""
    dark = {"#1f2933", "#111827"}
    if getattr(trace, "line", None) is not None and trace.line.color in dark:
        trace.update(line=dict(color="#f8fafc"))
    marker = getattr(trace, "marker", None)
    if marker is not None and (marker.color in dark or (marker.line is not None and marker.line.color in dark)):
        trace.update(marker=dict(color="#f8fafc", line=dict(color="#f8fafc")))


def plot(fig: go.Figure, height: int | None = None) -> None:
    """A house plotly figure, dark in presentation mode, drawn by Vega-Lite (:func:`ui.vega.figure_spec`), or by
    plotly (no mode bar) when it holds a trace kind the translation does not know."""
    draw(chart(fig, height))


def chart(fig: go.Figure, height: int | None = None) -> dict:
    """What :func:`plot` draws, as data a ``st.cache_data`` loader can keep: ``{"vega": spec}``, or
    ``{"plotly": figure}`` when the figure holds a trace kind ui/vega.py does not translate. A page whose figure
    depends only on cached data builds it in a loader keyed by the filters, the language and
    :func:`is_presenting`, so a new session does not build the plotly figure again (0.1–0.4 CPU s a chart)."""
    if height is not None:
        fig.update_layout(height=height)
    fig = style_figure(fig)
    spec = figure_spec(fig)
    return {"plotly": fig} if spec is None else {"vega": spec}


def draw(payload: dict) -> None:
    """Draw what :func:`chart` returned."""
    if "vega" in payload:  # Streamlit's Vega-Lite renderer: no 4.7 MB plotly bundle before the page is drawn
        st.vega_lite_chart(payload["vega"], width="stretch")
    else:
        st.plotly_chart(payload["plotly"], width="stretch", config={"displayModeBar": False})


def rotation() -> tuple[list[str], int]:
    """The pages to rotate through (url paths known to the registry) and the seconds per page."""
    known = {p.url_path for p in PAGES}
    wanted = [p for p in str(st.query_params.get("rotate", "")).split(",") if p in known]
    try:
        every = max(5, int(st.query_params.get("every", data.config()["presentation"]["rotate_seconds"])))
    except ValueError:
        every = int(data.config()["presentation"]["rotate_seconds"])
    return wanted, every


@st.fragment(run_every=1)
def ticker(current_url_path: str) -> None:
    """Countdown to the next page of the rotation, and the timed data refresh."""
    now = time.monotonic()
    refresh = int(data.config()["presentation"]["refresh_seconds"])
    last = st.session_state.setdefault("present_refreshed", now)
    if now - last >= refresh:
        st.session_state["present_refreshed"] = now
        data.clear_caches()
        st.rerun(scope="app")
    pages, every = rotation()
    if len(pages) < 2:
        return
    started = st.session_state.setdefault("present_page_started", (current_url_path, now))
    if started[0] != current_url_path:
        started = st.session_state["present_page_started"] = (current_url_path, now)
    remaining = every - int(now - started[1])
    position = pages.index(current_url_path) if current_url_path in pages else -1
    following = pages[(position + 1) % len(pages)]
    spec = next(p for p in PAGES if p.url_path == following)
    st.html(
        f"<div class='gs-countdown'>"
        f"{html.escape(t('present.next', page=t('page.' + spec.key), seconds=max(remaining, 0)))}</div>"
    )
    if remaining <= 0:
        params = {k: st.query_params[k] for k in KEPT_PARAMS if k in st.query_params}
        st.switch_page(spec.path, query_params=params)
