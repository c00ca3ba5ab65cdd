"""Changed rows streamed from PostgreSQL into DuckDB through a FIFO: ``COPY``, parsing and mapping at once.

PostgreSQL's ``COPY … TO STDOUT`` (:func:`analytics.sync.source.copy_changes`) writes into a named pipe
from a thread while DuckDB's CSV reader reads it in the calling
thread and maps each row as it comes (:func:`analytics.sync.streamed.map_stream`): PostgreSQL's own
process and DuckDB overlap on two cores (psycopg and DuckDB both release the GIL while they wait or
work), and the rows never touch the disk as a CSV file. A failure on either side ends the other:
the writer's error closes the pipe (the reader sees its end and the run raises the writer's error, so
a partial read is never used); the reader's error closes its end (the writer's next block fails).
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

JOIN_SECONDS = 60
Read = TypeVar("Read")


class _Writer(threading.Thread):
    """Opens the FIFO for writing (waits for the reader) and copies the changed rows into it."""

    def __init__(self, fifo: Path, copy):
        super().__init__(name="gridscope-copy", daemon=True)
        self.fifo, self.copy = fifo, copy
        self.opened = threading.Event()
        self.result: tuple[int, dt.datetime | None] | None = None
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


def stream_changes(
    conn: psycopg.Connection,
    source: pg.Source,
    columns: dict[str, str],
    since: dt.datetime | None,
    fifo: Path,
    label: str,
    read: Callable[[Path], Read],
) -> tuple[Read, dt.datetime | None]:
    """Stream the rows changed after ``since`` into ``read(fifo)`` (see the module docstring); return
    what it returns and the newest watermark value. ``fifo`` is created and removed here. Raises
    :class:`SyncError` (``read`` raises :class:`IngestError` when it cannot read the stream)."""
    os.mkfifo(fifo)
    try:
        writer = _Writer(fifo, lambda out: pg.copy_changes(conn, source, columns, since, out))
        writer.start()
        try:
            got = read(fifo)
        except IngestError as exc:
            writer.release()
            raise _writer_error(writer, label, reader_failed=True) or SyncError(str(exc)) from None
        writer.join(JOIN_SECONDS)
        failed = _writer_error(writer, label)
        if failed is not None or writer.result is None:
            raise failed or SyncError(f"{label}: reading the changed rows did not finish")
        return got, writer.result[1]
    finally:
        fifo.unlink(missing_ok=True)
