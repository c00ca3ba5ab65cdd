"""``python -m analytics import --append``: add case files (a daily export) to a database without a rebuild.

The files are read and mapped exactly as by ``import`` (same presets and mapping files); the cases
are upserted by ``case_id`` into the delta beside the database, like a sync run (a case already
there is replaced by the file's version; a file never deletes). Rejected rows are kept. The grids
stay those of the database: points without a grid id are joined to its grid polygons.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from analytics.ingest.errors import IngestError
from analytics.ingest.mapping import Mapping
from analytics.ingest.staging import stage_file
from analytics.sync.errors import SyncError
from analytics.sync.incoming import fill_incoming
from analytics.sync.run import SyncOptions, SyncResult, write_generation


def append_files(
    db: str | Path,
    files: list[str | Path],
    mapping: Mapping,
    options: SyncOptions | None = None,
    log: Callable[[str], None] | None = None,
) -> SyncResult:
    """Upsert the cases of ``files`` into the delta of ``db`` (raises :class:`SyncError` on a bad file)."""
    if not files:
        raise SyncError("no case files given")

    def fill(con, state, due):
        try:
            staged = [stage_file(con, path, mapping.encoding, mapping.delimiter) for path in files]
            rows, rejected = fill_incoming(con, staged, mapping, dedupe=True)
        except IngestError as exc:
            raise SyncError(str(exc)) from None
        return {"rows_read": rows, "rows_rejected": rejected}

    label = "append: " + ", ".join(Path(f).name for f in files)
    return write_generation(db, label, fill, options or SyncOptions(), reconcile=False, log=log)
