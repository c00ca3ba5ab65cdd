"""Changed rows streamed from PostgreSQL into DuckDB through FIFOs: ``COPY``, parsing and mapping at once.

PostgreSQL's ``COPY … TO STDOUT`` (:func:`analytics.sync.source.copy_changes`) writes into a named pipe
from a thread while DuckDB's CSV reader reads it in the calling
thread and maps each row as it comes (:func:`analytics.sync.streamed.map_stream`): PostgreSQL's own
process and DuckDB overlap (psycopg and DuckDB both release the GIL while they wait or
work), and the rows never touch the disk as a CSV file. DuckDB reads one FIFO with one thread, so a
large change (``split_rows`` rows or more) is split into ``streams`` disjoint parts (by block ranges of a
plain table, else by a hash of the case id: :class:`analytics.sync.source.Part`), each copied by its own
PostgreSQL session into its own
FIFO; DuckDB reads the FIFOs in parallel in one statement. Every session reads the same snapshot (the
first session's, exported to the others), the one the watermark and the row count come from, so the
parts together are exactly the rows a single copy would give. A failure on either side ends the other:
a writer's error closes its pipe (the reader sees its end and the run raises the writer's error, so
a partial read is never used); the reader's error closes its ends (the writers' next blocks fail).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psycopg

from analytics.ingest.errors import IngestError
from analytics.sync import source as pg
from analytics.sync.errors import SyncError
from analytics.sync.psqlcopy import PsqlCopier

JOIN_SECONDS = 60
Read = TypeVar("Read")


class _Writer(threading.Thread):
    """Opens the FIFO for writing (waits for the reader) and copies the changed rows into it."""

    def __init__(self, fifo: Path, copy):
        super().__init__(name="gridscope-copy", daemon=True)
        self.fifo, self.copy = fifo, copy
        self.opened = threading.Event()
        self.result: int | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with open(self.fifo, "wb") as out:
                self.opened.set()
                self.result = self.copy(out)
        except BaseException as exc:  # re-raised in the calling thread
            self.error = exc

    def release(self) -> None:
        """After the reader failed: let a writer still waiting to open the FIFO go (its write then fails)."""
        if self.is_alive() and not self.opened.is_set():
            with open(self.fifo, "rb"):
                pass
        self.join(JOIN_SECONDS)


def _writer_error(writer: _Writer, label: str, reader_failed: bool = False) -> SyncError | None:
    if writer.error is None or (reader_failed and isinstance(writer.error, BrokenPipeError)):
        return None  # a broken pipe after the reader failed: the reader's error is the one to give
    if isinstance(writer.error, SyncError):
        return writer.error
    if isinstance(writer.error, (psycopg.Error, OSError)):
        return SyncError(f"{label}: reading the changed rows failed: {str(writer.error).strip()}")
    return SyncError(f"{label}: reading the changed rows failed: {writer.error!r}")


def _parts(
    conn: psycopg.Connection, source: pg.Source, since: dt.datetime | None, count: int, plan: Split | None
) -> tuple[list[pg.Part | None], list[psycopg.Connection], str | None]:
    """The parts to copy, the extra sessions that copy all but the first (on ``conn``'s snapshot) and
    that snapshot; with ``psql`` (``plan.copier``) no extra session: every part is copied by ``psql``."""
    if plan is None or plan.streams < 2 or count < plan.split_rows:
        return [None], [], None
    blocks = pg.split_blocks(conn, source, since, plan.streams) if plan.by_blocks else None
    parts = [pg.Part(k, plan.streams, plan.id_column, blocks) for k in range(plan.streams)]
    snapshot = pg.export_snapshot(conn)
    if plan.copier is not None:
        return parts, [], snapshot
    others: list[psycopg.Connection] = []
    try:
        for _ in parts[1:]:
            other = plan.connect()
            others.append(other)
            pg.import_snapshot(other, snapshot)
    except BaseException:
        for other in others:
            other.close()
        raise
    return parts, others, snapshot


class Split:
    """How to split a large change: into ``streams`` parts when at least ``split_rows`` rows changed, by
    ``id_column``; ``connect()`` opens one more session like the first; ``copier`` (when given) copies
    every part in its own ``psql`` (:mod:`analytics.sync.psqlcopy`) instead of a psycopg session; ``by_blocks``
    splits a plain table by block ranges (:func:`analytics.sync.source.split_blocks`), else by the id's hash."""

    def __init__(
        self,
        streams: int,
        split_rows: int,
        id_column: str,
        connect: Callable[[], psycopg.Connection],
        copier: PsqlCopier | None = None,
        by_blocks: bool = True,
    ):
        self.streams, self.split_rows, self.id_column, self.connect = streams, split_rows, id_column, connect
        self.copier, self.by_blocks = copier, by_blocks


def _copies(conn, source, columns, since, parts, others, snapshot, plan) -> list[Callable]:
    """One function per part, writing that part into the binary stream it is given."""
    if plan is not None and plan.copier is not None and snapshot is not None:
        copier = plan.copier
        scripts = [
            copier.script(conn, pg.copy_query(source, columns, since, part, literal=True)[0], snapshot)
            for part in parts
        ]
        return [lambda out, s=s: copier.run(s, out) for s in scripts]
    return [
        lambda out, c=c, part=part: pg.copy_changes(c, source, columns, since, out, part)
        for c, part in zip([conn, *others], parts)
    ]


def stream_changes(
    conn: psycopg.Connection,
    source: pg.Source,
    columns: dict[str, str],
    since: dt.datetime | None,
    fifo: Path,
    label: str,
    read: Callable[[list[Path]], Read],
    plan: Split | None = None,
) -> tuple[Read, dt.datetime | None, int | None, int]:
    """Stream the rows changed after ``since`` into ``read(fifos)`` (see the module docstring); return
    what it returns, the newest watermark value, the number of changed rows in the snapshot when the
    parts must be checked against it (split by the id's hash: a ``--query`` may not give the same rows
    twice; else None: one stream, or block ranges of one table, disjoint and complete by construction) and
    the number of parts copied. The FIFOs (``fifo`` with the part's number) are
    created and removed here. Raises :class:`SyncError` (``read`` raises :class:`IngestError` when it
    cannot read the stream)."""
    cap = plan.split_rows if plan is not None and plan.by_blocks and source.table else None
    mark, count = pg.changed_summary(conn, source, since, cap)
    parts, others, snapshot = _parts(conn, source, since, count, plan)
    expected = None
    if len(parts) > 1 and parts[0].blocks is None:
        expected = count if cap is None else pg.changed_summary(conn, source, since)[1]
    fifos = [fifo.with_name(f"{fifo.name}.{k}") for k in range(len(parts))]
    try:
        for path in fifos:
            os.mkfifo(path)
        copies = _copies(conn, source, columns, since, parts, others, snapshot, plan)
        writers = [_Writer(path, copy) for path, copy in zip(fifos, copies)]
        for writer in writers:
            writer.start()
        try:
            got = read(fifos)
        except IngestError as exc:
            for writer in writers:
                writer.release()
            failed = next((e for w in writers if (e := _writer_error(w, label, reader_failed=True))), None)
            raise failed or SyncError(str(exc)) from None
        for writer in writers:
            writer.join(JOIN_SECONDS)
        for writer in writers:
            failed = _writer_error(writer, label)
            if failed is not None or writer.result is None:
                raise failed or SyncError(f"{label}: reading the changed rows did not finish")
        return got, mark, expected, len(parts)
    finally:
        for other in others:
            other.close()
        for path in fifos:
            path.unlink(missing_ok=True)
