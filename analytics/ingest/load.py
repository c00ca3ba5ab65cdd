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
DEFAULT_ROW_GROUP_SIZE = 122_880  # DuckDB's
SMALL_ROW_GROUP_SIZE = 61_440  # for small imports: see row_group_size_for
IMPORT_DB = "import_target"  # the temporary file's name in the import's connection


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


def row_group_size_for(cases: int) -> int | None:
    """The row group size of a new database of ``cases`` cases: ``SMALL_ROW_GROUP_SIZE`` below two of DuckDB's
    row groups, else None (DuckDB's default).

    A table's rows that do not fill a row group are compressed by the ``COMMIT`` on one thread, dearer than
    full row groups written as they fill (the Boston file's 121,145 cases: 0.16 CPU s in the commit with
    122,880-row groups, 0.05 with 61,440). In a small import that is most of the table; in a large one
    the same work only moves, and the smaller groups cost ~8 % more file and a few per cent more CPU on
    cold scans (docs/performance.md, "Import, eleventh pass")."""
    return SMALL_ROW_GROUP_SIZE if cases < 2 * DEFAULT_ROW_GROUP_SIZE else None


def _attach(con: duckdb.DuckDBPyConnection, path: Path, row_group_size: int | None = None) -> None:
    option = f" (ROW_GROUP_SIZE {int(row_group_size)})" if row_group_size else ""
    quoted = str(path).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS {IMPORT_DB}{option}")
    con.execute(f"USE {IMPORT_DB}")


def build_atomically(
    target: Path,
    fill: Callable[[duckdb.DuckDBPyConnection], None],
    config: dict[str, str] | None = None,
    prepare: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    row_group_size: Callable[[], int | None] | None = None,
) -> None:
    """Create the temporary database, let ``fill`` read the inputs and write it, then replace ``target``.

    ``prepare`` (optional) runs first, outside the transaction ``fill`` runs in: temporary tables
    it creates there get row ids from 0 in insertion order, which staged files rely on.
    ``row_group_size`` (optional), asked after ``prepare``: the row group size the database is written
    with (None: DuckDB's default; see :func:`row_group_size_for`).

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
        # The file is attached to an in-memory connection, so that it can be attached again with another
        # row group size once ``prepare`` has counted the rows. The spill goes beside the file, as it does
        # for a database opened by path.
        settings = {"temp_directory": f"{temporary}.tmp", **(config or {})}
        con = duckdb.connect(":memory:", config=settings)
        try:
            _attach(con, temporary)
            con.execute("SET preserve_insertion_order = true")
            if prepare is not None:
                prepare(con)
            size = row_group_size() if row_group_size is not None else None
            if size is not None:  # the file is still empty: prepare writes temporary tables only
                con.execute("USE memory")
                con.execute(f"DETACH {IMPORT_DB}")
                _attach(con, temporary, size)
            con.execute("BEGIN TRANSACTION")
            fill(con)
            con.execute("COMMIT")
            con.execute(f"CHECKPOINT {IMPORT_DB}")
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
