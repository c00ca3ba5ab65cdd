"""KPI tiles with the change against the previous equal period."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui.i18n import fmt_metric, t


@dataclass(frozen=True)
class Tile:
    key: str  # metric name in the report object
    kind: str  # "count", "rate" or "hours"
    lower_is_better: bool = False


TILE_HEIGHT = 150

OVERVIEW_TILES = (
    Tile("reported", "count"),
    Tile("closure_rate", "rate"),
    Tile("on_time_closure_rate", "rate"),
    Tile("median_handling_hours", "hours", lower_is_better=True),
    Tile("satisfaction_rate", "rate"),
    Tile("open_overdue", "count", lower_is_better=True),
    Tile("local_resolution_rate", "rate"),
    Tile("response_rate", "rate"),
)


def tile_value(tile: Tile, value) -> str:
    return fmt_metric(tile.key, value)


def tile_delta(tile: Tile, value, previous) -> str | None:
    """Change against the previous period: percentage points for rates, relative change otherwise."""
    if value is None or previous is None:
        return None
    if tile.kind == "rate":
        return t("delta.points", value=f"{(value - previous) * 100:+.1f}")
    if previous == 0:
        return None
    return f"{(value - previous) / previous * 100:+.1f}%"


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
