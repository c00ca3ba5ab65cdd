"""The case-day counts (``analytics.casedays``) give exactly the plain numbers (docs/performance.md, issue 16).

- a six-case city whose period pair is worked out by hand (backlog at each period's end, suspended cases, a
  dispute reported at exactly the midnight the dispute window turns on);
- every filter set of ``tests/test_period_pair.py`` on a city with planted out-of-order cases and cases outside
  every grid, on the file and on a live connection, with the default configuration and with suspended cases
  counted as overdue; a category filter and another dispute window fall back to ``cases``;
- a live connection after a real PostgreSQL sync that adds, changes and deletes cases;
- a table left stale by a writer, or missing (an older database), is not used; the command adds or drops it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest

from analytics import metrics, period_pair
from analytics.casedays import build, read
from analytics.casedays.live import BASIS, CORRECTION, NEEDED, NONZERO, change_sql
from analytics.config import load_config
from analytics.filters import Filters
from analytics.ingest.mapping import load_mapping
from analytics.schema import create_schema, write_meta
from analytics.sync import generations
from analytics.sync.compact import compact
from analytics.sync.feed import Feed
from analytics.sync.layers import layer_files
from analytics.sync.live import open_live
from analytics.sync.run import sync_once
from tests.test_period_pair import assert_pair_is_plain, awkward_city, pair_sets  # noqa: F401  (fixture)
from tests.test_sync import EXACT, pg_server, upstream  # noqa: F401  (fixtures)

JAN = Filters(dt.date(2025, 1, 1), dt.date(2025, 2, 1))

# case_id, kind, reported, filed, due, closed, status, resolution_level
SIX_CASES = [
    ("A", "demand", "2024-12-20 10:00", "2024-12-20 11:00", "2024-12-25 00:00", None, "dispatched", None),
    ("B", "demand", "2025-01-03 09:00", "2025-01-03 10:00", "2025-01-10 00:00", "2025-01-08 09:00", "closed", None),
    ("C", "incident", "2024-12-28 09:00", "2024-12-28 09:30", "2025-01-05 00:00", "2025-01-20 09:00", "closed", None),
    ("D", "dispute", "2025-01-15 00:00", "2025-01-15 08:00", "2025-01-30 00:00", "2025-01-20 12:00", "closed", "grid"),
    ("E", "demand", "2025-01-10 09:00", "2025-01-10 09:00", "2025-01-12 00:00", None, "suspended", None),
    ("F", "demand", "2025-01-05 09:00", None, None, None, "cancelled", None),
]


def six_case_city(path, dispute_days: int) -> None:
    con = duckdb.connect(str(path))
    try:
        create_schema(con)
        con.execute("INSERT INTO grids (grid_id, grid_name, street_id, population) VALUES ('G1', 'one', 'S1', 1000)")
        for case_id, kind, reported, filed, due, closed, status, level in SIX_CASES:
            con.execute(
                """INSERT INTO cases (case_id, kind, grid_id, reported_at, filed_at, due_at, closed_at, status,
                                      resolution_level, rework_count)
                   VALUES ($1, $2, 'G1', $3, $4, $5, $6, $7, $8, 0)""",
                [case_id, kind, reported, filed, due, closed, status, level],
            )
        write_meta(con, {"dataset": "six", "data_start": "2024-12-01", "data_end": "2025-02-01"})
        build.build(con, dispute_days)
    finally:
        con.close()


@pytest.mark.parametrize("dispute_days", [30, 17])
def test_six_cases_worked_out_by_hand(tmp_path, dispute_days):
    path = tmp_path / "six.duckdb"
    six_case_city(path, dispute_days)
    cfg = {"metrics": {"exclude_suspended": True, "dispute_window_days": dispute_days}}
    with duckdb.connect(str(path), read_only=True) as con:
        assert read.usable(con, JAN, cfg)
        pair = period_pair.summaries_and_grids(con, JAN, cfg)
        assert_fast_is_plain(con, con, JAN, cfg)
    now, before = pair.current, pair.previous
    # January: reported B D E F; filed B D E (F cancelled); closed B C D, on time B D (C was due 5 Jan);
    # open overdue at 1 Feb: A (E is suspended: apart, 1 Feb - 12 Jan = 20 days)
    assert (now["reported"], now["filed"], now["closed"], now["closed_on_time"]) == (4, 3, 3, 2)
    assert (now["open_overdue"], now["suspended_overdue"], now["suspended_overdue_max_days"]) == (1, 1, 20.0)
    assert (now["due_to_close"], now["closure_rate"], now["to_judge"]) == (4, 0.75, 5)  # to judge: + E open
    assert (now["disputes_received"], now["disputes_resolved"], now["disputes_resolved_local"]) == (1, 1, 1)
    # D was reported at 15 Jan 00:00; the window of 17 days ends at exactly the data end (1 Feb): closed
    assert now["disputes_window_open"] == (1 if dispute_days == 30 else 0)
    # handling hours (closed - filed) of B 4 d 23 h = 119 h, C 22 d 23.5 h = 551.5 h, D 5 d 4 h = 124 h
    assert now["median_handling_hours"] == 124.0
    # December: reported A C, filed A C, nothing closed; at 1 Jan A is overdue (due 25 Dec), C not yet (5 Jan)
    assert (before["reported"], before["filed"], before["closed"], before["open_overdue"]) == (2, 2, 0, 1)
    assert (before["due_to_close"], before["to_judge"], before["median_handling_hours"]) == (1, 2, None)


@pytest.fixture(scope="module")
def counted_city(awkward_city, tmp_path_factory):  # noqa: F811
    """The planted city of ``tests/test_period_pair.py`` with its case-day counts rebuilt after the planting."""
    path = tmp_path_factory.mktemp("casedays") / "counted.duckdb"
    shutil.copy(awkward_city, path)
    with duckdb.connect(str(path)) as con:
        build.build(con, 30)
    return path


SUSPENDED_COUNT = {"metrics": {"exclude_suspended": False, "dispute_window_days": 30}}


def plain_summary(con, f: Filters, cfg: dict | None) -> dict:
    """:func:`metrics.summary` by its one-row query over ``cases`` (never the case-day counts)."""
    sql, params = metrics.summary_query(con, f, cfg, metrics.out_of_order_kept(con))
    return metrics.summary_from_row(con, f, con.execute(sql, params).fetchone(), cfg)


def plain_by_area(con, f: Filters, level: str, cfg: dict | None) -> pd.DataFrame:
    """:func:`metrics.by_area` by its grouped query over ``cases`` (never the case-day counts)."""
    sql, params = metrics.by_area_query(con, f, level, cfg, metrics.out_of_order_kept(con))
    return metrics.area_frame(con.execute(sql, params).df(), cfg)


def assert_fast_is_plain(con, plain, f: Filters, cfg: dict | None) -> None:
    """The pair, :func:`metrics.summary` and :func:`metrics.by_area` on ``con`` equal the plain queries on
    ``plain`` (the same cases)."""
    pair = period_pair.summaries_and_grids(con, f, cfg)
    for period, summary, areas in ((f, pair.current, pair.areas), (f.previous(), pair.previous, pair.previous_areas)):
        expected = plain_summary(plain, period, cfg)
        assert summary == expected, period
        assert metrics.summary(con, period, cfg) == expected, period
        pd.testing.assert_frame_equal(areas, plain_by_area(plain, period, "grid", cfg))
    for level in ("grid", "street", "district"):
        pd.testing.assert_frame_equal(metrics.by_area(con, f, level, cfg), plain_by_area(plain, f, level, cfg))


@pytest.mark.parametrize("cfg", [None, SUSPENDED_COUNT], ids=["default", "suspended_counted"])
@pytest.mark.parametrize("live", [False, True], ids=["file", "live"])
def test_pair_from_case_days_equals_plain(counted_city, live, cfg):
    check_every_pair_set(counted_city, live, cfg, assert_fast_is_plain)


@contextlib.contextmanager
def file_and_live(city, live: bool):
    """``(con, plain)``: the city file read only, and ``con`` that file or a live connection on it; both closed."""
    plain = duckdb.connect(str(city), read_only=True)
    con = open_live(city) if live else plain
    try:
        yield con, plain
    finally:
        plain.close()
        if live:
            con.close()


def check_every_pair_set(city, live: bool, cfg: dict | None, check) -> None:
    """``check(con, plain, f, cfg)`` for every filter of :func:`pair_sets`, ``con`` the file or a live connection
    (``case_days`` usable for each)."""
    with file_and_live(city, live) as (con, plain):
        sets = pair_sets(plain)
        assert all(read.usable(con, f, cfg) for f in sets)
        for f in sets:
            check(con, plain, f, cfg)


def test_dimensions_the_table_lacks_fall_back_to_cases(counted_city):
    with duckdb.connect(str(counted_city), read_only=True) as con:
        major, code, source = con.execute(
            "SELECT category_major, category_code, source FROM cases WHERE reported_at >= '2025-12-01' LIMIT 1"
        ).fetchone()
        other_window = {"metrics": {"exclude_suspended": True, "dispute_window_days": 10}}
        assert not read.usable(con, dataclasses.replace(JAN, category=code))
        assert not read.usable(con, JAN, other_window)
        for f in (
            Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1), category_major=major),
            Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1), category=code, kind="demand"),
            Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1), source=source),
        ):
            assert not read.usable(con, f)
            assert_pair_is_plain(period_pair.summaries_and_grids(con, f), con, f)
        f = Filters(dt.date(2025, 11, 1), dt.date(2026, 1, 1))
        pair = period_pair.summaries_and_grids(con, f, other_window)
        assert pair.current == plain_summary(con, f, other_window)


def assert_unused_on_file_and_live(path, f: Filters) -> None:
    """The case-day counts at ``path`` are not used, on the file and on a live connection, and both give the
    plain numbers."""
    with duckdb.connect(str(path), read_only=True) as con:
        assert not read.usable(con, f)
        assert_pair_is_plain(period_pair.summaries_and_grids(con, f), con, f)
    live = open_live(path)
    try:
        assert not read.usable(live, f)
        assert_pair_is_plain(period_pair.summaries_and_grids(live, f), live, f)
    finally:
        live.close()


def test_a_stale_or_missing_table_is_not_used(counted_city, tmp_path):
    path = tmp_path / "stale.duckdb"
    shutil.copy(counted_city, path)
    f = Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    with duckdb.connect(str(path)) as con:  # a writer adds a case and does not rebuild the table
        con.execute(
            "INSERT INTO cases SELECT * REPLACE ('LATE-1' AS case_id) FROM cases"
            " WHERE reported_at >= '2025-12-02' ORDER BY case_id LIMIT 1"
        )
    assert_unused_on_file_and_live(path, f)
    assert build.main(["--db", str(path), "--drop"]) == 0  # an older database: no table at all
    with duckdb.connect(str(path), read_only=True) as con:
        assert not read.usable(con, f)
        assert con.execute("SELECT count(*) FROM meta WHERE key LIKE 'case_days%'").fetchone()[0] == 0
    assert build.main(["--db", str(path)]) == 0  # the command adds it
    with duckdb.connect(str(path), read_only=True) as con:
        assert read.usable(con, f)
        assert_fast_is_plain(con, con, f, None)


def test_a_table_of_an_older_format_is_not_used_and_the_app_still_opens(counted_city, tmp_path):
    # a database whose case_days was built before a column was added (out_of_order, here): the live connection
    # the app opens used to fail on it ("column not found"); it now reads cases until the table is rebuilt
    path = tmp_path / "older.duckdb"
    shutil.copy(counted_city, path)
    with duckdb.connect(str(path)) as con:
        con.execute(f"ALTER TABLE {build.TABLE} DROP COLUMN out_of_order")
    f = Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    with duckdb.connect(str(path), read_only=True) as con:
        assert not build.has_every_column(con)
    assert_unused_on_file_and_live(path, f)
    assert build.main(["--db", str(path)]) == 0  # rebuilt: used again
    with duckdb.connect(str(path), read_only=True) as con:
        assert build.has_every_column(con) and read.usable(con, f)


def test_demo_build_writes_case_days(demo_con):
    meta = dict(demo_con.execute("SELECT key, value FROM meta WHERE key LIKE 'case_days%'").fetchall())
    cases = demo_con.execute("SELECT count(*) FROM cases").fetchone()[0]
    assert meta == {build.META_DISPUTE_DAYS: "30", build.META_CASES: str(cases)}
    # every report is counted once, under its day
    assert demo_con.execute(f"SELECT sum(reported) FROM {build.TABLE}").fetchone()[0] == cases


def dispatched_ids(conn, table: str, count: int) -> list[str]:
    """The first ``count`` upstream cases (by id) that are dispatched: open, so a status change moves them."""
    sql = f"""SELECT case_id FROM "{table}" WHERE status = 'dispatched' ORDER BY case_id LIMIT %s"""
    return [row[0] for row in conn.execute(sql, (count,)).fetchall()]


def test_live_case_days_after_a_sync_that_adds_changes_and_deletes(upstream):  # noqa: F811
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    feed = Feed(conn, source.table, db, seed=5)
    feed.report(3)
    ids = dispatched_ids(conn, source.table, 3)
    feed.set_status(ids[0], "closed", dt.datetime(2025, 12, 30, 12, 0))
    feed.set_status(ids[1], "cancelled", dt.datetime(2025, 12, 30, 12, 0))
    conn.execute(f'DELETE FROM "{source.table}" WHERE case_id = %s', (ids[2],))
    conn.commit()
    second = sync_once(db, source, mapping, EXACT)
    assert second.rows_deleted == 1 and second.rows_changed >= 5
    con = open_live(db)
    try:
        corrections = con.execute(f"SELECT count(*) FROM {CORRECTION}").fetchone()[0]
        assert corrections > 0, "the sync changed nothing the table counts: the comparison proves nothing"
        cfg = load_config()
        sets = [Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1)), *pair_sets(con)[:6]]
        for f in sets:
            assert read.usable(con, f, cfg)
            assert_fast_is_plain(con, con, f, cfg)  # the live cases (a view) are the plain truth
    finally:
        con.close()


def read_state_of(db) -> dict[str, str]:
    with duckdb.connect(str(generations.current(db)), read_only=True) as con:
        return dict(con.execute("SELECT key, value FROM sync_state").fetchall())


def correction_kind(con) -> str:
    """How the live connection holds its correction: a "view" over the layers' stored ones, or a "table" it
    counted itself when it opened."""
    views = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = $n", {"n": CORRECTION}).fetchone()[0]
    return "view" if views else "table"


def assert_live_is_plain(db) -> str:
    con = open_live(db)
    try:
        cfg = load_config()
        for f in [Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1)), *pair_sets(con)[:4]]:
            assert read.usable(con, f, cfg)
            assert_fast_is_plain(con, con, f, cfg)
        return correction_kind(con)
    finally:
        con.close()


def stored_in(db) -> list[bool]:
    """For each layer of the current generation, oldest first: whether it stores its correction (for 30 days)."""
    folder, stored = generations.live_dir(db), []
    for name in layer_files(read_state_of(db)):
        with duckdb.connect(str(folder / name), read_only=True) as layer:
            tables = {row[0] for row in layer.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            has = {CORRECTION, BASIS} <= tables
            assert not has or layer.execute(f"SELECT dispute_days FROM {BASIS}").fetchall() == [(30,)]
            stored.append(has)
    return stored


def test_each_layer_stores_its_correction_and_compaction_sums_them(upstream):  # noqa: F811
    """The sync writes each layer's case-day correction (its rows +1, the versions they replace -1); a reader
    unions them, compaction sums them; a case changed in two layers is counted once, in its newest version; a
    layer over ``correction_rows`` cases is published without one and compacted at once into one that has it;
    a layer without one (older code) is counted by the reader."""
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    options = dataclasses.replace(EXACT, max_layers=3, correction_rows=4)
    sync_once(db, source, mapping, dataclasses.replace(options, correction_rows=10**9))  # every case rewritten
    feed = Feed(conn, source.table, db, seed=7)
    feed.report(2)
    ids = dispatched_ids(conn, source.table, 4)
    feed.set_status(ids[0], "closed", dt.datetime(2025, 12, 30, 12, 0))
    feed.set_status(ids[1], "suspended", dt.datetime(2025, 12, 30, 12, 0))
    assert sync_once(db, source, mapping, options).rows_changed == 4
    assert stored_in(db) == [True, True]
    assert assert_live_is_plain(db) == "view"  # stored corrections read, none counted at open
    # the same cases again (the new layer's correction must undo the last layer's version, not the base's),
    # a deletion and new reports: 6 cases, over the limit of 4
    feed.set_status(ids[0], "cancelled", dt.datetime(2025, 12, 31, 9, 0))
    feed.set_status(ids[1], "closed", dt.datetime(2025, 12, 31, 9, 0))
    conn.execute(f'DELETE FROM "{source.table}" WHERE case_id = %s', (ids[2],))
    conn.commit()
    feed.report(3)
    sync_once(db, source, mapping, options)
    assert stored_in(db) == [True]  # published without it, then compacted at once into a layer that stores it
    assert assert_live_is_plain(db) == "view"
    feed.set_status(ids[3], "closed", dt.datetime(2025, 12, 31, 10, 0))
    feed.set_status(ids[0], "closed", dt.datetime(2025, 12, 31, 11, 0))  # back from cancelled
    sync_once(db, source, mapping, options)
    assert stored_in(db) == [True, True]
    assert compact(db, options) == 2  # every layer stored: compaction sums them
    assert stored_in(db) == [True]
    assert assert_live_is_plain(db) == "view"
    # a layer written before corrections were stored: the reader counts the delta itself, same numbers
    (merged,) = layer_files(read_state_of(db))
    with duckdb.connect(str(generations.live_dir(db) / merged)) as layer:
        layer.execute(f"DROP TABLE {CORRECTION}")
    assert assert_live_is_plain(db) == "table"


def test_case_days_reads_only_the_needed_columns(counted_city):
    """``change_sql`` passes only :data:`NEEDED` on: a column case_days reads beyond them fails to bind here."""
    with duckdb.connect(str(counted_city), read_only=True) as con:
        columns = ", ".join(NEEDED)
        narrow = f"(SELECT {columns} FROM cases)"
        none = f"(SELECT {columns} FROM cases WHERE false)"
        changed = con.execute(f"SELECT * FROM ({change_sql(narrow, none, 30)}) ORDER BY ALL").df()
        stored = con.execute(f"SELECT * FROM {build.TABLE} WHERE {NONZERO} ORDER BY ALL").df()
    assert len(stored) > 0
    pd.testing.assert_frame_equal(changed, stored)


def without_case_days(path, folder):
    copy = folder / "plain.duckdb"
    shutil.copy(path, copy)
    with duckdb.connect(str(copy)) as con:
        build.drop(con)
    return copy


def test_trend_and_reported_by_area_from_case_days_equal_plain(counted_city, tmp_path):
    from analytics import trends

    plain_path = without_case_days(counted_city, tmp_path)
    with duckdb.connect(str(counted_city), read_only=True) as con, duckdb.connect(str(plain_path)) as plain:
        seen = 0
        for f in pair_sets(plain):
            assert read.usable(con, f) and not read.usable(plain, f)
            for grain, split in (("week", "kind"), ("day", "none"), ("month", "kind")):
                fast = trends.series(con, f, grain, split)
                pd.testing.assert_frame_equal(fast, trends.series(plain, f, grain, split))
                seen += int(fast["reported"].sum())
            for level in ("grid", "street"):
                fast = metrics.reported_by_area(con, f, level)
                pd.testing.assert_frame_equal(fast, metrics.reported_by_area(plain, f, level))
        assert seen > 0, "no report in any filter set: the comparison proved nothing"


def test_live_connection_keeps_the_out_of_order_cases_counted_by_case_days(counted_city):
    with duckdb.connect(str(counted_city), read_only=True) as plain:
        expected = plain.execute(
            f"SELECT case_id FROM cases c WHERE {metrics.OUT_OF_ORDER} ORDER BY case_id"
        ).fetchall()
        counted = plain.execute(f"SELECT sum(out_of_order) FROM {build.TABLE}").fetchone()[0]
    con = open_live(counted_city)
    try:
        kept = con.execute(f"SELECT case_id FROM {metrics.OUT_OF_ORDER_TABLE} ORDER BY case_id").fetchall()
    finally:
        con.close()
    assert counted == len(expected) >= 19  # 12 closed and 7 filed before they were reported, planted
    assert kept == expected


def test_every_column_comes_from_one_event_so_max_is_the_sum():
    """``case_days_sql`` combines the events' rows with ``max``: right only while each column is counted
    under one event (one row per key in it). A column listed under two events would make max differ from
    the sum; this fails then."""
    names = [name for columns in build.EVENTS.values() for name in columns] + list(build.TENTHS)
    assert len(names) == len(set(names))
    con = duckdb.connect()
    create_schema(con)
    # two cases of one grid, kind and day: reported and closed the same day, so every event adds 2 to its key
    for case_id in ("a", "b"):
        con.execute(
            "INSERT INTO cases (case_id, kind, grid_id, reported_at, filed_at, due_at, closed_at, status, rework_count)"
            " VALUES ($1, 'demand', 'G', '2025-01-02 08:00', '2025-01-02 09:00', '2025-01-02 20:00',"
            " '2025-01-02 10:00', 'closed', 0)",
            [case_id],
        )
    row = con.execute(f"SELECT reported, closed, closed_on_time, open_net FROM ({build.case_days_sql('cases')})")
    assert row.fetchall() == [(2, 2, 2, 0)]  # 2 filed - 2 filed-and-closed the same day


def test_two_builds_write_the_same_rows_in_the_same_order(tmp_path):
    """The table is ordered by day, then grid and kind: a rebuild of the same cases is identical row for row
    (ordered by day alone, rows of one day came out in the hash table's order and differed between builds)."""
    con = duckdb.connect(str(tmp_path / "order.duckdb"))
    create_schema(con)
    con.execute(
        "INSERT INTO cases (case_id, kind, grid_id, reported_at, filed_at, closed_at, status, rework_count) "
        "SELECT 'c' || i, ['demand', 'incident'][1 + i % 2], 'G' || (i % 97), "
        "TIMESTAMP '2025-01-01' + INTERVAL (i % 40) DAY, TIMESTAMP '2025-01-01' + INTERVAL (i % 40) DAY, "
        "TIMESTAMP '2025-01-03' + INTERVAL (i % 40) DAY, 'closed', 0 FROM range(20000) t(i)"
    )
    first = (build.build(con), con.execute("SELECT * FROM case_days").fetchall())
    second = (build.build(con), con.execute("SELECT * FROM case_days").fetchall())
    assert first == second
    keys = [(row[2], row[0], row[1]) for row in first[1]]  # day, grid_id, kind
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
