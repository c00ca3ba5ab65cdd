"""The mapping, the rejects and the duplicates of staged files, in DuckDB (no per-row Python).

:func:`map_staged` runs each file's mapping statement (:func:`analytics.ingest.canonical.mapping_sql`)
over its staged view into one temporary table ``mapped`` (``_file``, ``_pos``, the canonical columns,
``reject_reason``), in file and row order. :func:`mark_duplicates_sql` rejects every later occurrence of
a case id across the files (the first is kept), :func:`rejects_frame` gives the rejects exactly as
:func:`analytics.ingest.validate.file_rejects` does, and :func:`accept` keeps the rest as the temporary
table ``accepted`` (still in file and row order; ``_file`` and ``_pos`` name each row).
The same functions serve ``import``, ``import --append`` and ``sync``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.ingest.canonical import mapping_sql, prepare
from analytics.ingest.errors import IngestError
from analytics.ingest.mapping import Mapping
from analytics.ingest.staging import StagedFile, raw_records
from analytics.ingest.validate import REJECT_COLUMNS

KEY_SHIFT = 1 << 40  # _file * KEY_SHIFT + _pos: one number per row, in file and row order


def map_staged(
    con: duckdb.DuckDBPyConnection, staged: list[StagedFile], mapping: Mapping, table: str = "mapped"
) -> list[str]:
    """Create the temporary ``table`` (our own name) of every staged row mapped; return the notes."""
    notes: list[str] = []
    for i, one in enumerate(staged):
        fitted, used, file_notes = prepare(mapping, one.names, one.name)
        notes += file_notes
        statement = mapping_sql(fitted, used, one.names, source=one.view)
        verb = f"INSERT INTO {table} BY NAME" if i else f"CREATE TEMP TABLE {table} AS"
        try:
            con.execute(f"{verb} SELECT {int(i)} AS _file, * FROM ({statement})")
        except duckdb.Error as exc:
            raise IngestError(f"{one.name}: the mapping cannot be applied: {exc}") from None
    return notes


def mark_duplicates_sql(con: duckdb.DuckDBPyConnection, table: str = "mapped") -> int:
    """Reject every later occurrence of a case id (files in order, rows in order); return how many."""
    con.execute(  # the one pass over every id; the few repeated ones are kept for the step below
        f"CREATE OR REPLACE TEMP TABLE repeated_ids AS SELECT case_id FROM {table} WHERE reject_reason IS NULL "
        "GROUP BY case_id HAVING count(*) > 1"
    )
    if not con.execute("SELECT count(*) FROM repeated_ids").fetchone()[0]:
        con.execute("DROP TABLE repeated_ids")
        return 0
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE later_copies AS SELECT _file, _pos FROM ("
        f"  SELECT _file, _pos, row_number() OVER (PARTITION BY case_id ORDER BY _file, _pos) AS n"
        f"  FROM {table} WHERE reject_reason IS NULL AND case_id IN (SELECT case_id FROM repeated_ids)"
        ") WHERE n > 1"
    )
    con.execute("DROP TABLE repeated_ids")
    con.execute(
        f"UPDATE {table} SET reject_reason = 'duplicate_id' FROM later_copies d "
        f"WHERE {table}._file = d._file AND {table}._pos = d._pos"
    )
    count = con.execute("SELECT count(*) FROM later_copies").fetchone()[0]
    con.execute("DROP TABLE later_copies")
    return count


def rejects_frame(
    con: duckdb.DuckDBPyConnection, staged: list[StagedFile], table: str = "mapped", first_row: int = 0
) -> pd.DataFrame:
    """Every rejected row (``source``, ``row_number``, ``reason``, ``raw``): per file in row order, the
    reader's bad records among them. ``first_row`` is added to the row numbers (a sync's stream)."""
    parts = []
    for i, one in enumerate(staged):
        where = f"FROM {table} WHERE _file = {int(i)} AND reject_reason IS NOT NULL"
        reasons = dict(con.execute(f"SELECT _pos, reject_reason {where}").fetchall())
        records = raw_records(con, one, f"SELECT _pos {where}") if reasons else []
        frame = pd.DataFrame(
            {
                "source": one.name,
                "row_number": pd.Series([n + first_row for _, n, _ in records], dtype="int64"),
                "reason": pd.Series([reasons[p] for p, _, _ in records], dtype=object),
                "raw": pd.Series([r for _, _, r in records], dtype=object),
            }
        )
        bad = pd.DataFrame(one.bad_rows, columns=["row_number", "reason", "raw"]).assign(source=one.name)
        bad["row_number"] = bad["row_number"] + first_row
        both = pd.concat([frame, bad[REJECT_COLUMNS]], ignore_index=True).astype({"row_number": "int64"})
        parts.append(both.sort_values("row_number", kind="stable", ignore_index=True))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row_number" else object) for c in REJECT_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def accept(con: duckdb.DuckDBPyConnection, table: str = "mapped", target: str = "accepted") -> int:
    """The rows of ``table`` without a reject reason become the temporary table ``target`` (``table`` is
    gone after): renamed when nothing was rejected, no copy. Returns their count."""
    rejected = con.execute(f"SELECT count(reject_reason) FROM {table}").fetchall()[0][0]
    if rejected:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT * FROM {table} WHERE reject_reason IS NULL")
        con.execute(f"DROP TABLE {table}")
    else:
        con.execute(f"DROP TABLE IF EXISTS {target}")
        con.execute(f"ALTER TABLE {table} RENAME TO {target}")
    return con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]


def accept_in_place(con: duckdb.DuckDBPyConnection, table: str = "mapped", target: str = "accepted") -> int:
    """Like :func:`accept`, without copying the kept rows: the rejected ones are deleted from ``table``,
    which is renamed ``target``. Its row ids then have gaps, so ``target`` suits a join by value (the
    import's :func:`analytics.ingest.staged_points.insert_cases`), not a positional one. Returns the count."""
    con.execute(f"DELETE FROM {table} WHERE reject_reason IS NOT NULL")
    con.execute(f"DROP TABLE IF EXISTS {target}")
    con.execute(f"ALTER TABLE {table} RENAME TO {target}")
    return con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
