"""Hand-built fixtures: an in-memory canonical store and a compact way to add cases."""

from __future__ import annotations

import datetime as dt
import itertools

import duckdb
import pandas as pd

from analytics.schema import create_schema

CASE_DEFAULTS = {
    "kind": "incident",
    "category_code": "06010",
    "category_name": "暴露垃圾",
    "category_major": "市容环境类",
    "source": "patrol",
    "grid_id": "G1",
    "lon": None,
    "lat": None,
    "location_flag": None,
    "reported_at": None,
    "filed_at": None,
    "dispatched_at": None,
    "handled_at": None,
    "closed_at": None,
    "due_at": None,
    "status": "filed",
    "department": None,
    "reporter_worker_id": None,
    "self_handled": False,
    "rework_count": 0,
    "resolution_level": None,
    "callback_valid": None,
    "callback_contacted": None,
    "callback_solved": None,
    "satisfaction": None,
    "quality_flags": None,
    "description": None,
}
_ids = itertools.count(1)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def empty_store(grids: list[dict] | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory store with the canonical schema and the given grids (default: G1 and G2)."""
    con = duckdb.connect()
    create_schema(con)
    grids = grids or [
        {
            "grid_id": "G1",
            "grid_name": "一网格",
            "community_id": "C1",
            "community_name": "一社区",
            "street_id": "S1",
            "street_name": "一街道",
            "district_id": "D1",
            "district_name": "一区",
            "population": 2000,
        },
        {
            "grid_id": "G2",
            "grid_name": "二网格",
            "community_id": "C1",
            "community_name": "一社区",
            "street_id": "S1",
            "street_name": "一街道",
            "district_id": "D1",
            "district_name": "一区",
            "population": 1000,
        },
    ]
    frame = pd.DataFrame(grids)  # noqa: F841 (read by DuckDB by name below)
    con.execute("INSERT INTO grids BY NAME SELECT * FROM frame")
    return con


def add_cases(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Insert cases; omitted columns take :data:`CASE_DEFAULTS`, ids are generated, times may be ISO text."""
    records = []
    for row in rows:
        rec = {**CASE_DEFAULTS, "case_id": f"K{next(_ids)}", **row}
        for key in ("reported_at", "filed_at", "dispatched_at", "handled_at", "closed_at", "due_at"):
            if isinstance(rec[key], str):
                rec[key] = ts(rec[key])
        if rec["filed_at"] is None and rec["status"] != "cancelled":
            rec["filed_at"] = rec["reported_at"]
        records.append(rec)
    frame = pd.DataFrame(records)
    for key in ("reported_at", "filed_at", "dispatched_at", "handled_at", "closed_at", "due_at"):
        frame[key] = pd.to_datetime(frame[key])
    con.execute("INSERT INTO cases BY NAME SELECT * FROM frame")


def first_dispatched_case(db) -> tuple[str, str]:
    """``(case_id, grid_id)`` of the first dispatched case of ``db`` as the app reads it (a daily export's update)."""
    from analytics.sync.live import open_live

    con = open_live(db)
    try:
        return con.execute(
            "SELECT case_id, grid_id FROM cases WHERE status = 'dispatched' ORDER BY case_id LIMIT 1"
        ).fetchone()
    finally:
        con.close()
