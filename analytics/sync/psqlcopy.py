"""A large change's parallel copies run by PostgreSQL's own client, ``psql``, straight into the FIFOs.

psycopg hands a ``COPY … TO STDOUT`` over one row at a time, each a Python object the sync's process
gathers and writes on: about 2 CPU seconds of the sync's own process per million rows (measured: a
million-row copy to ``/dev/null`` took 2.6–3.0 CPU s through psycopg and 0.6–0.9 CPU s in ``psql``), on
the two cores DuckDB parses them with. ``psql`` writes the rows into the FIFO from C, so the sync's
process only parses. Each ``psql`` session starts its transaction on the snapshot the sync's own session
exported (:func:`analytics.sync.source.export_snapshot`), in the city's time zone and PostgreSQL's ISO
date style, as :func:`analytics.sync.source.connect` sets them: the bytes are those psycopg would
hand over. Without ``psql`` (``[sync] copy_client = "psycopg"``, or none found) the copies run through
psycopg as before. The password goes to ``psql`` in its environment, never on its command line.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
from typing import BinaryIO

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from analytics.sync.errors import SyncError

STDERR_CHARS = 2000  # at most this much of psql's error output goes into the sync's error


def find_psql(setting: str) -> str | None:
    """The ``psql`` to copy with: ``setting`` ``"auto"`` finds it on ``PATH`` or in Debian's
    ``/usr/lib/postgresql/*/bin`` (the newest), ``"psycopg"`` (or empty) uses none, anything else is
    the path of a ``psql`` (raises :class:`SyncError` when it is not an executable file)."""
    setting = (setting or "").strip()
    if setting in ("", "psycopg"):
        return None
    if setting == "auto":
        found = shutil.which("psql")
        if found:
            return found
        debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), key=_version)
        return debian[-1] if debian else None
    if os.path.isfile(setting) and os.access(setting, os.X_OK):
        return setting
    raise SyncError(f"[sync] copy_client: {setting!r} is not an executable psql (or give 'auto' or 'psycopg')")


def _version(path: str) -> tuple[int, ...]:
    part = path.split("/")[-3]
    return tuple(int(p) for p in part.split(".") if p.isdigit())


class PsqlCopier:
    """Runs one ``COPY`` in a ``psql`` session on an exported snapshot, into a binary stream."""

    def __init__(self, psql: str, url: str, timezone: str, timeout: float):
        params = conninfo_to_dict(url)
        password = params.pop("password", None)
        self.psql, self.conninfo = psql, make_conninfo(**params)
        self.env = {**os.environ, "PGCLIENTENCODING": "UTF8", "PGCONNECT_TIMEOUT": str(max(1, int(timeout)))}
        self.env.pop("PGOPTIONS", None)
        if password is not None:
            self.env["PGPASSWORD"] = password
        self.timezone = timezone

    def script(self, conn: psycopg.Connection, copy_query: sql.Composable, snapshot: str) -> bytes:
        """The statements ``psql`` runs: the snapshot's transaction, the session's settings, the copy."""
        lines = [
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;",
            sql.SQL("SET TRANSACTION SNAPSHOT {};").format(sql.Literal(snapshot)).as_string(conn),
            sql.SQL("SET LOCAL TimeZone TO {};").format(sql.Literal(self.timezone)).as_string(conn),
            "SET LOCAL DateStyle TO 'ISO, YMD';",
            copy_query.as_string(conn) + ";",
            "COMMIT;",
        ]
        return ("\n".join(lines) + "\n").encode()

    def run(self, script: bytes, out: BinaryIO) -> int:
        """Run ``script`` (:meth:`script`: made in the session's thread) in ``psql``, its output into
        ``out``; return 0 (the bytes go past this process). Raises :class:`SyncError` with psql's
        message, or :class:`BrokenPipeError` when the reader stopped reading."""
        command = [self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.conninfo]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.PIPE, env=self.env, close_fds=True
        )
        _, err = process.communicate(script)
        if process.returncode == 0:
            return 0
        message = err.decode("utf-8", "replace").strip()[-STDERR_CHARS:]
        if process.returncode == -signal.SIGPIPE or "Broken pipe" in message:
            raise BrokenPipeError(message or "psql: the reader closed the stream")
        raise SyncError(f"reading the changed rows through psql failed: {message or f'exit {process.returncode}'}")
