"""Layout CSS the theme cannot express (spacing and tile type sizes); colours stay in config.toml."""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
/* this block is the page's first element: hidden, so it takes no place (its rules apply all the same) */
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > [data-testid="stElementContainer"]:first-child:has(style) {display: none;}
.block-container {padding-top: 2.6rem; padding-bottom: 1rem; max-width: 100%;}
[data-testid="stMetricValue"] {font-size: 1.9rem; white-space: nowrap;}
[data-testid="stMetricValue"] > div {overflow: visible; text-overflow: clip;}
[data-testid="stMetric"] {padding: 0.55rem 0.8rem;}
[data-testid="stMetricLabel"] p {white-space: normal; overflow: visible; line-height: 1.2; font-size: 0.92rem;
  word-break: normal; overflow-wrap: normal; hyphens: manual;}
[data-testid="stMetricLabel"] {height: 2.3rem; align-items: flex-start; overflow: hidden;}
/* labels wrap between words, never inside one ("Reporte d") and are never cut to "Repo…" */
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] {white-space: normal; text-overflow: clip;}
[data-testid="stMetricLabel"] {grid-template-columns: minmax(0, 1fr) auto; column-gap: 0.15rem;}
@media (max-width: 1760px) {  /* eight tiles in a row on a 1,600 px screen: less padding, smaller type */
  [data-testid="stMetric"] {padding: 0.35rem 0.3rem;}
  [data-testid="stMetric"] > div {padding: 0.5rem 0.45rem;}
  [data-testid="stMetricLabel"] p {font-size: 0.8rem; line-height: 1.15;}
  [data-testid="stMetricLabel"] {height: 2.8rem;}
  [data-testid="stMetricValue"] {font-size: 1.6rem;}
  [data-testid="stMetricDelta"] {font-size: 0.75rem;}
}
/* Placeholders stay still: their shimmer repaints the screen at 60 frames a second until the element arrives;
   without a GPU (software compositing) that cost more CPU than drawing the page (docs/performance.md) */
[data-testid="stSkeleton"], [data-testid="stSkeleton"] * {animation: none !important;}
h1 {padding-top: 0; padding-bottom: 0.2rem;}
/* the sidebar's segmented filters: tighter buttons, so a filter's choices take one or two rows */
[data-testid="stSidebar"] [data-testid="stButtonGroup"] button {padding: 0.15rem 0.45rem; min-height: 2rem;}
[data-testid="stSidebar"] [data-testid="stElementContainer"]:has([data-testid="stButtonGroup"]) {margin-bottom: -0.35rem;}
h3 {padding-top: 0.3rem; padding-bottom: 0.2rem;}
/* Phones (Streamlit stacks columns below 640 px): KPI tiles two to a row, smaller type, tighter margins */
@media (max-width: 640px) {
  .block-container {padding-left: 0.75rem; padding-right: 0.75rem;}
  h1 {font-size: 1.75rem;}
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] > [data-testid="stVerticalBlock"]
      > [data-testid="stElementContainer"] > [data-testid="stMetric"]) {flex-flow: row wrap; gap: 0.5rem;}
  [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:has(> [data-testid="stVerticalBlock"]
      > [data-testid="stElementContainer"] > [data-testid="stMetric"]) {
    flex: 1 1 calc(50% - 0.5rem) !important; width: calc(50% - 0.5rem) !important;
    min-width: calc(50% - 0.5rem) !important;}
  [data-testid="stMetric"] {padding: 0.4rem 0.55rem; height: auto !important;}
  [data-testid="stMetricValue"] {font-size: 1.35rem;}
  [data-testid="stMetricLabel"] {height: auto;}
  [data-testid="stMetricLabel"] p {font-size: 0.8rem;}
  [data-testid="stMetricDelta"] div {white-space: normal;}
}
</style>
"""


def apply_layout_css(extra: str = "") -> None:
    """The layout CSS as the page's first element, by ``st.html`` with a (empty) span beside the style.

    Not ``st.markdown(unsafe_allow_html=True)``: that makes a new browser session load Streamlit's HTML-in-markdown
    code (rehype-raw and its HTML parser, about 0.5 MB of script) before anything is drawn, which no page needs
    otherwise (docs/performance.md, "A lighter frame"). Not a style-only ``st.html`` either: Streamlit sends that
    to its event container instead of the page, which cost the browser's compositor up to 5 CPU s more on most
    visits (docs/performance.md, "seventh pass"); the span keeps it in the page's flow. The block's element
    container is hidden by the CSS's own first rule, so it takes no place. ``extra`` (the presentation mode's
    dark CSS) goes in the same block.
    """
    st.html(CSS + extra + "<span></span>")


def html_block(markup: str) -> None:
    """Escaped HTML (``ui.safe.md`` or ``html.escape`` for every text in it) drawn by ``st.html``, spaced as
    ``st.markdown(..., unsafe_allow_html=True)`` spaced it (its container pulls the next element up by 1rem).

    ``st.html`` skips the browser's markdown pipeline (remark, rehype-raw's HTML parser): at 1M the overview's
    alerts and legends cost about 0.6 CPU s less in a new session that way (docs/performance.md, sixth pass).
    """
    st.html(f"<div style='margin-bottom:-1rem'>{markup}</div>")
