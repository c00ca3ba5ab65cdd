"""``build_atomically``: the new database is attached with row groups of ``ROW_GROUP_SIZE`` rows, spills beside
the temporary file, and a failure leaves neither the temporary file nor its spill folder."""

from __future__ import annotations

import duckdb
import pytest

from analytics.ingest import IngestError
from analytics.ingest.load import ROW_GROUP_SIZE, build_atomically, temp_path


def test_the_database_is_written_in_row_groups_of_row_group_size(tmp_path):
    target = tmp_path / "city.duckdb"
    rows = 2 * ROW_GROUP_SIZE + 100
    seen = {}

    def fill(con):
        seen["temp_directory"] = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        seen["file"] = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
        seen["file"] = seen["file"].fetchone()[0]
        con.execute("CREATE TABLE t AS SELECT range AS i, 'case ' || range AS label FROM range($n)", {"n": rows})

    build_atomically(target, fill, {"memory_limit": "500MB"})
    temporary = temp_path(target)
    assert seen == {"temp_directory": f"{temporary}.tmp", "file": str(temporary)}
    with duckdb.connect(str(target), read_only=True) as con:  # opened by path, as the app opens it
        assert con.execute("SELECT count(*), sum(i) FROM t").fetchone() == (rows, rows * (rows - 1) // 2)
        sizes = con.execute(
            "SELECT row_group_id, max(count) FROM pragma_storage_info('t') WHERE column_name = 'i' "
            "AND segment_type <> 'VALIDITY' GROUP BY ALL ORDER BY 1"
        ).fetchall()
    assert [n for _, n in sizes] == [ROW_GROUP_SIZE, ROW_GROUP_SIZE, 100]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.duckdb"]


def test_a_failure_in_the_fill_leaves_no_temporary_file_nor_spill_folder(tmp_path):
    target = tmp_path / "city.duckdb"
    target.write_bytes(b"the previous database")

    def fill(con):
        con.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
        con.execute("SELECT error('the disk went away')")

    with pytest.raises(IngestError, match="the disk went away"):
        build_atomically(target, fill, {"memory_limit": "500MB"})
    assert target.read_bytes() == b"the previous database"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.duckdb"]


def test_a_path_with_a_quote_is_attached(tmp_path):
    target = tmp_path / "o'brien" / "city.duckdb"
    build_atomically(target, lambda con: con.execute("CREATE TABLE t AS SELECT 1 AS one"))
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("SELECT one FROM t").fetchone() == (1,)
    assert sorted(p.name for p in target.parent.iterdir()) == ["city.duckdb"]
