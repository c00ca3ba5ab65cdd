"""Make sure a page runs inside the frame.

Streamlit treats a ``pages/`` folder beside the entry script as a legacy multipage
app until the frame has called ``st.navigation`` once in the process. If the first
request after a start opens a page's URL directly, the page file runs alone. Each
page calls :func:`ensure_frame` first: in that case it switches the process to
``st.navigation`` and reruns, so the frame (sidebar, filters, language) runs.
``python -m ui.serve`` sets the same flag before the server starts.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_frame() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
