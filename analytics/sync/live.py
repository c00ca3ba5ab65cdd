"""Reading the base database and its current delta as one: ``cases`` = base cases replaced by the delta.

:func:`open_live` returns an in-memory DuckDB connection that attaches the base file and the current
delta generation read-only and defines views with the canonical names (``cases``, ``meta``,
``rejects``, ``sync_log`` and every other table of the base), so every query of the app and the
commands runs unchanged. Attaching from a fresh in-memory database never reuses an instance that
DuckDB still holds open for the same path, so a replaced file is always read anew.

:class:`LiveConnections` is the app's holder: it opens a new connection when the base file or the
delta pointer changed, and closes the replaced one after a grace period, so that a query already
running on it finishes and the replaced file is released.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb

from analytics.store import StoreError
from analytics.sync import generations
from analytics.sync.delta import EMPTY_SYNC_LOG_SQL, base_identity, read_state
from analytics.sync.layers import attach_layers, layer_files

MERGED = {"cases", "meta", "rejects", "sync_log", "case_terms", "case_days"}


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def token(db: str | os.PathLike) -> tuple:
    """What identifies the data a reader would see now: the base file's identity and the delta's data
    version (a sync that changed nothing publishes a generation with the same version)."""
    path = Path(db)
    try:
        st = path.stat()
    except FileNotFoundError:
        return (str(path), None, None)
    return (str(path), (st.st_ino, st.st_mtime_ns, st.st_size), generations.data_version(path))


NO_GENERATION = str(None)  # the last part of a status token when no sync ever published a generation


def status_token(db: str | os.PathLike) -> tuple:
    """Changes with every published generation (a failed run included) and with the base file."""
    return (*token(db)[:2], str(generations.current(db)))


def attach_generation(con: duckdb.DuckDBPyConnection, generation: Path | None, base_id: str) -> dict | None:
    """Attach a generation's status file as ``status`` and its data layers as ``delta``
    (:mod:`analytics.sync.layers`, read-only); return its state, or None when there is none for this
    base (nothing stays attached then)."""
    if generation is None:
        return None
    try:
        con.execute(f"ATTACH {_lit(str(generation))} AS status (READ_ONLY)")
    except duckdb.Error:  # pruned between reading the pointer and attaching: read without it
        return None
    state = read_state(con, "status")
    if state.get("base_id") != base_id or not attach_layers(con, generation.parent, layer_files(state)):
        con.execute("DETACH status")
        return None
    return state


def _attach_delta(con: duckdb.DuckDBPyConnection, db: Path, base_meta: dict[str, str]) -> bool:
    return attach_generation(con, generations.current(db), base_identity(base_meta)) is not None


def cases_view_sql(with_delta: bool, touched: int) -> str:
    if not with_delta or not touched:
        return "CREATE VIEW cases AS SELECT * FROM base.main.cases" + (
            " UNION ALL BY NAME SELECT * FROM delta.cases" if with_delta else ""
        )
    return (
        "CREATE VIEW cases AS SELECT * FROM base.main.cases b "
        "WHERE NOT EXISTS (SELECT 1 FROM delta.touched d WHERE d.case_id = b.case_id) "
        "UNION ALL BY NAME SELECT * FROM delta.cases"
    )


def _attach_base(db: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, str]]:
    if not db.exists():
        raise StoreError(f"database not found: {db}")
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_lit(str(db))} AS base (READ_ONLY)")
        base_meta = dict(con.execute("SELECT key, value FROM base.main.meta").fetchall())
        con.execute("SELECT value FROM base.main.meta WHERE key = 'schema_version'").fetchone()
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"{db} is not a readable GridScope database: {exc}") from exc
    return con, base_meta


def _status_views(con: duckdb.DuckDBPyConnection, with_delta: bool) -> None:
    if with_delta:
        con.execute(
            "CREATE VIEW meta AS SELECT key, value FROM base.main.meta "
            "WHERE key NOT IN (SELECT key FROM delta.meta) UNION ALL SELECT key, value FROM delta.meta"
        )
        con.execute("CREATE VIEW sync_log AS SELECT * FROM status.sync_log")
    else:
        con.execute("CREATE VIEW meta AS SELECT key, value FROM base.main.meta")
        con.execute(f"CREATE VIEW sync_log AS {EMPTY_SYNC_LOG_SQL}")


def open_status(db: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """``meta`` and ``sync_log`` of the newest generation, even one whose data equals the previous one's
    (the freshness badge and the Data page read every run; the data connection changes only with the data)."""
    con, base_meta = _attach_base(Path(db))
    _status_views(con, _attach_delta(con, Path(db), base_meta))
    return con


def _terms_view(con: duckdb.DuckDBPyConnection, with_delta: bool, base_tables: set[str]) -> None:
    """``case_terms``: the base's terms of cases whose terms the delta leaves alone (a status change
    keeps its case's terms where they are), plus the delta's own."""
    if "case_terms" not in base_tables:
        return
    delta_has = (
        with_delta
        and con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE database_name = 'delta' AND view_name = 'case_terms'"
        ).fetchone()[0]
    )
    if not delta_has:
        con.execute("CREATE VIEW case_terms AS SELECT * FROM base.main.case_terms")
        return
    con.execute(
        "CREATE VIEW case_terms AS SELECT * FROM base.main.case_terms b "
        "WHERE NOT EXISTS (SELECT 1 FROM delta.terms_touched d WHERE d.case_id = b.case_id) "
        "UNION ALL SELECT * FROM delta.case_terms"
    )


def open_live(db: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """The base database at ``db`` with its current delta, read-only (raises :class:`StoreError`)."""
    db = Path(db)
    con, base_meta = _attach_base(db)
    with_delta = _attach_delta(con, db, base_meta)
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'base' AND schema_name = 'main' "
        "UNION SELECT view_name FROM duckdb_views() WHERE database_name = 'base' AND schema_name = 'main' "
        "AND NOT internal"
    ).fetchall()
    for (name,) in names:
        if name not in MERGED:
            quoted = '"' + name.replace('"', '""') + '"'
            con.execute(f"CREATE VIEW {quoted} AS SELECT * FROM base.main.{quoted}")
    touched = con.execute("SELECT count(*) FROM delta.touched").fetchone()[0] if with_delta else 0
    con.execute(cases_view_sql(with_delta, touched))
    _status_views(con, with_delta)
    _terms_view(con, with_delta, {name for (name,) in names})
    if with_delta:
        con.execute("CREATE VIEW rejects AS SELECT * FROM base.main.rejects UNION ALL SELECT * FROM delta.rejects")
    else:
        con.execute("CREATE VIEW rejects AS SELECT * FROM base.main.rejects")
    from analytics.casedays.live import define as define_case_days
    from analytics.casedays.live import out_of_order_count
    from analytics.metrics import is_cube, materialize_out_of_order

    if not is_cube(con):  # a cube's cases are a view over the whole lake: never scanned at open
        # the day counts (corrected for the delta) first: they know how many cases are out of order
        found = out_of_order_count(con) if define_case_days(con, base_meta, with_delta) else None
        materialize_out_of_order(con, found)  # this connection's cases never change: read those cases once
    from analytics.cube.read import mark_unchanging

    mark_unchanging(con)  # its look-ups (coverage, catalog) are asked once per connection from now on
    return con


class LiveConnections:
    """One current live connection per process; a replaced one is closed ``grace`` seconds later.

    Thread-safe: Streamlit runs each session's script in its own thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: tuple | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._timers: list[threading.Timer] = []

    def get(self, db: str | os.PathLike, grace: float) -> tuple[tuple, duckdb.DuckDBPyConnection]:
        """The token and connection of the data at ``db`` now (opening it when it changed)."""
        now = token(db)
        with self._lock:
            if self._con is not None and now == self._token:
                return self._token, self._con
            fresh = open_live(db)
            old, self._con, self._token = self._con, fresh, now
            if old is not None:
                self._retire(old, grace)
            return self._token, self._con

    def _retire(self, con: duckdb.DuckDBPyConnection, grace: float) -> None:
        if grace <= 0:
            con.close()
            return
        timer = threading.Timer(grace, con.close)
        timer.daemon = True
        timer.start()
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]

    def close(self) -> None:
        """Close every connection now (tests, shutdown)."""
        with self._lock:
            for timer in self._timers:
                timer.cancel()
                timer.function()
            self._timers = []
            if self._con is not None:
                self._con.close()
            self._con, self._token = None, None
