"""The canonical tables of ``shared/spec/data-model.md`` as DuckDB DDL.

The names here are the contract every source lands in; add columns freely,
never rename them.
"""

from __future__ import annotations

import duckdb

SCHEMA_VERSION = "1"

TABLES_SQL: dict[str, str] = {
    "grids": """
        CREATE TABLE grids (
            grid_id TEXT PRIMARY KEY,
            grid_name TEXT,
            community_id TEXT, community_name TEXT,
            street_id TEXT, street_name TEXT,
            district_id TEXT, district_name TEXT,
            population INTEGER, households INTEGER,
            elderly INTEGER, children INTEGER,
            area_km2 DOUBLE,
            centroid_lon DOUBLE, centroid_lat DOUBLE,
            geometry TEXT
        )""",
    "cases": """
        CREATE TABLE cases (
            case_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            category_code TEXT, category_name TEXT, category_major TEXT,
            source TEXT,
            grid_id TEXT,
            lon DOUBLE, lat DOUBLE,
            location_flag TEXT,
            reported_at TIMESTAMP NOT NULL,
            filed_at TIMESTAMP,
            dispatched_at TIMESTAMP,
            handled_at TIMESTAMP,
            closed_at TIMESTAMP,
            due_at TIMESTAMP,
            status TEXT,
            department TEXT,
            reporter_worker_id TEXT,
            self_handled BOOLEAN,
            rework_count INTEGER,
            redispatch_count INTEGER,
            updated_at TIMESTAMP,
            resolution_level TEXT,
            callback_valid BOOLEAN,
            callback_contacted BOOLEAN,
            callback_solved BOOLEAN,
            satisfaction TEXT,
            quality_flags TEXT,
            description TEXT
        )""",
    "workers": """
        CREATE TABLE workers (
            worker_id TEXT PRIMARY KEY,
            grid_id TEXT,
            role TEXT,
            full_time BOOLEAN
        )""",
    "departments": """
        CREATE TABLE departments (
            department TEXT PRIMARY KEY,
            department_name TEXT,
            department_name_en TEXT
        )""",
    "categories": """
        CREATE TABLE categories (
            kind TEXT,
            category_code TEXT,
            category_name TEXT,
            category_major TEXT,
            deadline_hours DOUBLE,
            deadline_basis TEXT,
            category_name_en TEXT,
            category_major_en TEXT
        )""",
    "rejects": """
        CREATE TABLE rejects (
            source TEXT,
            row_number BIGINT,
            reason TEXT,
            raw TEXT
        )""",
    "meta": """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT
        )""",
    "signals": """
        CREATE TABLE signals (
            signal TEXT,
            subject_type TEXT,
            subject_id TEXT,
            start_date DATE,
            end_date DATE,
            detail TEXT
        )""",
    "case_terms": """
        CREATE TABLE case_terms (
            case_id TEXT,
            reported_at TIMESTAMP,
            term TEXT
        )""",
}


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every canonical table (empty) and record the schema version.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> create_schema(con)
    >>> con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    '1'
    """
    for ddl in TABLES_SQL.values():
        con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', $v)", {"v": SCHEMA_VERSION})


def write_meta(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    """Insert or replace ``meta`` entries."""
    for key, value in values.items():
        con.execute("DELETE FROM meta WHERE key = $k", {"k": key})
        con.execute("INSERT INTO meta VALUES ($k, $v)", {"k": key, "v": str(value)})
