"""``python -m analytics import --append``: add case files (a daily export) to a database without a rebuild.

The files are read and mapped exactly as by ``import`` (same presets and mapping files); the cases
are upserted by ``case_id`` into the delta beside the database, like a sync run (a case already
there is replaced by the file's version; a file never deletes). Rejected rows are kept. The grids
stay those of the database: points without a grid id are joined to its grid polygons.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from analytics.ingest.canonical import map_file
from analytics.ingest.errors import IngestError
from analytics.ingest.load import insert_frame
from analytics.ingest.mapping import Mapping
from analytics.ingest.readers import read_case_file
from analytics.ingest.validate import file_rejects, mark_duplicates
from analytics.sync.batches import GridLocator, locate_cases
from analytics.sync.errors import SyncError
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
            read = [read_case_file(path, mapping.encoding, mapping.delimiter) for path in files]
            mapped = [(case_file, map_file(case_file, mapping)) for case_file in read]
        except IngestError as exc:
            raise SyncError(str(exc)) from None
        mark_duplicates(mapped)
        locator, rows, rejected, seq = GridLocator(con), 0, 0, 0
        for case_file, one in mapped:
            ok = one.reject_reason.isna().to_numpy()
            cases = locate_cases(one.cases[ok].reset_index(drop=True), mapping, locator)
            insert_frame(con, "incoming", cases.assign(_seq=range(seq, seq + len(cases))))
            rejects = file_rejects(case_file, one.reject_reason)
            insert_frame(con, "new_rejects", rejects)
            rows, rejected, seq = rows + case_file.rows_in, rejected + len(rejects), seq + len(cases)
        return {"rows_read": rows, "rows_rejected": rejected}

    label = "append: " + ", ".join(Path(f).name for f in files)
    return write_generation(db, label, fill, options or SyncOptions(), reconcile=False, log=log)
