"""One place where deck.gl maps are drawn, so the browser benchmark can leave them out.

``GRIDSCOPE_HIDE_MAPS=1`` (set only by ``python -m analytics.bench.browser --hide-maps``) draws an empty box of the
same height instead of the map: the benchmark reports the map's share of a page's browser time apart, because the
benchmark's browser draws WebGL in software while a leader's PC has a GPU.
"""

from __future__ import annotations

import os

import streamlit as st

from ui.i18n import t


def deck_chart(deck, height: int, **kwargs):
    """``st.pydeck_chart(deck, height=height, **kwargs)``, or a placeholder while maps are hidden."""
    if os.environ.get("GRIDSCOPE_HIDE_MAPS") == "1":
        st.container(height=height, border=True).caption(t("bench.map_hidden"))
        return None
    return st.pydeck_chart(deck, height=height, **kwargs)
