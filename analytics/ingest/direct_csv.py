"""Large CSV files mapped straight from DuckDB's ``read_csv``, without a staged copy of their text.

:func:`analytics.ingest.staging.stage_file` copies a large CSV file into a temporary table of text
columns, which the mapping then reads. For the import that copy is pure cost (about 2.4 CPU seconds per
million rows of the Boston export's shape, and at 20 M rows several GB spilled to disk): here the mapping
statement reads ``read_csv`` itself, with the very same options, and the rows' positions come from the
mapped table's row ids (DuckDB keeps the scan order: ``preserve_insertion_order``).

- Every column is read even when the mapping uses fewer (a sum of their byte lengths is tested), so a
  file DuckDB would not read strictly (another encoding, a record with the wrong number of fields, an
  unterminated quote) fails here as it fails in staging; the caller then stages it the usual way
  (:func:`restage`), whose fallback to the exact reader gives the same rows, rejects and errors as before.
- The raw values of rejected rows (a reject stores its raw record) are read by a second pass over the
  file (``view``, streamed and numbered in scan order by :func:`analytics.ingest.staging.rows_at`), only
  when the file has rejects; it stops after the last rejected row.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from analytics.ingest import staging
from analytics.ingest.readers import CASE_SUFFIXES
from analytics.ingest.staging import StagedFile, read_csv_sql, stage_file


def open_direct(
    con: duckdb.DuckDBPyConnection, path: str | Path, encoding: str | None, delimiter: str | None
) -> StagedFile | None:
    """A :class:`StagedFile` whose ``mapping_view`` reads the CSV file in place, or None when the file is
    not one DuckDB's reader takes (small, not UTF-8, a quoted header: :func:`stage_file` decides those).

    Its ``rows`` and ``sha256`` are filled in by :func:`map_direct` and the caller."""
    path = Path(path)
    if not path.is_file() or CASE_SUFFIXES.get(path.suffix.lower()) != "csv":
        return None
    if path.stat().st_size < staging.FAST_CSV_BYTES:
        return None
    header = staging._header(path, encoding, delimiter)
    if header is None:
        return None
    names, used = header
    number = next(staging._counter)
    reader = read_csv_sql(path, names, used)
    every = " + ".join(f"coalesce(strlen(c{i}), 0)" for i in range(len(names)))
    mapping_view, view = f"staged_direct_{number}", f"staged_{number}"
    con.execute(f"CREATE TEMP VIEW {mapping_view} AS SELECT NULL::BIGINT AS _pos, * FROM {reader} WHERE {every} >= 0")
    con.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM {reader}")  # numbered by staging.rows_at
    return StagedFile(path, names, view, 0, "", "utf-8", used, reader="duckdb_csv_direct", mapping_view=mapping_view)


def map_direct(con: duckdb.DuckDBPyConnection, one: StagedFile, number: int, statement: str, table: str) -> None:
    """Insert file ``number``'s mapped rows (``statement`` over ``one.mapping_view``) into ``table`` (created
    for the first file) and number them ``_pos`` in file order; sets ``one.rows``. Raises ``duckdb.Error``
    (nothing inserted) when DuckDB cannot read the file strictly or the mapping fails.

    Must run outside an explicit transaction, like staging: the table's row ids are then consecutive."""
    before = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] if number else 0
    verb = f"INSERT INTO {table} BY NAME" if number else f"CREATE TEMP TABLE {table} AS"
    con.execute(f"{verb} SELECT {int(number)} AS _file, * FROM ({statement})")
    con.execute(f"UPDATE {table} SET _pos = rowid - {int(before)} WHERE _file = {int(number)}")
    one.rows = con.execute(f"SELECT count(*) FROM {table} WHERE _file = {int(number)}").fetchone()[0]


def restage(con: duckdb.DuckDBPyConnection, one: StagedFile, encoding: str | None, delimiter: str | None) -> StagedFile:
    """``one`` staged the usual way (after :func:`map_direct` failed): its views dropped, the file copied
    by :func:`stage_file` (DuckDB's reader, else the exact reader with its rejects and errors)."""
    staging.drop_staged(con, [one])
    return stage_file(con, one.path, encoding, delimiter)
