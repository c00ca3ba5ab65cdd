"""Warm a new server process before its first visitor: load the code the pages need and open the data.

A new Streamlit process loads a page's modules (pandas, plotly, pydeck, scikit-learn, PySAL, jieba's
part-of-speech model for name masking, …) and opens the database (the live reader, the out-of-order
cases it keeps apart) only when the first visitor asks for a page: that visitor waits seconds longer
than anyone after them. :func:`start` does this work in a background thread as soon as the server
starts (``python -m ui.serve``, which ``scripts/run.sh`` uses), so the first visit after a start costs
what any new session costs. It reads nothing a user could not see later and caches no per-user
result: only code, the connection every session shares, and jieba's dictionaries.

``[startup] warm_up = true`` turns it on. It is off by default: measured in Chromium on the 1M city
(``python -m analytics.bench.warm``, docs/performance.md), the overview's first visit 20 s after a start was
not faster with it (the browser and the first queries dominate, not loading code); what it saves is the
late loads of other pages (jieba's name model: 2.2 s idle before a profile's first case list).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from pathlib import Path

LOG = logging.getLogger("gridscope")
UI = Path(__file__).resolve().parent
SERVER_WAIT_SECONDS = 30

# Modules the pages import beyond the frame's: every ``ui/*_parts.py`` (found, so that a new page's
# parts are warmed too) and the libraries they import inside functions.
LIBRARIES = (
    "ui.maps",
    "ui.charts",
    "ui.vega",
    "ui.insight_data",
    "analytics.hotspot_report",
    "analytics.repeats.rates",
    "analytics.trends",
    "analytics.coverage",
    "analytics.basemap",
    "esda",  # the hotspot page's permutation inference (up to 2,000 areas: every demo and district city)
    "libpysal.weights",
)


def modules() -> list[str]:
    """The modules :func:`warm` imports: every page-parts module of ``ui/``, then :data:`LIBRARIES`."""
    parts = sorted(f"ui.{p.stem}" for p in UI.glob("*_parts.py"))
    return [*parts, *LIBRARIES]


def warm(names: list[str] | None = None) -> dict[str, float]:
    """Import ``names`` (default :func:`modules`), load jieba's part-of-speech model and open the app's
    connection; return the seconds each step took. A step that fails is logged and skipped: the visitor's
    own request will meet (and show) the same problem with its usual message."""
    timings: dict[str, float] = {}

    def step(name: str, work) -> None:
        began = time.perf_counter()
        try:
            work()
        except Exception as exc:  # noqa: BLE001 — warming must never stop the server
            LOG.warning("warm-up: %s failed: %s", name, exc)
            return
        timings[name] = round(time.perf_counter() - began, 3)

    for name in names if names is not None else modules():
        step(name, lambda name=name: importlib.import_module(name))
    step("name masking model", _name_model)
    step("connection", _connection)
    return timings


def _name_model() -> None:
    from analytics.privacy_names import _segment

    _segment("张三反映")  # loads jieba and its part-of-speech model, under the module's own lock


def _connection() -> None:
    from ui import data

    data.connection().cursor().execute("SELECT count(*) FROM grids").fetchone()


def enabled(cfg: dict) -> bool:
    return bool(cfg.get("startup", {}).get("warm_up", False))


def start(cfg: dict) -> threading.Thread | None:
    """Warm in a daemon thread (returned) once the Streamlit server runs, or do nothing unless
    ``[startup] warm_up`` is true."""
    if not enabled(cfg):
        return None

    def run() -> None:
        from streamlit.runtime import Runtime

        waited = time.monotonic() + SERVER_WAIT_SECONDS
        while not Runtime.exists() and time.monotonic() < waited:  # let the server start first
            time.sleep(0.1)
        began = time.perf_counter()
        timings = warm()
        LOG.info("warm-up done in %.1f s: %s", time.perf_counter() - began, timings)

    thread = threading.Thread(target=run, name="gridscope-warm-up", daemon=True)
    thread.start()
    return thread
