"""Staged files: DuckDB's CSV reader (large files) and the in-place Parquet view stage exactly what the
exact reader (:func:`analytics.ingest.readers.read_case_file`) reads, and a whole import through them
writes the same database; anything DuckDB does not read strictly falls back to the exact reader."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.ingest import staging
from analytics.ingest.pipeline import ImportSpec, run_import
from analytics.ingest.readers import read_case_file
from analytics.ingest.staging import stage_file
from tests.awkward_export import write_files

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def staged_rows(path: Path, fast: bool) -> tuple[str, list[str], list[tuple]]:
    con = duckdb.connect()
    try:
        one = stage_file(con, path, fast_csv_bytes=0 if fast else 1 << 60)
        items = ", ".join(f"c{i}" for i in range(len(one.names)))
        rows = con.execute(f"SELECT _row, {items} FROM {one.view} ORDER BY _pos").fetchall()
        return one.reader, one.names, rows
    finally:
        con.close()


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_duckdb_reads_quoted_delimiters_newlines_quotes_and_empties_like_the_exact_reader(tmp_path):
    path = write(
        tmp_path,
        "awkward.csv",
        'id;note;when\n1;"a; b\nsecond line";2025-01-01\n\n2;;""\n3; spaced ;"say ""hi"""\n4;东华门;x\n',
    )
    reader, names, rows = staged_rows(path, fast=True)
    assert reader == "duckdb_csv" and names == ["id", "note", "when"]
    # worked out by hand: the blank line is no record, "" and an empty field are missing, spaces stay
    assert rows == [
        (1, "1", "a; b\nsecond line", "2025-01-01"),
        (2, "2", None, None),
        (3, "3", " spaced ", 'say "hi"'),
        (4, "4", "东华门", "x"),
    ]
    assert staged_rows(path, fast=False)[2] == rows


@pytest.mark.parametrize(
    "name, text",
    [
        ("short_row.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n"),  # a record with the wrong number of fields
        ("odd_quote_ok.csv", 'a,b\n1,"x\n2,3"\n'),  # a quoted newline DuckDB and the exact reader both accept
        ("mixed_ends.csv", "a,b\n1,2\r\n3,4\n"),
        ("quoted_header.csv", '"a","b"\n1,2\n'),
    ],
)
def test_what_duckdb_does_not_read_strictly_is_read_by_the_exact_reader(tmp_path, name, text):
    path = write(tmp_path, name, text)
    exact = read_case_file(path)
    reader, names, rows = staged_rows(path, fast=True)
    assert names == list(exact.frame.columns)
    expected = [
        (number, *[None if isinstance(v, float) else v for v in values])
        for number, values in zip(exact.row_numbers, exact.frame.itertuples(index=False, name=None))
    ]
    assert rows == expected
    if name == "short_row.csv":
        assert reader == "python"  # and the bad record is kept as a reject by that reader
        assert [r[:2] for r in exact.bad_rows] == [(2, "wrong_field_count")]


def test_gbk_and_a_truncated_file_go_to_the_exact_reader_and_its_errors(tmp_path):
    reader, names, _ = staged_rows(FIXTURES / "gbk_semicolon.csv", fast=True)
    assert reader == "python" and names[0] == "事件编号"
    with pytest.raises(Exception, match="truncated"):
        staged_rows(FIXTURES / "truncated.csv", fast=True)


def test_a_parquet_file_of_text_is_read_in_place_and_other_types_become_text(tmp_path):
    text = tmp_path / "text.parquet"
    pq.write_table(pa.table({"id": ["1", None, "3"], "note": ["", "b", "c"]}), text)
    reader, names, rows = staged_rows(text, fast=True)
    assert reader == "parquet_view" and names == ["id", "note"]
    assert rows == [(1, "1", ""), (2, None, "b"), (3, "3", "c")]
    typed = tmp_path / "typed.parquet"
    pq.write_table(pa.table({"id": [1, 2], "lon": [116.5, None]}), typed)
    reader, _, rows = staged_rows(typed, fast=True)
    exact = read_case_file(typed).frame
    assert reader == "parquet_batches"
    assert rows == [(1, exact.loc[0, "id"], exact.loc[0, "lon"]), (2, exact.loc[1, "id"], None)]


def database(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = ("cases", "rejects", "grids", "categories", "departments", "case_terms", "import_report")
        out = {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    out["meta"] = {k: v for k, v in meta.items() if k not in ("loaded_at", "build_id")}
    return out


def test_an_import_through_duckdb_s_csv_reader_writes_the_same_database(tmp_path, monkeypatch):
    files = write_files(tmp_path)
    spec = dict(cases=[files["cases"]], mapping=files["mapping"], boundaries=None, h3_resolution=8)
    run_import(ImportSpec(db=tmp_path / "exact.duckdb", **spec))
    used = []
    real = staging._stage_csv_duckdb
    monkeypatch.setattr(staging, "FAST_CSV_BYTES", 0)
    monkeypatch.setattr(staging, "_stage_csv_duckdb", lambda *a: used.append(a[1]) or real(*a))
    run_import(ImportSpec(db=tmp_path / "duck.duckdb", **spec))
    assert used == [files["cases"]]
    exact, duck = database(tmp_path / "exact.duckdb"), database(tmp_path / "duck.duckdb")
    assert exact == duck
    # the awkward export's three unusable rows (tests/awkward_export.py ROWS) are rejects, with their raw rows
    assert sorted((r[1], r[2]) for r in duck["rejects"]) == [
        (10, "unparseable_reported_at"),
        (11, "duplicate_id"),
        (12, "missing_id"),
    ]
    assert json.loads(duck["rejects"][1][3])["SR_ID"] == "R1"
