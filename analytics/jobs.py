"""Heavy analyses run in worker processes that read the data themselves.

A city-wide repeat analysis, like training the dispatch model, is minutes of Python at 20 M cases. Run in a
thread of the web server it held the interpreter lock for those minutes, and every session's script, drawing
and websocket messages waited for it
(docs/performance.md, ninth pass: a new session of the profile page at 20 M drew its first text after 3 s, the
floor's after 1.2 s). A worker process has its own interpreter: the server goes on as if nothing ran.

:func:`run` is what a worker executes: it opens the data at ``db`` as the app does (the base file and the current
sync delta, :class:`analytics.sync.live.LiveConnections`), keeps that connection until the data changes, applies the
caller's scope enforcement and calls one of :data:`JOBS` by name.
"""

from __future__ import annotations

import os
import threading
import time

import duckdb

from analytics.filters import enforce_scope
from analytics.repeats import rates
from analytics.sync.live import LiveConnections


def dispatch_model(con: duckdb.DuckDBPyConnection, db: str, cfg: dict) -> str | None:
    """Train the dispatch model of the database at ``db`` and store it beside it, unless a current one is stored
    (:func:`analytics.dispatch.service.ensure_model`); None when done, else why there is none. The model itself
    stays on disk: the server loads it from there."""
    from analytics.dispatch import service

    try:
        service.ensure_model(db, con, cfg)
    except ValueError as exc:  # ModelError and "no cases"
        return str(exc)
    return None


JOBS = {
    "repeats": rates.repeats,
    "rebounds": rates.rebounds,
    "repeat_rates": rates.repeat_rates,
    "dispatch_model": dispatch_model,
}
NICE = 10  # a worker's CPU priority below the server's, so the pages drawn meanwhile go first

_LIVE = LiveConnections()  # this worker's connection, opened anew once a sync or an import changed the data


def start_worker(parent: int, every: float = 1.0) -> None:
    """A worker's initializer: its CPU priority lowered by :data:`NICE`, and it ends itself once the server
    ``parent`` (its process id, given by the server) is gone, also when it went before this worker started (a
    worker outlives a killed parent otherwise, holding its gigabytes)."""
    try:
        os.nice(NICE)
    except (AttributeError, OSError):  # not on this system, or not allowed
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="gridscope-parent-watch", daemon=True).start()


def run(db: str | os.PathLike, name: str, args: tuple, enforced: bool):
    """``JOBS[name](connection, *args)`` on the data at ``db``, with scope enforcement as the caller had it.

    Raises
    ------
    ValueError
        For a name that is not one of :data:`JOBS`.
    """
    if name not in JOBS:
        raise ValueError(f"unknown analysis {name!r}; expected one of {', '.join(sorted(JOBS))}")
    con = _LIVE.get(db, grace=0)[1]  # one job at a time in a worker: the replaced connection closes at once
    enforce_scope(enforced)
    try:
        return JOBS[name](con.cursor(), *args)
    finally:
        enforce_scope(False)
