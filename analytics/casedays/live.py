"""``case_days`` on a live connection (:mod:`analytics.sync.live`): the base file's table corrected for the delta.

A live connection's ``cases`` are the base's cases but those the delta touches (changes or removes), plus the
delta's own. Its ``case_days`` is therefore the base's table, minus the case-day counts of the base's touched
cases, plus those of the delta's cases: both read once when the connection opens (a sync publishes a new
connection), kept in its in-memory catalog. Every count of the table is a sum, so the corrected view sums to
exactly what the table built from the live ``cases`` would hold.
"""

from __future__ import annotations

import duckdb

from analytics.casedays.build import META_CASES, META_DISPUTE_DAYS, TABLE, case_days_sql, has_every_column

CORRECTION = "case_days_delta"
BASE_TOUCHED = "(SELECT * FROM base.main.cases b WHERE b.case_id IN (SELECT case_id FROM delta.touched))"


def define(con: duckdb.DuckDBPyConnection, base_meta: dict[str, str], with_delta: bool) -> bool:
    """Create the view ``case_days`` of a live connection; False (no view: readers use ``cases``) when the base
    has no such table or it no longer matches the base's cases."""
    has = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'base' AND schema_name = 'main'"
        " AND table_name = $t",
        {"t": TABLE},
    ).fetchone()[0]
    if not has or META_DISPUTE_DAYS not in base_meta or not has_every_column(con, "base"):
        return False  # none, or one built by an older GridScope (rebuild: python -m analytics.casedays)
    if str(con.execute("SELECT count(*) FROM base.main.cases").fetchone()[0]) != base_meta.get(META_CASES):
        return False  # cases written without rebuilding the table: stale
    if not with_delta:
        con.execute(f"CREATE VIEW {TABLE} AS SELECT * FROM base.main.{TABLE}")
        return True
    days = int(base_meta[META_DISPUTE_DAYS])
    con.execute(
        f"CREATE TABLE {CORRECTION} AS {case_days_sql('delta.cases', days)}\n"
        f"UNION ALL {case_days_sql(BASE_TOUCHED, days, sign=-1)}"
    )
    con.execute(f"CREATE VIEW {TABLE} AS SELECT * FROM base.main.{TABLE} UNION ALL SELECT * FROM {CORRECTION}")
    return True


def out_of_order_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many of the connection's cases have their times out of order (from its ``case_days`` view)."""
    return int(con.execute(f"SELECT coalesce(sum(out_of_order), 0) FROM {TABLE}").fetchone()[0])
