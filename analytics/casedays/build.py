"""The ``case_days`` table: additive counts of ``cases`` per grid, kind and day, built by the data's writers.

Every count of :data:`analytics.metrics.AGGREGATES` that adds up over days is kept under the day of the
event it counts: reports under the report day, filings under the filing day, closures (and what is known of
them: on time, rework, call-backs) under the closing day. What is open at a period's end is not an event of
one day, but it is a difference of two: a case is open at ``E`` when it was filed before ``E`` and not
filed-and-closed before ``E`` (``greatest(filed_at, closed_at) < E``), overdue when, in addition, due before
``E`` (``greatest(filed_at, due_at)`` and ``greatest(filed_at, due_at, closed_at)``). Period bounds are
midnights, so ``t < E`` is ``t::DATE < E::DATE`` and the day is exact. Disputes resolved within the dispute
window depend on its length: the table records the length it was built with (``meta``) and is used only
under the same configuration. The medians, the oldest suspended case and the self-handled count (which
needs both the report and the closing time) are not in it: :mod:`analytics.casedays.read` reads them from
``cases`` with narrow queries.
"""

from __future__ import annotations

import argparse
import sys
import time

import duckdb

TABLE = "case_days"
META_DISPUTE_DAYS = "case_days_dispute_days"
META_CASES = "case_days_cases"
KEYS = ("grid_id", "kind", "day")

LIVE = "c.status <> 'cancelled'"
RECEIVED = f"c.kind = 'dispute' AND {LIVE}"
RESOLVED = f"{RECEIVED} AND c.resolution_level IS NOT NULL AND c.closed_at <= c.reported_at + to_days({{days}})"
LEVELS = ("grid", "community", "street", "district")

# day of the event -> {column: predicate over cases aliased c (counted when true)}
EVENTS: dict[str, dict[str, str]] = {
    "c.reported_at::DATE": {
        "reported": "TRUE",
        # closed before reported or filed, filed before reported (analytics.metrics.OUT_OF_ORDER): the live
        # connection copies these apart, and needs no scan of every case to learn that there are none
        "out_of_order": "(c.closed_at < c.reported_at OR c.filed_at < c.reported_at OR c.closed_at < c.filed_at)",
        "worker_reported": f"c.reporter_worker_id IS NOT NULL AND {LIVE}",
        "disputes_received": RECEIVED,
        "disputes_at_midnight": f"{RECEIVED} AND c.reported_at = c.reported_at::DATE::TIMESTAMP",
        "disputes_resolved": RESOLVED,
        "disputes_resolved_local": f"{RESOLVED} AND c.resolution_level IN ('grid', 'community')",
        **{f"disputes_resolved_{level}": f"{RESOLVED} AND c.resolution_level = '{level}'" for level in LEVELS},
    },
    "c.filed_at::DATE": {
        "filed": LIVE,
        "filed_with_deadline": f"{LIVE} AND c.due_at IS NOT NULL",
    },
    "c.closed_at::DATE": {
        "closed": LIVE,
        "closed_on_time": f"{LIVE} AND c.closed_at <= c.due_at",
        "closed_without_deadline": f"{LIVE} AND c.due_at IS NULL",
        "closed_before_reported": f"{LIVE} AND c.closed_at < c.reported_at",
        "negative_handling_time": f"{LIVE} AND c.closed_at < c.filed_at",
        "closed_with_rework": f"{LIVE} AND c.rework_count > 0",
        "valid_callbacks": f"{LIVE} AND c.callback_valid",
        "callbacks_contacted": f"{LIVE} AND c.callback_valid AND c.callback_contacted",
        "callbacks_solved": f"{LIVE} AND c.callback_valid AND c.callback_solved",
    },
    # open at E = filed before E - filed and closed before E (greatest() of DuckDB skips nulls: guarded)
    "greatest(c.filed_at, c.closed_at)::DATE": {
        "filed_closed": f"{LIVE} AND c.filed_at IS NOT NULL AND c.closed_at IS NOT NULL",
        "filed_closed_with_deadline": f"{LIVE} AND c.filed_at IS NOT NULL AND c.closed_at IS NOT NULL"
        " AND c.due_at IS NOT NULL",
    },
    "greatest(c.filed_at, c.due_at)::DATE": {
        "overdue_from": f"{LIVE} AND c.filed_at IS NOT NULL AND c.due_at IS NOT NULL AND c.status <> 'suspended'",
        "suspended_overdue_from": "c.filed_at IS NOT NULL AND c.due_at IS NOT NULL AND c.status = 'suspended'",
    },
    "greatest(c.filed_at, c.due_at, c.closed_at)::DATE": {
        "overdue_until": f"{LIVE} AND c.filed_at IS NOT NULL AND c.due_at IS NOT NULL AND c.closed_at IS NOT NULL"
        " AND c.status <> 'suspended'",
        "suspended_overdue_until": "c.filed_at IS NOT NULL AND c.due_at IS NOT NULL AND c.closed_at IS NOT NULL"
        " AND c.status = 'suspended'",
    },
}
# Closed-day sums that are not counts: satisfaction in whole tenths (as analytics.metrics sums them).
TENTHS = {
    "satisfaction_tenths": (
        "c.closed_at::DATE",
        "CASE c.satisfaction WHEN 'satisfied' THEN 10 WHEN 'basic' THEN 9 ELSE 0 END",
        f"{LIVE} AND c.callback_valid",
    )
}
# What is open at the end of a day: what started (filed, or filed and due) minus what ended by then, per day;
# a period's open backlog is the sum of these over the days before its end.
NETS = {
    "open_net": ("filed", "filed_closed"),
    "open_with_deadline_net": ("filed_with_deadline", "filed_closed_with_deadline"),
    "overdue_net": ("overdue_from", "overdue_until"),
    "suspended_overdue_net": ("suspended_overdue_from", "suspended_overdue_until"),
}
ENDED = {end for _, end in NETS.values()}
STARTED_ONLY = {start for start, _ in NETS.values()} - {"filed"}
COUNTS = tuple(
    name for columns in EVENTS.values() for name in columns if name not in ENDED and name not in STARTED_ONLY
)
COLUMNS = (*COUNTS, *TENTHS, *NETS)


