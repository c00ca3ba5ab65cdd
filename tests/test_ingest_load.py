"""``build_atomically``: the new database is written with the row group size asked for after ``prepare``
(``row_group_size_for``: smaller groups for small imports), spills beside the temporary file, and a failure
leaves neither the temporary file nor its spill folder."""

from __future__ import annotations

import duckdb
import pytest

from analytics.ingest import IngestError
from analytics.ingest.load import (
    DEFAULT_ROW_GROUP_SIZE,
    SMALL_ROW_GROUP_SIZE,
    build_atomically,
    row_group_size_for,
    temp_path,
)

ROWS = 2 * SMALL_ROW_GROUP_SIZE + 100


def staged_then_written(seen: dict):
    """``prepare`` stages ROWS rows in a temporary table; ``fill`` copies them into ``t`` and notes settings."""

    def prepare(con):
        con.execute(
            "CREATE TEMP TABLE staged AS SELECT range AS i, 'case ' || range AS label FROM range($n)", {"n": ROWS}
        )

    def fill(con):
        seen["temp_directory"] = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        seen["file"] = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
        seen["file"] = seen["file"].fetchone()[0]
        con.execute("CREATE TABLE t AS SELECT * FROM staged")

    return prepare, fill


def row_groups(path) -> list[int]:
    with duckdb.connect(str(path), read_only=True) as con:  # opened by path, as the app opens it
        assert con.execute("SELECT count(*), sum(i) FROM t").fetchone() == (ROWS, ROWS * (ROWS - 1) // 2)
        return [
            n
            for _, n in con.execute(
                "SELECT row_group_id, max(count) FROM pragma_storage_info('t') WHERE column_name = 'i' "
                "AND segment_type <> 'VALIDITY' GROUP BY ALL ORDER BY 1"
            ).fetchall()
        ]


@pytest.mark.parametrize(
    "asked, groups",
    [
        (SMALL_ROW_GROUP_SIZE, [SMALL_ROW_GROUP_SIZE, SMALL_ROW_GROUP_SIZE, 100]),
        (None, [DEFAULT_ROW_GROUP_SIZE, ROWS - DEFAULT_ROW_GROUP_SIZE]),
    ],
)
def test_the_database_is_written_in_row_groups_of_the_size_asked_after_prepare(tmp_path, asked, groups):
    target = tmp_path / "city.duckdb"
    seen: dict = {}
    prepare, fill = staged_then_written(seen)
    build_atomically(target, fill, {"memory_limit": "500MB"}, prepare=prepare, row_group_size=lambda: asked)
    temporary = temp_path(target)
    assert seen == {"temp_directory": f"{temporary}.tmp", "file": str(temporary)}
    assert row_groups(target) == groups
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.duckdb"]


def test_small_imports_get_the_small_row_groups():
    assert row_group_size_for(121_145) == SMALL_ROW_GROUP_SIZE  # the Boston file
    assert row_group_size_for(2 * DEFAULT_ROW_GROUP_SIZE - 1) == SMALL_ROW_GROUP_SIZE
    assert row_group_size_for(2 * DEFAULT_ROW_GROUP_SIZE) is None
    assert row_group_size_for(999_989) is None


def test_a_failure_in_the_fill_leaves_no_temporary_file_nor_spill_folder(tmp_path):
    target = tmp_path / "city.duckdb"
    target.write_bytes(b"the previous database")

    def fill(con):
        con.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
        con.execute("SELECT error('the disk went away')")

    with pytest.raises(IngestError, match="the disk went away"):
        build_atomically(target, fill, {"memory_limit": "500MB"}, row_group_size=lambda: SMALL_ROW_GROUP_SIZE)
    assert target.read_bytes() == b"the previous database"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.duckdb"]


def test_a_path_with_a_quote_is_attached(tmp_path):
    target = tmp_path / "o'brien" / "city.duckdb"
    build_atomically(
        target, lambda con: con.execute("CREATE TABLE t AS SELECT 1 AS one"), row_group_size=lambda: 61_440
    )
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("SELECT one FROM t").fetchone() == (1,)
    assert sorted(p.name for p in target.parent.iterdir()) == ["city.duckdb"]
