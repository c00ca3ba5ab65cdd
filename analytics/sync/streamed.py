"""Changed rows mapped while they stream in: DuckDB's CSV reader feeds the mapping statement directly.

The sync's rows are read once, from the FIFO PostgreSQL's ``COPY`` writes into (:mod:`analytics.sync.stream`),
and mapped in the same pass (:func:`analytics.ingest.canonical.mapping_sql`) into the temporary table
``sync_mapped``: the raw text rows are never stored as a table of their own (the import's staged path,
:mod:`analytics.ingest.staging`, stores them first and maps them after; the mapping is the same
statement). The stream numbers its records (``_pos``, from 0, added by the ``COPY``); a rejected row
keeps its raw values (``_raw``, only on rejected rows), from which :func:`stream_rejects` makes the same
reject rows (``source``, ``row_number``, ``reason``, ``raw``) the staged path makes.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from analytics.ingest.canonical import mapping_sql, prepare
from analytics.ingest.errors import IngestError
from analytics.ingest.mapping import Mapping
from analytics.ingest.validate import REJECT_COLUMNS


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def read_stream_sql(paths: Path | list[Path], names: list[str]) -> str:
    """DuckDB's strict CSV reader over ``paths`` (each a header line, then ``_pos`` and a text column
    ``c<i>`` per name): each read once, in order, no sniffing; several files are read in parallel; a
    quoted empty field stays an empty text (as PostgreSQL's ``COPY … CSV`` writes an empty text)."""
    paths = [paths] if isinstance(paths, Path) else paths
    files = _lit(str(paths[0])) if len(paths) == 1 else "[" + ", ".join(_lit(str(p)) for p in paths) + "]"
    columns = ", ".join(["'_pos': 'BIGINT'", *(f"{_lit(f'c{i}')}: 'VARCHAR'" for i in range(len(names)))])
    return (
        f"read_csv({files}, header = false, skip = 1, delim = ',', quote = '\"', escape = '\"', "
        f"columns = {{{columns}}}, auto_detect = false, strict_mode = true, null_padding = false, "
        "ignore_errors = false, encoding = 'utf-8', allow_quoted_nulls = false)"
    )


def map_stream(
    con: duckdb.DuckDBPyConnection,
    paths: Path | list[Path],
    names: list[str],
    mapping: Mapping,
    label: str,
    table: str,
    types: dict[str, str] | None = None,
) -> int:
    """Create the temporary ``table`` (our own name: ``_file`` 0, ``_pos``, the canonical columns,
    ``reject_reason``, ``_raw``) from the stream (or the parallel streams) at ``paths``; return its row count.
    ``types`` (name → PostgreSQL type) says which texts PostgreSQL wrote from typed columns
    (:func:`~analytics.ingest.canonical.mapping_sql`'s ``typed``). Raises :class:`IngestError` when the
    stream cannot be read or the mapping cannot be applied."""
    fitted, used, _ = prepare(mapping, names, label)
    statement = mapping_sql(fitted, used, names, source=read_stream_sql(paths, names), carry=True, typed=types)
    raw = ", ".join(f"c{i}" for i in range(len(names)))
    try:
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT 0 AS _file, * EXCLUDE ({raw}), "
            f"CASE WHEN reject_reason IS NOT NULL THEN [{raw}] END AS _raw FROM ({statement})"
        )
    except duckdb.Error as exc:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        raise IngestError(f"{label}: the streamed rows cannot be read or mapped: {exc}") from None
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def stream_rejects(con: duckdb.DuckDBPyConnection, table: str, names: list[str], source: str) -> pd.DataFrame:
    """The rejected rows of ``table`` in stream order: the record number (``_pos`` + 1), the reason,
    and the raw row as JSON (``{name: text or null}``, as the staged path's rejects give it)."""
    rows = con.execute(
        f"SELECT _pos, reject_reason, _raw FROM {table} WHERE reject_reason IS NOT NULL ORDER BY _pos"
    ).fetchall()
    return pd.DataFrame(
        {
            "source": pd.Series([source] * len(rows), dtype=object),
            "row_number": pd.Series([pos + 1 for pos, _, _ in rows], dtype="int64"),
            "reason": pd.Series([reason for _, reason, _ in rows], dtype=object),
            "raw": pd.Series(
                [json.dumps(dict(zip(names, raw)), ensure_ascii=False) for _, _, raw in rows], dtype=object
            ),
        }
    )[REJECT_COLUMNS]