def has_every_column(con: duckdb.DuckDBPyConnection, database: str | None = None) -> bool:
    """Whether ``database``'s (default: the current one's) ``case_days`` has every column this code reads: a
    table built by an older GridScope lacks some, and is then left unused (the plain path) until rebuilt."""
    sql = (
        "SELECT count(DISTINCT column_name) FROM duckdb_columns() WHERE database_name = coalesce($d, current_database())"
        " AND schema_name = 'main' AND table_name = $t AND list_contains($names, column_name)"
    )
    names = [*KEYS, *COLUMNS]
    found = con.cursor().execute(sql, {"d": database, "t": TABLE, "names": names}).fetchone()[0]
    return found == len(names)


def _event_sql(day: str, source: str, dispute_days: int, weight: str | None = None) -> str:
    count = f"sum(c.{weight})" if weight else "count(*)"
    times = f"c.{weight} * " if weight else ""
    sums = [
        f"{count} FILTER (WHERE {pred.format(days=int(dispute_days))}) AS {name}"
        for name, pred in EVENTS.get(day, {}).items()
    ]
    sums += [
        f"sum({times}{value}) FILTER (WHERE {pred}) AS {name}" for name, (d, value, pred) in TENTHS.items() if d == day
    ]
    return (
        f"SELECT c.grid_id, c.kind, {day} AS day, {', '.join(sums)}\n"
        f"FROM {source} c WHERE {day} IS NOT NULL GROUP BY ALL"
    )


def _event_columns(day: str) -> list[str]:
    return [*EVENTS.get(day, {}), *(name for name, (d, _, _) in TENTHS.items() if d == day)]


