"""Where the database is, and how it is opened.

A command uses its ``--db`` argument when given; otherwise ``GRIDSCOPE_DB``;
else the default file under ``data/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DB = DATA_DIR / "gridscope.duckdb"
ENV_VAR = "GRIDSCOPE_DB"


class StoreError(RuntimeError):
    """The database is missing, unreadable or not a GridScope store."""


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """Resolve the database path: explicit argument, then ``GRIDSCOPE_DB``, then the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_DB


def connect_read_only(path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """Open a GridScope database read-only, with its sync delta; raise :class:`StoreError` with a clear message.

    The connection sees ``cases`` as the file's cases replaced by the current sync delta
    (:func:`analytics.sync.live.open_live`); without a sync it sees the file as it is.
    """
    from analytics.sync.live import open_live

    return open_live(path)


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """All ``meta`` entries as a dict."""
    return dict(con.execute("SELECT key, value FROM meta").fetchall())
