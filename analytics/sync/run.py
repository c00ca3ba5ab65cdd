"""One sync run: read what changed upstream since the watermark, write the next delta generation.

Every run, failed or not, becomes a generation with its ``sync_log`` row, so the app sees the last
error (freshness red) while it keeps serving the previous data: a failed run carries the previous
generation's data over unchanged and keeps its watermark. A run killed before it publishes leaves the
previous generation current; the next run starts from that generation's watermark.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics.ingest.canonical import prepare
from analytics.ingest.errors import IngestError
from analytics.ingest.load import insert_frame
from analytics.ingest.mapping import Mapping
from analytics.sync import generations
from analytics.sync import source as pg
from analytics.sync.compact import compact_locked
from analytics.sync.compose import compose_layer, compose_status, find_changes, new_rejects_count, no_changes
from analytics.sync.delta import DATA_SQL, STATUS_SQL, base_identity, create_tables
from analytics.sync.errors import SyncError
from analytics.sync.incoming import fill_incoming_streamed
from analytics.sync.layers import layer_files, write_data
from analytics.sync.live import _lit, attach_generation
from analytics.sync.psqlcopy import PsqlCopier, find_psql
from analytics.sync.stream import Split, stream_changes
from analytics.sync.streamed import map_stream

# A reconciliation that would remove more than this share of the cases is refused (a wrong table).
MAX_REMOVED_SHARE = 0.5


@dataclass
class SyncResult:
    db: str
    generation: int
    rows_read: int = 0
    rows_changed: int = 0
    rows_rejected: int = 0
    rows_deleted: int = 0
    watermark: str | None = None
    seconds: float = 0.0
    reconciled: bool = False
    error: str | None = None
    published_seconds: float | None = None  # until the new generation serves (``seconds`` ends before its checkpoint)

    def as_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["rows_per_second"] = round(self.rows_read / self.seconds) if self.seconds else None
        return out


@dataclass(frozen=True)
class SyncOptions:
    batch_rows: int = 50_000
    overlap_seconds: float = 60
    reconcile_seconds: float = 900
    keep_generations: int = 3
    connect_timeout_seconds: float = 10
    memory_limit: str = "1GB"
    max_layers: int = 8
    copy_streams: int = 2
    split_rows: int = 100_000
    correction_rows: int = 100_000
    copy_client: str = "auto"

    @classmethod
    def from_config(cls, cfg: dict, **overrides) -> SyncOptions:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in cfg.get("sync", {}).items() if k in known}
        return cls(**{**values, **{k: v for k, v in overrides.items() if v is not None}})


def _attach_previous(con: duckdb.DuckDBPyConnection, db: Path, base_id: str) -> dict[str, str] | None:
    """The previous generation (``status`` and its data ``delta``) when it was made on this base."""
    return attach_generation(con, generations.current(db), base_id)


def _reconcile_due(state: dict[str, str], options: SyncOptions, now: dt.datetime) -> bool:
    last = state.get("last_reconcile")
    if not last:
        return True
    return (now - dt.datetime.fromisoformat(last)).total_seconds() >= options.reconcile_seconds


def _pull(
    con, db: Path, source: pg.Source, mapping: Mapping, options: SyncOptions, state: dict, reconcile: bool
) -> dict:
    """Stream the changes (and, when due, every upstream id) into the temporary tables."""
    conn = pg.connect(source, options.connect_timeout_seconds, mapping.timezone)
    try:
        columns = pg.describe(conn, source)
        if source.watermark not in columns:
            raise SyncError(
                f"the watermark column {source.watermark!r} is not in the source; its columns are: {', '.join(columns)}"
            )
        if state.get("source_columns"):
            pg.check_drift(json.loads(state["source_columns"]), columns)
        if "updated_at" not in mapping.columns:
            mapping = dataclasses.replace(mapping, columns={**mapping.columns, "updated_at": (source.watermark,)})
        mark = dt.datetime.fromisoformat(state["watermark"]) if state.get("watermark") else None
        since = mark - dt.timedelta(seconds=options.overlap_seconds) if mark else None
        label = f"sync:{source.table or 'query'}"
        changes = generations.live_dir(db) / f"changes{generations.TEMP_MARK}{os.getpid()}.csv"  # pruned if left
        names = list(columns)
        try:
            _, used, _ = prepare(mapping, names, label)  # a mapping that cannot apply fails before the copy starts
            psql = find_psql(options.copy_client)
            plan = Split(
                options.copy_streams,
                options.split_rows,
                used["case_id"],
                lambda: pg.connect(source, options.connect_timeout_seconds, mapping.timezone),
                PsqlCopier(psql, source.url, mapping.timezone, options.connect_timeout_seconds) if psql else None,
            )
            mapped, newest, expected, parts = stream_changes(
                conn,
                source,
                columns,
                since,
                changes,
                label,
                lambda fifos: map_stream(con, fifos, names, mapping, label, "sync_mapped", columns),
                plan,
            )
            if expected is not None and mapped != expected:  # the hash parts of one snapshot: every row once
                raise SyncError(
                    f"{label}: the {parts} parallel copies gave {mapped:,} rows where the source has {expected:,} "
                    "(is --query deterministic? [sync] copy_streams = 1 copies in one stream)"
                )
            read, rejected = fill_incoming_streamed(con, mapping, names, label, "sync_mapped")
        except IngestError as exc:
            raise SyncError(str(exc)) from None
        mark = newest if mark is None or (newest is not None and newest > mark) else mark
        if reconcile:
            id_column = next((c for c in mapping.columns["case_id"] if c in columns), None)
            for ids in pg.stream_ids(conn, source, id_column, options.batch_rows):
                insert_frame(con, "upstream_ids", _ids_frame(ids))
        conn.rollback()
    finally:
        conn.close()
    return {
        "rows_read": read,
        "rows_rejected": rejected,
        "watermark": mark.isoformat() if mark else None,
        "source_columns": json.dumps(columns),
    }


def _ids_frame(ids: list[str]):
    import pandas as pd

    return pd.DataFrame({"case_id": pd.Series(ids, dtype="str")})


TEMP_SQL = (
    "ALTER TABLE temp.cases RENAME TO incoming",
    "ALTER TABLE incoming ADD COLUMN _seq BIGINT",
    "ALTER TABLE temp.rejects RENAME TO new_rejects",
    "CREATE TEMP TABLE upstream_ids (case_id TEXT)",
)


def _run(con, fill: Callable, state: dict, due: bool, has_previous: bool, result: SyncResult) -> dict:
    """Fill the temporary tables and compare; a :class:`SyncError` becomes ``result.error``, nothing changed."""
    pulled: dict = {}
    try:
        pulled = fill(con, state, due)
        result.rows_changed, result.rows_deleted = find_changes(con, has_previous, due, MAX_REMOVED_SHARE)
        result.reconciled = due
    except SyncError as exc:
        result.error = str(exc)
        con.execute("DELETE FROM incoming")
        con.execute("DELETE FROM new_rejects")
        no_changes(con)
        con.execute("CREATE OR REPLACE TEMP TABLE new_removed (case_id TEXT)")
    result.rows_read = pulled.get("rows_read", 0)
    result.rows_rejected = pulled.get("rows_rejected", 0)
    result.watermark = pulled.get("watermark", state.get("watermark")) if not result.error else state.get("watermark")
    return pulled


def sync_once(
    db: str | Path,
    source: pg.Source,
    mapping: Mapping,
    options: SyncOptions | None = None,
    reconcile: bool | None = None,
    log: Callable[[str], None] | None = None,
) -> SyncResult:
    """Run one sync of ``source`` into the delta of ``db`` and publish it (see the module docstring).

    Raises :class:`SyncError` after publishing a failed run's log row; :class:`generations.SyncBusy`
    when another sync holds the database.
    """
    options = options or SyncOptions()

    def fill(con, state, due):
        return _pull(con, Path(db), source, mapping, options, state, due)

    return write_generation(db, source.label, fill, options, reconcile, log)


def write_generation(
    db: str | Path,
    label: str,
    fill: Callable,
    options: SyncOptions,
    reconcile: bool | None = None,
    log: Callable[[str], None] | None = None,
) -> SyncResult:
    """Publish the next generation of ``db``'s delta with the rows ``fill(con, state, reconcile)`` puts
    into the temporary tables ``incoming``, ``new_rejects`` (and ``upstream_ids`` when reconciling)."""
    log = log or (lambda line: None)
    db = Path(db)
    if not db.exists():
        raise SyncError(f"no database at {db}: build it first (python -m analytics import … or demo)")
    started, clock = dt.datetime.now(), time.perf_counter()
    with generations.writer_lock(db):
        number = generations.number_of(generations.current(db)) + 1
        final = generations.live_dir(db) / generations.gen_name(number)
        temporary = generations.temp_for(final)
        result = SyncResult(str(db), number)
        con = duckdb.connect(str(temporary), config={"memory_limit": options.memory_limit})
        try:
            con.execute(f"ATTACH {_lit(str(db))} AS base (READ_ONLY)")
            base_id = base_identity(dict(con.execute("SELECT key, value FROM base.main.meta").fetchall()))
            state = _attach_previous(con, db, base_id) or {}
            has_previous = bool(state)
            create_tables(con, STATUS_SQL, "main")
            create_tables(con, DATA_SQL[:1] + DATA_SQL[3:4], "temp")  # the shapes of incoming and new_rejects
            for statement in TEMP_SQL:
                con.execute(statement)
            due = _reconcile_due(state, options, started) if reconcile is None else reconcile
            pulled = _run(con, fill, state, due, has_previous, result)
            uncounted: list[bool] = []  # whether the new layer left its case-day correction to compaction
            new_state = {**state, "base_id": base_id, "source": label, "generation": str(number)}
            fresh = new_rejects_count(con, has_previous) if not result.error else 0
            # a bulk layer (the cases it touches would not get a stored case-day correction) is written
            # uncompressed and compacted right after publishing (layers.write_data)
            bulk = result.rows_changed + result.rows_deleted > options.correction_rows
            if result.rows_changed or result.rows_deleted or fresh or not has_previous:
                layer = write_data(
                    con,
                    db,
                    number,
                    lambda c: uncounted.append(compose_layer(c, has_previous, options.correction_rows)),
                    compressed=not bulk,
                )
                new_state["data_files"] = " ".join([*layer_files(state), layer])
                new_state.pop("data_file", None)
                new_state["data_version"] = str(int(state.get("data_version", "0")) + 1)
            if not result.error:
                new_state["watermark"] = result.watermark or ""
                if "source_columns" in pulled:
                    new_state["source_columns"] = pulled["source_columns"]
                if due:
                    new_state["last_reconcile"] = started.isoformat()
            result.seconds = round(time.perf_counter() - clock, 3)
            compose_status(con, has_previous, result, started, new_state)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        version = f"{base_id}:{new_state['data_version']}"
        generations.publish(db, temporary, final, options.keep_generations, version)
        result.published_seconds = round(time.perf_counter() - clock, 3)
        # after publishing: the new data serves already
        if len(layer_files(new_state)) > options.max_layers or any(uncounted) or bulk:
            compact_locked(db, options, log, force=any(uncounted) or bulk)
    log(
        f"sync: generation {number}: read {result.rows_read:,}, changed {result.rows_changed:,}, "
        f"rejected {result.rows_rejected:,}, deleted {result.rows_deleted:,} in {result.seconds} s"
    )
    if result.error:
        raise SyncError(result.error)
    return result
