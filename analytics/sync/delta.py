"""The tables of a delta generation (a status file per run, a data file, a *layer*, per change) and the
identity of the base it belongs to."""

from __future__ import annotations

import hashlib

import duckdb

from analytics.schema import TABLES_SQL

SYNC_LOG_COLUMNS = (
    "run_id",
    "started_at",
    "finished_at",
    "source",
    "rows_read",
    "rows_changed",
    "rows_rejected",
    "rows_deleted",
    "watermark",
    "seconds",
    "error",
)
SYNC_LOG_SQL = """
    CREATE TABLE sync_log (
        run_id BIGINT,
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        source TEXT,
        rows_read BIGINT,
        rows_changed BIGINT,
        rows_rejected BIGINT,
        rows_deleted BIGINT,
        watermark TEXT,
        seconds DOUBLE,
        error TEXT
    )"""
# The data file of a delta (written only when a run changes something) ...
DATA_SQL = (
    TABLES_SQL["cases"].replace("PRIMARY KEY", ""),
    "CREATE TABLE removed (case_id TEXT)",
    "CREATE TABLE touched (case_id TEXT)",
    TABLES_SQL["rejects"],
    "CREATE TABLE meta (key TEXT, value TEXT)",
    TABLES_SQL["case_terms"],
    "CREATE TABLE terms_touched (case_id TEXT)",
)
# ... and the status file every run writes (its log and its state, which names the data file).
STATUS_SQL = (SYNC_LOG_SQL, "CREATE TABLE sync_state (key TEXT, value TEXT)")
# An empty sync_log for databases that were never synced, with the same columns and types.
EMPTY_SYNC_LOG_SQL = (
    "SELECT NULL::BIGINT AS run_id, NULL::TIMESTAMP AS started_at, NULL::TIMESTAMP AS finished_at, "
    "NULL::TEXT AS source, NULL::BIGINT AS rows_read, NULL::BIGINT AS rows_changed, "
    "NULL::BIGINT AS rows_rejected, NULL::BIGINT AS rows_deleted, NULL::TEXT AS watermark, "
    "NULL::DOUBLE AS seconds, NULL::TEXT AS error WHERE false"
)


def create_tables(con: duckdb.DuckDBPyConnection, ddls: tuple[str, ...], catalog: str) -> None:
    """Create the empty tables ``ddls`` in the attached database ``catalog`` (our own alias)."""
    prefix = "CREATE TEMP TABLE " if catalog == "temp" else f"CREATE TABLE {catalog}."
    for ddl in ddls:
        con.execute(ddl.replace("CREATE TABLE ", prefix, 1))


def base_identity(meta: dict[str, str]) -> str:
    """Who the base is: its ``build_id`` when recorded, else a digest of when and from what it was built.

    A delta made on top of one base is ignored on top of any other (after an ``import`` or a new demo).
    """
    if meta.get("build_id"):
        return meta["build_id"]
    text = "|".join(meta.get(k, "") for k in ("dataset", "loaded_at", "source_files", "data_start", "data_end"))
    return "digest:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def read_state(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, str]:
    """The ``sync_state`` of an attached generation (``catalog`` is our own alias, never user input)."""
    return dict(con.execute(f"SELECT key, value FROM {catalog}.sync_state").fetchall())
