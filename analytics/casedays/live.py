"""``case_days`` on a live connection (:mod:`analytics.sync.live`): the base file's table corrected for the delta.

A live connection's ``cases`` are the base's cases but those the delta touches (changes or removes), plus the
delta's own. Its ``case_days`` is therefore the base's table plus a *correction*: the case-day counts of the
delta's cases minus those of the versions they replace. Every count of the table is a sum, so the corrected
view sums to exactly what the table built from the live ``cases`` would hold.

The correction is written by the writers, not computed by the readers: each sync layer of up to ``[sync]
correction_rows`` cases (:mod:`analytics.sync.layers`) stores its own (``case_days_delta``: its new rows counted
``+1``, the versions they replace ``-1``, only the non-zero rows), computed when the run has both at hand;
compaction sums them. The corrections of consecutive layers add up to the delta's, so a reader opening a new
generation unions small tables instead of counting the whole delta again (that took ~9 s per generation after a
1M-row change, however small the newest sync). A bulk change above the limit is published without it and
compacted right after (the compacted layer stores the delta's count). When a layer lacks its correction (that
bulk layer until then, layers written before this, another dispute window) the reader counts the whole delta
when it opens.
"""

from __future__ import annotations

import duckdb

from analytics.casedays.build import COLUMNS, META_CASES, META_DISPUTE_DAYS, TABLE, case_days_sql, has_every_column

CORRECTION = "case_days_delta"  # in a layer: its own correction; on a live connection: the delta's
BASIS = "case_days_basis"  # in a layer: the dispute window its correction was counted with
# The columns of cases that case_days reads (tests/test_casedays.py checks that no other is needed).
NEEDED = (
    "case_id",
    "grid_id",
    "kind",
    "status",
    "reported_at",
    "filed_at",
    "due_at",
    "closed_at",
    "resolution_level",
    "reporter_worker_id",
    "rework_count",
    "callback_valid",
    "callback_contacted",
    "callback_solved",
    "satisfaction",
)
BASE_TOUCHED = "(SELECT * FROM base.main.cases b WHERE b.case_id IN (SELECT case_id FROM delta.touched))"
NONZERO = " OR ".join(f"{name} <> 0" for name in COLUMNS)


def change_sql(new: str, old: str, dispute_days: int) -> str:
    """The non-zero ``case_days`` rows that turn the counts of the cases ``old`` into those of ``new`` (tables
    or parenthesized queries with the columns :data:`NEEDED`), in one pass over both."""
    columns = ", ".join(NEEDED)
    signed = f"(SELECT {columns}, 1::TINYINT AS _w FROM {new} UNION ALL SELECT {columns}, -1::TINYINT FROM {old})"
    return f"SELECT * FROM ({case_days_sql(signed, dispute_days, weight='_w')}) WHERE {NONZERO}"


def base_dispute_days(con: duckdb.DuckDBPyConnection, base_meta: dict[str, str]) -> int | None:
    """The dispute window of the attached ``base``'s ``case_days`` when it can be corrected and read; None when
    it has none, one built by an older GridScope (rebuild: python -m analytics.casedays) or a stale one."""
    has = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'base' AND schema_name = 'main'"
        " AND table_name = $t",
        {"t": TABLE},
    ).fetchone()[0]
    if not has or META_DISPUTE_DAYS not in base_meta or not has_every_column(con, "base"):
        return None
    if str(con.execute("SELECT count(*) FROM base.main.cases").fetchone()[0]) != base_meta.get(META_CASES):
        return None  # cases written without rebuilding the table: stale
    return int(base_meta[META_DISPUTE_DAYS])


def _base_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM base.main.meta").fetchall())


