"""KPI tiles with the change against the previous equal period."""

from __future__ import annotations

import streamlit as st

from analytics.briefing import content
from analytics.briefing.content import OVERVIEW_TILES, Tile  # noqa: F401 (used by pages)
from ui.i18n import current_language, fmt_metric, t

TILE_HEIGHT = 150


def tile_value(tile: Tile, value) -> str:
    return fmt_metric(tile.key, value)


def tile_delta(tile: Tile, value, previous) -> str | None:
    """Change against the previous period: percentage points for rates, relative change otherwise."""
    return content.tile_delta(tile, value, previous, current_language())


def kpi_tiles(current: dict, previous: dict, tiles=OVERVIEW_TILES, columns: int = 8) -> None:
    """Draw the tiles in one row (or ``columns`` per row)."""
    cols = st.columns(columns)
    for i, tile in enumerate(tiles):
        value, before = current.get(tile.key), previous.get(tile.key)
        with cols[i % columns]:
            st.metric(
                t(f"metric.{tile.key}"),
                tile_value(tile, value),
                tile_delta(tile, value, before),
                delta_color="inverse" if tile.lower_is_better else "normal",
                help=t(f"metric_help.{tile.key}"),
                border=True,
                height=TILE_HEIGHT,
            )
