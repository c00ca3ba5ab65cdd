"""How fresh the data is: the time it is as of, its age, and a level for the badge on every page.

``green`` (synced within the configured lag), ``amber`` (the last good sync is older than the lag),
``red`` (the last sync failed: the previous data is still shown), ``static`` (never synced: a demo
or an import, as of its build time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

LAST_RUNS_SQL = """
    SELECT (SELECT max(finished_at) FROM sync_log WHERE error IS NULL) AS last_ok,
           (SELECT error FROM sync_log ORDER BY run_id DESC LIMIT 1) AS last_error,
           (SELECT count(*) FROM sync_log) AS runs"""


@dataclass(frozen=True)
class Freshness:
    as_of: dt.datetime | None
    minutes: float | None
    level: str
    error: str | None = None


def sync_status(con: duckdb.DuckDBPyConnection) -> tuple:
    """``(last good sync, last run's error, number of runs, loaded_at)`` of a connection with ``sync_log``
    and ``meta`` (cheap to cache per generation: it does not depend on the time)."""
    cur = con.cursor()
    last_ok, last_error, runs = cur.execute(LAST_RUNS_SQL).fetchone()
    loaded = cur.execute("SELECT value FROM meta WHERE key = 'loaded_at'").fetchone()
    try:
        loaded_at = dt.datetime.fromisoformat(loaded[0]) if loaded else None
    except ValueError:
        loaded_at = None
    return last_ok, last_error, runs, loaded_at


def classify(status: tuple, amber_minutes: float, now: dt.datetime | None = None) -> Freshness:
    """The freshness of a :func:`sync_status` at ``now`` (see the module docstring)."""
    now = now or dt.datetime.now()
    last_ok, last_error, runs, loaded_at = status
    if not runs:
        return Freshness(loaded_at, _minutes(now, loaded_at), "static")
    minutes = _minutes(now, last_ok)
    if last_error:
        level = "red"
    elif minutes is None or minutes > amber_minutes:
        level = "amber"
    else:
        level = "green"
    return Freshness(last_ok, minutes, level, last_error)


def freshness(con: duckdb.DuckDBPyConnection, amber_minutes: float, now: dt.datetime | None = None) -> Freshness:
    """The freshness of the data a live connection reads (see the module docstring).

    Examples
    --------
    >>> from analytics.sync.delta import EMPTY_SYNC_LOG_SQL
    >>> con = duckdb.connect()
    >>> _ = con.execute(f"CREATE VIEW sync_log AS {EMPTY_SYNC_LOG_SQL}")
    >>> _ = con.execute("CREATE TABLE meta AS SELECT 'loaded_at' AS key, '2026-01-01T10:05:00' AS value")
    >>> freshness(con, 30, now=dt.datetime(2026, 1, 1, 10, 8)).level
    'static'
    """
    return classify(sync_status(con), amber_minutes, now)


def _minutes(now: dt.datetime, then: dt.datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds() / 60)
