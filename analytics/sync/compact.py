"""Compaction: the layers of a delta merged into one, published as a new generation like a sync.

A sync adds a small layer (:mod:`analytics.sync.layers`); once a generation has more than ``[sync]
max_layers`` of them, or when its newest layer is a bulk change published without its case-day correction
(:mod:`analytics.casedays.live`), the sync that made it merges them right after publishing (its own data
already serves; the next run waits for it). The merged layer is written under
a temporary name and published through the ``CURRENT`` pointer exactly as a sync run is, so readers
keep reading the previous generation until the switch and a process killed meanwhile leaves it current.
The log (``sync_log``) and the watermark are carried over unchanged; no run is added.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb

from analytics.casedays.live import BASIS, CORRECTION, merged_correction_sql
from analytics.layout import ORDER_BY_SQL
from analytics.sync import generations
from analytics.sync.delta import STATUS_SQL, base_identity, create_tables
from analytics.sync.layers import compact_sql, layer_files, write_data
from analytics.sync.live import _lit, attach_generation


def _merge(con: duckdb.DuckDBPyConnection) -> None:
    for statement in compact_sql(ORDER_BY_SQL):
        con.execute(statement)
    has_terms = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE database_name = 'delta' AND view_name = 'case_terms'"
    ).fetchone()[0]
    if has_terms:
        con.execute("INSERT INTO nextdata.case_terms SELECT * FROM delta.case_terms ORDER BY reported_at, case_id")
    correction = merged_correction_sql(con)
    if correction is not None:
        sql, days = correction
        con.execute(f"CREATE TABLE nextdata.{CORRECTION} AS {sql}")
        con.execute(f"CREATE TABLE nextdata.{BASIS} AS SELECT {int(days)}::INTEGER AS dispute_days")


def compact_locked(
    db: str | os.PathLike, options, log: Callable[[str], None] | None = None, force: bool = False
) -> int:
    """Merge the current generation's layers into one and publish it (the caller holds the writer lock).

    ``options`` is a :class:`analytics.sync.run.SyncOptions` (``keep_generations``, ``memory_limit``).
    Returns the number of layers merged (0: nothing to do, one layer or none). ``force`` rewrites even one
    layer: a bulk change published without its case-day correction gets it stored.
    """
    db = Path(db)
    current = generations.current(db)
    number = generations.number_of(current) + 1
    final = generations.live_dir(db) / generations.gen_name(number)
    temporary = generations.temp_for(final)
    con = duckdb.connect(config={"memory_limit": options.memory_limit})
    try:
        con.execute(f"ATTACH {_lit(str(db))} AS base (READ_ONLY)")
        base_id = base_identity(dict(con.execute("SELECT key, value FROM base.main.meta").fetchall()))
        state = attach_generation(con, current, base_id) or {}
        merged = len(layer_files(state))
        if merged < (1 if force else 2):
            return 0
        layer = write_data(con, db, number, _merge)
        new_state = {**state, "data_files": layer, "generation": str(number)}
        new_state.pop("data_file", None)
        new_state["data_version"] = str(int(state.get("data_version", "0")) + 1)
        con.execute(f"ATTACH {_lit(str(temporary))} AS nextstatus")
        create_tables(con, STATUS_SQL, "nextstatus")
        con.execute("INSERT INTO nextstatus.sync_log SELECT * FROM status.sync_log")
        con.executemany("INSERT INTO nextstatus.sync_state VALUES (?, ?)", sorted(new_state.items()))
        con.execute("CHECKPOINT nextstatus")
        con.execute("DETACH nextstatus")
    finally:
        con.close()
    generations.publish(db, temporary, final, options.keep_generations, f"{base_id}:{new_state['data_version']}")
    (log or (lambda line: None))(f"sync: generation {number}: {merged} layers compacted into {layer}")
    return merged


def compact(db: str | os.PathLike, options, log: Callable[[str], None] | None = None) -> int:
    """:func:`compact_locked` under the writer lock (raises :class:`generations.SyncBusy` when a sync runs)."""
    with generations.writer_lock(db):
        return compact_locked(db, options, log)
