"""KPI tiles with the change against the previous equal period."""

from __future__ import annotations

import streamlit as st

from analytics.briefing import content
from analytics.briefing.content import OVERVIEW_TILES, Tile  # noqa: F401 (used by pages)
from ui.i18n import current_language, fmt_int, fmt_metric, t

TILE_HEIGHT = 150

DEADLINE_TILES = ("closure_rate", "on_time_closure_rate", "open_overdue", "due_to_close")


def tile_value(tile: Tile, value, deadlines_known: bool = True) -> str:
    if not deadlines_known and tile.key in DEADLINE_TILES:
        return t("edges.no_deadlines_tile")
    return fmt_metric(tile.key, value)


def tile_delta(tile: Tile, value, previous) -> str | None:
    """Change against the previous period: percentage points for rates, relative change otherwise."""
    return content.tile_delta(tile, value, previous, current_language())


def delta_style(delta: str | None, lower_is_better: bool) -> dict:
    """``st.metric``'s colour and arrow for a delta: none for one that shows no change."""
    if content.unchanged(delta):
        return {"delta_color": "off", "delta_arrow": "off"}
    return {"delta_color": "inverse" if lower_is_better else "normal"}


def kpi_tiles(current: dict, previous: dict, tiles=OVERVIEW_TILES, columns: int = 8) -> None:
    """Draw the tiles in one row (or ``columns`` per row)."""
    cols = st.columns(columns)
    known = current.get("deadlines_known") is not False
    comparable = previous.get("coverage", "inside") == "inside"  # metrics.md: no comparison outside coverage
    for i, tile in enumerate(tiles):
        value, before = current.get(tile.key), previous.get(tile.key)
        delta = tile_delta(tile, value, before) if comparable else None
        with cols[i % columns]:
            st.metric(
                t(f"metric.{tile.key}"),
                tile_value(tile, value, known),
                delta,
                **delta_style(delta, tile.lower_is_better),
                help=t(f"metric_help.{tile.key}"),
                border=True,
                height=TILE_HEIGHT,
            )
    notes = [] if known else [t("edges.no_deadlines")]
    for flag in ("negative_handling", "closed_before_reported"):
        count = current.get("negative_handling_time" if flag == "negative_handling" else flag)
        if count:
            notes.append(t(f"edges.{flag}", count=fmt_int(count)))
    if not comparable and current.get("coverage") != "outside":
        notes.append(t("edges.no_comparison"))
    if notes:
        st.caption(" ".join(notes))