def write_layer_correction(con: duckdb.DuckDBPyConnection, catalog: str, previous: str, most: int) -> bool:
    """Store in the layer being written (attached as ``catalog``, its ``cases`` and ``touched`` filled) its
    correction against ``previous`` (the live cases before it: a view or table of ``con``).

    Nothing when the base has no usable ``case_days``, or when the layer touches more than ``most`` cases: counting
    both versions of a million changed cases doubled a sync's CPU seconds, so a bulk change is published at once
    and counted right after it (:func:`analytics.sync.compact.compact_locked`; until then readers count it when
    they open). Returns True in that last case: the layer needs its correction counted.
    """
    days = base_dispute_days(con, _base_meta(con))
    if days is None:
        return False
    if con.execute(f"SELECT count(*) FROM {catalog}.touched").fetchone()[0] > most:
        return True
    old = f"(SELECT * FROM {previous} p WHERE p.case_id IN (SELECT case_id FROM {catalog}.touched))"
    con.execute(f"CREATE TABLE {catalog}.{CORRECTION} AS {change_sql(f'{catalog}.cases', old, days)}")
    con.execute(f"CREATE TABLE {catalog}.{BASIS} AS SELECT {days}::INTEGER AS dispute_days")
    return False


def stored_layers(con: duckdb.DuckDBPyConnection, dispute_days: int) -> list[str] | None:
    """The attached layers (``layer_0 …``, :func:`analytics.sync.layers.attach_layers`) when every one stores
    a correction counted with ``dispute_days``; None otherwise."""
    layers = [
        name
        for (name,) in con.execute(
            "SELECT database_name FROM duckdb_databases() WHERE regexp_matches(database_name, '^layer_[0-9]+$')"
        ).fetchall()
    ]
    with_both = con.execute(
        "SELECT database_name FROM duckdb_tables() WHERE regexp_matches(database_name, '^layer_[0-9]+$') "
        "AND table_name IN ($c, $b) GROUP BY database_name HAVING count(DISTINCT table_name) = 2",
        {"c": CORRECTION, "b": BASIS},
    ).fetchall()
    if not layers or len(with_both) != len(layers):
        return None
    for name in layers:
        if con.execute(f"SELECT min(dispute_days), max(dispute_days) FROM {name}.{BASIS}").fetchone() != (
            dispute_days,
            dispute_days,
        ):
            return None
    return sorted(layers, key=lambda name: int(name.split("_")[1]))


def _stored_union(layers: list[str]) -> str:
    return " UNION ALL ".join(f"SELECT * FROM {name}.{CORRECTION}" for name in layers)


def merged_correction_sql(con: duckdb.DuckDBPyConnection) -> tuple[str, int] | None:
    """For compaction: the query of the delta's whole correction (the layers' stored ones summed, or counted
    from the delta when one lacks it) and its dispute window; None when the base has no usable table."""
    days = base_dispute_days(con, _base_meta(con))
    if days is None:
        return None
    layers = stored_layers(con, days)
    if layers is None:
        return change_sql("delta.cases", BASE_TOUCHED, days), days
    sums = ", ".join(f"sum({name})::BIGINT AS {name}" for name in COLUMNS)
    summed = f"SELECT grid_id, kind, day, {sums} FROM ({_stored_union(layers)}) GROUP BY grid_id, kind, day"
    return f"SELECT * FROM ({summed}) WHERE {NONZERO}", days


def define(con: duckdb.DuckDBPyConnection, base_meta: dict[str, str], with_delta: bool) -> bool:
    """Create the view ``case_days`` of a live connection; False (no view: readers use ``cases``) when the base
    has no such table or it no longer matches the base's cases."""
    days = base_dispute_days(con, base_meta)
    if days is None:
        return False
    if not with_delta:
        con.execute(f"CREATE VIEW {TABLE} AS SELECT * FROM base.main.{TABLE}")
        return True
    layers = stored_layers(con, days)
    if layers is not None:  # the writers counted it: read their small tables
        con.execute(f"CREATE VIEW {CORRECTION} AS {_stored_union(layers)}")
    else:  # layers written before corrections were stored: count the whole delta once, now
        con.execute(f"CREATE TABLE {CORRECTION} AS {change_sql('delta.cases', BASE_TOUCHED, days)}")
    con.execute(f"CREATE VIEW {TABLE} AS SELECT * FROM base.main.{TABLE} UNION ALL SELECT * FROM {CORRECTION}")
    return True


def out_of_order_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many of the connection's cases have their times out of order (from its ``case_days`` view)."""
    return int(con.execute(f"SELECT coalesce(sum(out_of_order), 0) FROM {TABLE}").fetchone()[0])
