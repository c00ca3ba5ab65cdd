"""Case files staged as text tables inside DuckDB, so the mapping runs in SQL and never in pandas.

Each file becomes a temporary table of text columns ``c0, c1 …`` (one per source column, in file
order) and a view adding ``_pos`` (0-based position) and ``_row`` (the record number a reject
names, 1-based). How a file gets there:

- **CSV, large** (at least :data:`FAST_CSV_BYTES`): DuckDB's ``read_csv`` with every column VARCHAR,
  the header and delimiter found as :mod:`analytics.ingest.readers` finds them. Anything DuckDB does
  not read strictly (another encoding than UTF-8, a record with the wrong number of fields, an
  unterminated quote) falls back to the exact reader below, so the rejects and errors stay the same.
- **Parquet**: a file whose columns are all text is read in place (a view over ``read_parquet``, nothing
  copied); any other is streamed in record batches through the reader's own text conversion.
- **everything else** (small CSV, JSON, the fallbacks): :func:`analytics.ingest.readers.read_case_file`,
  whose frame is copied into the table.
"""

from __future__ import annotations

import itertools
import json
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.ingest.errors import IngestError
from analytics.ingest.readers import (
    CASE_SUFFIXES,
    _as_text,
    _unique,
    check_parquet_file,
    read_case_file,
    sha256_of,
    sniff_delimiter,
)

FAST_CSV_BYTES = 8 << 20  # smaller CSV files take the exact Python/Arrow reader (same result, no DuckDB sniffing)
PARQUET_BATCH_ROWS = 262_144
UTF8_NAMES = {None, "utf-8", "utf8", "utf-8-sig", "utf_8"}
_counter = itertools.count()


@dataclass
class StagedFile:
    """One case file as a DuckDB table (``view`` has ``_pos``, ``_row`` and ``c0 …``)."""

    path: Path
    names: list[str]  # the source column names, in order (unique)
    view: str
    rows: int  # records staged (bad records are not staged)
    sha256: str
    encoding: str | None = None
    delimiter: str | None = None
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row_number, reason, raw JSON)
    raw_json: list[str] | None = None  # JSON sources: each record exactly as given
    reader: str = "python"  # "duckdb_csv", "parquet_batches" or "python"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def rows_in(self) -> int:
        return self.rows + len(self.bad_rows)


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _header(path: Path, encoding: str | None, delimiter: str | None) -> tuple[list[str], str] | None:
    """Column names and delimiter from the first line, or None when the fast reader should not try."""
    if (encoding or None) not in UTF8_NAMES:
        return None
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\n" not in head:
        return None
    try:
        line = head.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if '"' in line or not line.strip():
        return None  # quoted header names: leave them to the exact reader
    delimiter = delimiter or sniff_delimiter(line)
    return _unique(line.split(delimiter)), delimiter


def _stage_csv_duckdb(
    con: duckdb.DuckDBPyConnection, path: Path, names: list[str], delimiter: str, table: str, quoted_nulls: bool = True
):
    columns = "{" + ", ".join(f"{_lit(f'c{i}')}: 'VARCHAR'" for i in range(len(names))) + "}"
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv({_lit(str(path))}, header = false, skip = 1, "
        f"delim = {_lit(delimiter)}, quote = '\"', escape = '\"', columns = {columns}, auto_detect = false, "
        "strict_mode = true, null_padding = false, ignore_errors = false, encoding = 'utf-8', "
        f"allow_quoted_nulls = {'true' if quoted_nulls else 'false'})"
    )


def _stage_frame(con: duckdb.DuckDBPyConnection, frame, row_numbers, table: str) -> None:
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    arrow = arrow.rename_columns([f"c{i}" for i in range(arrow.num_columns)])
    arrow = arrow.append_column("_row", pa.array(row_numbers.to_numpy(), pa.int64()))
    con.register("staging_frame", arrow)
    try:
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM staging_frame")
    finally:
        con.unregister("staging_frame")


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> tuple[list[str], int]:
    """Stream a Parquet file's record batches, each column as text, into ``table``."""
    try:
        parquet = pq.ParquetFile(path)
        check_parquet_file(path, parquet)
        names = _unique(parquet.schema_arrow.names)
        created, rows = False, 0
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            columns = [_as_text(pa.chunked_array([batch.column(i)])) for i in range(batch.num_columns)]
            text = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
            con.register("staging_batch", text)
            verb = f"INSERT INTO {table} SELECT * FROM staging_batch" if created else None
            con.execute(verb or f"CREATE TEMP TABLE {table} AS SELECT * FROM staging_batch")
            con.unregister("staging_batch")
            created, rows = True, rows + batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(f"{path.name}: not a readable Parquet file: {exc}") from None
    if not created:
        columns = ", ".join(f"NULL::VARCHAR AS c{i}" for i in range(len(names))) or "NULL::VARCHAR AS c0"
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT {columns} WHERE false")
    return names, rows


