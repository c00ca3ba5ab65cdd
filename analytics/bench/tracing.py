"""A DuckDB timing shim installed by the benchmark only: the sum of raw query time per page run.

:func:`install` replaces ``analytics.store.connect_read_only`` so that the app's one cached
connection is a :class:`TracedConnection`. Every ``execute`` and every fetch (``fetchone``,
``fetchall``, ``df``, ...) is timed and added to :data:`LEDGER`; the page code is untouched.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

FETCHES = (
    "fetchone",
    "fetchall",
    "fetchmany",
    "df",
    "fetchdf",
    "fetch_df",
    "fetchnumpy",
    "arrow",
    "fetch_arrow_table",
    "pl",
)


@dataclass
class Ledger:
    """Accumulated query time (seconds) and query count, safe across the script-runner thread."""

    seconds: float = 0.0
    queries: int = 0
    statements: dict[str, float] = field(default_factory=dict)  # SQL text -> execute + fetch seconds
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, sql: str, fetch: bool = False) -> None:
        with self.lock:
            self.seconds += seconds
            self.queries += 0 if fetch else 1
            self.statements[sql] = self.statements.get(sql, 0.0) + seconds

    def reset(self) -> None:
        with self.lock:
            self.seconds, self.queries, self.statements = 0.0, 0, {}

    def slowest(self, count: int = 8, width: int = 160) -> list[dict]:
        """The statements that took longest (whitespace collapsed, cut to ``width`` characters)."""
        ranked = sorted(self.statements.items(), key=lambda item: item[1], reverse=True)[:count]
        return [{"seconds": round(sec, 4), "sql": " ".join(sql.split())[:width]} for sql, sec in ranked]


LEDGER = Ledger()


class TracedConnection:
    """Wraps a DuckDB connection or cursor; the SQL-running calls are timed, everything else is passed on."""

    def __init__(self, inner, ledger: Ledger = LEDGER) -> None:
        self._inner = inner
        self._ledger = ledger
        self._sql = "<none>"

    def cursor(self) -> TracedConnection:
        return TracedConnection(self._inner.cursor(), self._ledger)

    def execute(self, sql, *args, **kwargs) -> TracedConnection:
        self._sql = str(sql)
        began = time.perf_counter()
        try:
            self._inner.execute(sql, *args, **kwargs)
        finally:
            self._ledger.add(time.perf_counter() - began, self._sql)
        return self

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name not in FETCHES:
            return attr

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._ledger.add(time.perf_counter() - began, self._sql, fetch=True)

        return timed


def install(ledger: Ledger = LEDGER) -> None:
    """Make every read-only connection the app opens a traced one: those opened through ``analytics.store``
    and the live connections (base file plus sync delta) of :mod:`analytics.sync.live`, which the app's
    loaders use."""
    from analytics import store
    from analytics.sync import live

    for module, name in ((store, "connect_read_only"), (live, "open_live")):
        original = getattr(getattr(module, name), "__wrapped__", getattr(module, name))

        def traced(path, _original=original):
            con = _original(path)  # store's opener calls live's: wrap once
            return con if isinstance(con, TracedConnection) else TracedConnection(con, ledger)

        traced.__wrapped__ = original
        setattr(module, name, traced)
