"""Atomic database builds: write a temporary file beside the target, then ``os.replace``.

A failure at any point (a bad file, a full disk, a killed process) leaves the
previous database byte-identical, and the app keeps serving it. The temporary
file is ``<target>.tmp-import-<pid>``; one left behind by a killed import is never
opened by the app (it only opens the target) and is removed by the next import
once its process is gone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from analytics.ingest.errors import IngestError

TEMP_MARK = ".tmp-import-"
ROW_GROUP_SIZE = 61_440  # half DuckDB's default: see build_atomically


def temp_path(target: Path, pid: int | None = None) -> Path:
    return target.with_name(f"{target.name}{TEMP_MARK}{pid or os.getpid()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(target: Path) -> list[Path]:
    """Remove temporary files (and their WAL) of earlier imports whose process no longer runs."""
    removed = []
    for path in target.parent.glob(f"{target.name}{TEMP_MARK}*"):
        pid_text = path.name[len(target.name) + len(TEMP_MARK) :].removesuffix(".wal")
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _alive(int(pid_text)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Insert a frame into an existing table by column name, in the frame's order.

    ``table`` is one of our own tables, never user input. The frame goes through Arrow, which
    DuckDB scans several times faster than pandas' ``str`` columns.
    """
    con.register("ingest_frame", pa.Table.from_pandas(frame, preserve_index=False))
    listed = ", ".join(f'"{c}"' for c in frame.columns)
    con.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM ingest_frame")
    con.unregister("ingest_frame")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def build_atomically(
    target: Path,
    fill: Callable[[duckdb.DuckDBPyConnection], None],
    config: dict[str, str] | None = None,
    prepare: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """Create the temporary database, let ``fill`` read the inputs and write it, then replace ``target``.

    ``prepare`` (optional) runs first, outside the transaction ``fill`` runs in: temporary tables
    it creates there get row ids from 0 in insertion order, which staged files rely on.

    The temporary file exists for the whole run, so a killed process leaves it behind,
    never a half-written target. Any exception removes the temporary file and propagates;
    DuckDB and OS errors become :class:`IngestError`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    temporary = temp_path(target)
    for leftover in (temporary, Path(f"{temporary}.wal")):
        leftover.unlink(missing_ok=True)
    try:
        # The file is attached with row groups of half DuckDB's default size (122,880 rows): a full row
        # group is compressed and written while the rows are inserted, on the side, so the COMMIT (which
        # compresses and writes what is left, on one thread) has less to do. The spill goes beside the
        # file, as it does for a database opened by path.
        settings = {"temp_directory": f"{temporary}.tmp", **(config or {})}
        con = duckdb.connect(":memory:", config=settings)
        try:
            con.execute(f"ATTACH '{_quoted(temporary)}' AS import_target (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
            con.execute("USE import_target")
            con.execute("SET preserve_insertion_order = true")
            if prepare is not None:
                prepare(con)
            con.execute("BEGIN TRANSACTION")
            fill(con)
            con.execute("COMMIT")
            con.execute("CHECKPOINT import_target")
        finally:
            con.close()
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync(target.parent)
    except (duckdb.Error, OSError) as exc:
        raise IngestError(f"could not write the database {target}: {exc}") from exc
    finally:
        for leftover in (temporary, Path(f"{temporary}.wal")):
            if leftover.exists():
                leftover.unlink()