def _all_text(path: Path) -> bool:
    """True when every column of a readable Parquet file is text (DuckDB then reads it as it stands)."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError):
        return False
    return all(pa.types.is_string(f.type) or pa.types.is_large_string(f.type) for f in schema)


def _view_parquet(con: duckdb.DuckDBPyConnection, path: Path, view: str) -> StagedFile:
    """A Parquet file of text columns read in place: a view, nothing copied (rejects read it again)."""
    parquet = pq.ParquetFile(path)
    check_parquet_file(path, parquet)
    names = _unique(parquet.schema_arrow.names)
    columns = ", ".join(f"c{i}" for i in range(len(names)))
    con.execute(
        f"CREATE TEMP VIEW {view} AS SELECT file_row_number AS _pos, file_row_number + 1 AS _row, {columns} "
        f"FROM read_parquet({_lit(str(path))}, file_row_number = true) AS src({columns}, file_row_number)"
    )
    rows = parquet.metadata.num_rows
    return StagedFile(path, names, view, rows, sha256_of(path), reader="parquet_view")


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    encoding: str | None = None,
    delimiter: str | None = None,
    fast_csv_bytes: int | None = None,
    quoted_nulls: bool = True,
) -> StagedFile:
    """Stage one case file in ``con`` (see the module docstring); :class:`IngestError` when unreadable.

    ``quoted_nulls=False`` keeps a quoted empty field (``""``) as an empty text rather than missing, as
    PostgreSQL's ``COPY … CSV`` writes an empty text (the sync reads such a file). Call it outside an
    explicit transaction: the staged table's row ids number its rows from 0 only once committed.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"case file not found: {path}")
    kind = CASE_SUFFIXES.get(path.suffix.lower())
    number = next(_counter)
    table, view = f"staged_raw_{number}", f"staged_{number}"
    limit = FAST_CSV_BYTES if fast_csv_bytes is None else fast_csv_bytes
    if kind == "parquet" and _all_text(path):
        return _view_parquet(con, path, view)
    if kind == "parquet":
        with ThreadPoolExecutor(max_workers=1) as pool:  # the digest while the batches are converted
            digest = pool.submit(sha256_of, path)
            names, rows = _stage_parquet(con, path, table)
            con.execute(f"CREATE TEMP VIEW {view} AS SELECT rowid AS _pos, rowid + 1 AS _row, * FROM {table}")
            return StagedFile(path, names, view, rows, digest.result(), reader="parquet_batches")
    header = _header(path, encoding, delimiter) if kind == "csv" and path.stat().st_size >= limit else None
    if header is not None:
        names, used = header
        with ThreadPoolExecutor(max_workers=1) as pool:  # the file's digest is computed while DuckDB reads it
            digest = pool.submit(sha256_of, path)
            try:
                _stage_csv_duckdb(con, path, names, used, table, quoted_nulls)
            except duckdb.Error:
                con.execute(f"DROP TABLE IF EXISTS {table}")
            else:
                con.execute(f"CREATE TEMP VIEW {view} AS SELECT rowid AS _pos, rowid + 1 AS _row, * FROM {table}")
                rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                return StagedFile(path, names, view, rows, digest.result(), "utf-8", used, reader="duckdb_csv")
    case_file = read_case_file(path, encoding, delimiter)
    _stage_frame(con, case_file.frame, case_file.row_numbers, table)
    con.execute(f"CREATE TEMP VIEW {view} AS SELECT rowid AS _pos, * FROM {table}")
    return StagedFile(
        path,
        list(case_file.frame.columns),
        view,
        len(case_file.frame),
        case_file.sha256,
        case_file.encoding,
        case_file.delimiter,
        case_file.bad_rows,
        case_file.raw_json,
    )


def raw_records(con: duckdb.DuckDBPyConnection, staged: StagedFile, positions_sql: str) -> list[tuple[int, int, str]]:
    """``(position, row_number, raw JSON)`` of the staged rows whose ``_pos`` is in ``positions_sql``
    (a query of our own), in file order; the JSON is what the exact reader would store."""
    items = ", ".join(f"c{i}" for i in range(len(staged.names)))
    rows = con.execute(
        f"SELECT _pos, _row{', ' if items else ''}{items} FROM {staged.view} "
        f"WHERE _pos IN ({positions_sql}) ORDER BY _pos"
    ).fetchall()
    out = []
    for pos, number, *values in rows:
        if staged.raw_json is not None:
            raw = staged.raw_json[pos]
        else:
            record = {n: (None if isinstance(v, float) and math.isnan(v) else v) for n, v in zip(staged.names, values)}
            raw = json.dumps(record, ensure_ascii=False)
        out.append((pos, number, raw))
    return out


def drop_staged(con: duckdb.DuckDBPyConnection, staged: list[StagedFile]) -> None:
    """Drop the staging tables and views (temporary: they vanish with the connection anyway)."""
    for one in staged:
        con.execute(f"DROP VIEW IF EXISTS {one.view}")
        con.execute(f"DROP TABLE IF EXISTS staged_raw_{one.view.removeprefix('staged_')}")
