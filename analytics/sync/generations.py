"""The files of the delta beside a database: ``<db>.live/gen-<n>.duckdb`` and the ``CURRENT`` pointer.

A generation file is written under a temporary name, checkpointed, fsynced and renamed; then
``CURRENT`` (one line: the generation's file name) is replaced atomically. A process killed at any
point leaves ``CURRENT`` naming the previous, complete generation. Every generation has its own
path, so DuckDB's per-path database cache can never hand a reader an older one.
"""

from __future__ import annotations

import fcntl
import os
import re
from contextlib import contextmanager
from pathlib import Path

from analytics.ingest.load import _alive
from analytics.sync.errors import SyncError

POINTER = "CURRENT"
NAME = re.compile(r"^gen-(\d{9})\.duckdb$")
DATA = re.compile(r"^data-(\d{9})\.duckdb$")
TEMP_MARK = ".tmp-"


class SyncBusy(SyncError):
    """Another sync is writing the same database."""


def live_dir(db: str | os.PathLike) -> Path:
    """The folder of the delta generations of the database ``db``."""
    db = Path(db)
    return db.with_name(db.name + ".live")


def gen_name(number: int) -> str:
    return f"gen-{number:09d}.duckdb"


def data_name(number: int) -> str:
    return f"data-{number:09d}.duckdb"


def _pointer(db: str | os.PathLike) -> list[str]:
    try:
        return (live_dir(db) / POINTER).read_text(encoding="utf-8").split()
    except (FileNotFoundError, NotADirectoryError):
        return []


def current(db: str | os.PathLike) -> Path | None:
    """The current generation file, or None (no sync yet, or the pointer names a missing file)."""
    words = _pointer(db)
    path = live_dir(db) / words[0] if words else None
    return path if path is not None and NAME.match(path.name) and path.exists() else None


def data_version(db: str | os.PathLike) -> str | None:
    """The version of the delta's data: it changes only when a sync changed or removed cases."""
    words = _pointer(db)
    return words[1] if len(words) > 1 else (words[0] if words else None)


def number_of(path: Path | None) -> int:
    match = NAME.match(path.name) if path is not None else None
    return int(match.group(1)) if match else 0


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_for(final: Path) -> Path:
    return final.with_name(f"{final.name}{TEMP_MARK}{os.getpid()}")


def publish(db: str | os.PathLike, written: Path, final: Path, keep: int, version: str) -> None:
    """Rename the finished ``written`` file to ``final``, point ``CURRENT`` at it (with the data
    ``version``), prune old generations."""
    folder = live_dir(db)
    fsync_path(written)
    os.replace(written, final)
    pointer = folder / f"{POINTER}{TEMP_MARK}{os.getpid()}"
    pointer.write_text(f"{final.name} {version}\n", encoding="utf-8")
    fsync_path(pointer)
    os.replace(pointer, folder / POINTER)
    fsync_path(folder)
    prune(folder, number_of(final), keep)


def prune(folder: Path, newest: int, keep: int) -> None:
    """Remove generations older than the ``keep`` newest, and temporary files of dead writers.

    A reader that still has an old generation attached keeps reading it: on POSIX an open file
    outlives its name.
    """
    kept_data = set()
    for path in sorted(folder.iterdir()):
        match = NAME.match(path.name)
        if match and int(match.group(1)) <= newest - max(keep, 1):
            path.unlink(missing_ok=True)
        elif match:
            kept_data |= _data_files_of(path)
    for path in folder.iterdir():
        if DATA.match(path.name) and path.name not in kept_data:
            path.unlink(missing_ok=True)
    for path in folder.iterdir():
        if TEMP_MARK in path.name and not path.is_dir():
            # the writer's pid follows the mark: ``gen-….duckdb.tmp-PID[.wal]``, a FIFO ``changes.tmp-PID.csv.N``
            pid = re.match(r"\d*", path.name.rsplit(TEMP_MARK, 1)[1]).group()
            if pid and int(pid) != os.getpid() and not _alive(int(pid)):
                path.unlink(missing_ok=True)


def _data_files_of(generation: Path) -> set[str]:
    """The data files (layers) a generation names (read from its ``sync_state``)."""
    import duckdb

    try:
        con = duckdb.connect()
        try:
            con.execute("ATTACH '" + str(generation).replace("'", "''") + "' AS g (READ_ONLY)")
            rows = con.execute("SELECT value FROM g.sync_state WHERE key IN ('data_file', 'data_files')").fetchall()
        finally:
            con.close()
    except duckdb.Error:
        return set()
    return {name for (value,) in rows for name in value.split()}


@contextmanager
def writer_lock(db: str | os.PathLike):
    """Hold the one-writer lock of the database's delta (raises :class:`SyncBusy` when taken)."""
    folder = live_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    fh = open(folder / "sync.lock", "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncBusy(f"another sync is writing {db} (lock {folder / 'sync.lock'})") from None
        yield
    finally:
        fh.close()
