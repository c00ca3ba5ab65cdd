"""The sync's streamed mapping (analytics/sync/streamed.py): the rows of a stream read once, mapped as
they come, the rejects with their record numbers and raw rows exactly as the staged path gives them."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from analytics.ingest.errors import IngestError
from analytics.ingest.mapping import load_mapping
from analytics.ingest.staged_map import map_staged, rejects_frame
from analytics.ingest.staging import stage_file
from analytics.sync.streamed import map_stream, stream_rejects

NAMES = ["case_id", "kind", "reported_at", "status", "description"]
ROWS = [
    ["A-1", "demand", "2026-11-01 08:00:00", "closed", "路灯不亮"],
    ["B-2", "bogus", "2026-11-01 09:00:00", "filed", 'a "quoted", text'],
    ["C-3", "demand", "", "filed", ""],
    ["D-4", "demand", "2026-11-02 10:30:00", "filed", None],
]


def _csv_field(value: str | None) -> str:
    if value is None:
        return ""  # PostgreSQL's COPY … CSV: a NULL is an empty unquoted field ...
    return '"' + value.replace('"', '""') + '"'  # ... and a text (even empty) may be quoted


def _stream_file(tmp_path):
    """The stream as the sync's COPY writes it: a header, then the record number and the values."""
    lines = [",".join(["_pos", *NAMES])]
    lines += [",".join([str(pos), *(_csv_field(v) for v in row)]) for pos, row in enumerate(ROWS)]
    path = tmp_path / "stream.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_stream_mapped_and_rejects_numbered_with_raw_rows(tmp_path):
    con = duckdb.connect()
    rows = map_stream(con, _stream_file(tmp_path), NAMES, load_mapping("canonical"), "sync:cases", "m")
    assert rows == 4
    accepted = con.execute("SELECT case_id, kind, status FROM m WHERE reject_reason IS NULL ORDER BY _pos").fetchall()
    assert accepted == [("A-1", "demand", "closed"), ("D-4", "demand", "filed")]
    rejects = stream_rejects(con, "m", NAMES, "sync:cases")
    # by hand: B-2 is the 2nd record (invalid kind), C-3 the 3rd (no report time); raw rows as given,
    # the empty description kept as an empty text, not a null
    assert rejects["row_number"].tolist() == [2, 3]
    assert rejects["reason"].tolist() == ["invalid_kind", "missing_reported_at"]
    assert rejects["source"].tolist() == ["sync:cases", "sync:cases"]
    assert json.loads(rejects["raw"][0]) == dict(zip(NAMES, ROWS[1]))
    assert json.loads(rejects["raw"][1]) == {**dict(zip(NAMES, ROWS[2])), "description": ""}
    assert rejects["raw"][1] == json.dumps(dict(zip(NAMES, ROWS[2])), ensure_ascii=False)


def test_stream_rejects_equal_the_staged_paths(tmp_path):
    """The same rows through the import's staged path (a file staged, then mapped) give the same rejects."""
    path = _stream_file(tmp_path)
    con = duckdb.connect()
    map_stream(con, path, NAMES, load_mapping("canonical"), "sync:cases", "m")
    streamed = stream_rejects(con, "m", NAMES, "stream.csv")
    plain = tmp_path / "plain.csv"
    plain.write_text(
        "\n".join([",".join(NAMES), *(",".join(_csv_field(v) for v in row) for row in ROWS)]) + "\n", encoding="utf-8"
    )
    staged = stage_file(con, plain, fast_csv_bytes=0, quoted_nulls=False)
    map_staged(con, [staged], load_mapping("canonical"), table="s")
    staged_rejects = rejects_frame(con, [staged], "s")
    assert streamed[["row_number", "reason", "raw"]].equals(staged_rejects[["row_number", "reason", "raw"]])


def test_unreadable_stream_is_a_clear_error(tmp_path):
    path = tmp_path / "stream.csv"
    path.write_text(",".join(["_pos", *NAMES]) + '\n0,A-1,demand,"never closed\n', encoding="utf-8")
    con = duckdb.connect()
    with pytest.raises(IngestError, match="sync:cases: the streamed rows cannot be read"):
        map_stream(con, path, NAMES, load_mapping("canonical"), "sync:cases", "m")
    assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'm'").fetchone()[0]


def test_changed_rows_found_by_hash():
    """changed_sql on hand-built rows: equal rows are left out, any one differing value (a NULL against a
    value too) makes a row changed, and _same_text says whether the description and report time stayed."""
    from analytics.sync.compose import changed_sql

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE live_cases (case_id TEXT, status TEXT, rework_count INTEGER, lon DOUBLE, "
        "reported_at TIMESTAMP, description TEXT)"
    )
    con.execute("CREATE TABLE latest AS SELECT *, 0::BIGINT AS _seq FROM live_cases WHERE false")
    same = ("2026-11-01 08:00:00", "路灯不亮")
    con.executemany(
        "INSERT INTO live_cases VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("A", "closed", 0, 120.1, *same),
            ("B", "filed", 0, None, *same),
            ("D", "filed", 0, 120.1, *same),
            ("E", "filed", 1, 120.1, *same),
        ],
    )
    con.executemany(
        "INSERT INTO latest VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ("A", "closed", 0, 120.1, *same, 10),  # equal: not changed
            ("B", "filed", 0, 120.2, *same, 11),  # a NULL became a value
            ("C", "filed", 0, 120.1, *same, 12),  # new case
            ("D", "filed", 0, 120.1, same[0], "路灯又坏了", 13),  # the text changed
            ("E", "closed", 1, 120.1, *same, 14),  # the status changed, the text did not
        ],
    )
    values = ["status", "rework_count", "lon", "reported_at", "description"]
    for statement in changed_sql(values):
        con.execute(statement)
    rows = con.execute("SELECT case_id, _same_text FROM changed ORDER BY case_id").fetchall()
    assert rows == [("B", True), ("C", False), ("D", False), ("E", True)]
    # the view gives the changed rows whole (without the row number), as the layer stores them
    assert con.execute("SELECT * FROM changed WHERE case_id = 'D'").fetchall() == [
        ("D", "filed", 0, 120.1, dt.datetime(2026, 11, 1, 8), "路灯又坏了", False)
    ]
    assert [r[0] for r in con.execute("DESCRIBE changed").fetchall()][-2:] == ["description", "_same_text"]