def case_days_sql(source: str = "cases", dispute_days: int = 30, weight: str | None = None) -> str:
    """The ``case_days`` rows of the cases of ``source`` (a table or parenthesized query).

    With ``weight`` (a column of ``source``, our own name) each case counts as that number instead of one:
    ``+1`` and ``-1`` give the change from the rows of the ``-1`` cases to those of the ``+1`` ones in one pass
    (:mod:`analytics.casedays.live`)."""
    days = list(EVENTS)
    events = ",\n".join(f"e{i} AS ({_event_sql(day, source, dispute_days, weight)})" for i, day in enumerate(days))
    # every key of any event once, and each event's columns joined to it: each column comes from exactly one
    # event, grouped by the same key (a key has at most one value of it); cheaper than one UNION ALL BY NAME
    # of wide, mostly-NULL rows grouped again (0.73-0.84 against 0.88-0.97 CPU s at 1M cases, the same rows)
    keys = " UNION ".join(f"SELECT grid_id, kind, day FROM e{i}" for i in range(len(days)))
    owner = {name: f"e{i}.{name}" for i, day in enumerate(days) for name in _event_columns(day)}
    totals = [f"coalesce({owner[name]}, 0)::BIGINT AS {name}" for name in (*COUNTS, *TENTHS)]
    totals += [
        f"(coalesce({owner[start]}, 0) - coalesce({owner[end]}, 0))::BIGINT AS {name}"
        for name, (start, end) in NETS.items()
    ]
    joins = "\n".join(
        f"LEFT JOIN e{i} ON e{i}.grid_id IS NOT DISTINCT FROM k.grid_id AND e{i}.kind IS NOT DISTINCT FROM k.kind AND e{i}.day = k.day"
        for i in range(len(days))
    )
    return f"WITH {events},\nk AS ({keys})\nSELECT k.grid_id, k.kind, k.day, {', '.join(totals)}\nFROM k\n{joins}"


def configured_dispute_days() -> int:
    """``metrics.dispute_window_days`` of the configuration file, or its default when the file is malformed
    (the table is then built for the default; readers with another window read ``cases``)."""
    from analytics.config import DEFAULTS, ConfigError, load_config

    try:
        return int(load_config()["metrics"]["dispute_window_days"])
    except ConfigError:
        return int(DEFAULTS["metrics"]["dispute_window_days"])


def build(con: duckdb.DuckDBPyConnection, dispute_days: int = 30) -> int:
    """(Re)write ``case_days`` from ``cases`` of ``con`` (writable) and record it in ``meta``; return its rows.

    ``dispute_days`` is the dispute window the counts of resolved disputes use
    (``metrics.dispute_window_days``); readers with another window read ``cases`` instead.
    """
    if int(dispute_days) < 0:
        raise ValueError(f"the dispute window must be 0 days or more, got {dispute_days}")
    # day first (readers filter on it); grid and kind make the order total, so two builds of the same cases
    # write the same rows in the same order (by day alone, rows of one day came in the hash table's order)
    sql = case_days_sql("cases", int(dispute_days))
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS {sql} ORDER BY day, grid_id, kind")
    cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    for key, value in ((META_DISPUTE_DAYS, int(dispute_days)), (META_CASES, cases)):
        con.execute("DELETE FROM meta WHERE key = $key", {"key": key})
        con.execute("INSERT INTO meta VALUES ($key, $value)", {"key": key, "value": str(value)})
    return con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]


def drop(con: duckdb.DuckDBPyConnection) -> None:
    """Remove ``case_days`` and its ``meta`` entries (readers fall back to ``cases``)."""
    con.execute(f"DROP TABLE IF EXISTS {TABLE}")
    con.execute("DELETE FROM meta WHERE key IN ($a, $b)", {"a": META_DISPUTE_DAYS, "b": META_CASES})


def main(argv: list[str] | None = None) -> int:
    """``python -m analytics.casedays --db PATH [--drop]``: add (or rebuild, or drop) ``case_days``."""
    from analytics.store import db_path

    parser = argparse.ArgumentParser(prog="python -m analytics.casedays", description=main.__doc__)
    parser.add_argument("--db", default=None, help="the database (default: GRIDSCOPE_DB or data/)")
    parser.add_argument("--drop", action="store_true", help="remove the table instead")
    args = parser.parse_args(argv)
    path = args.db or str(db_path())
    days = configured_dispute_days()
    started = time.perf_counter()
    try:
        con = duckdb.connect(path)
    except duckdb.Error as exc:
        print(f"cannot open {path} for writing: {exc}", file=sys.stderr)
        return 2
    try:
        if args.drop:
            drop(con)
            print(f"{TABLE} removed from {path}")
        else:
            rows = build(con, days)
            print(f"{TABLE}: {rows:,} rows in {path} ({time.perf_counter() - started:.1f} s)")
    finally:
        con.close()
    return 0
