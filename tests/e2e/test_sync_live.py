"""The live path end to end: PostgreSQL upstream → ``sync --watch`` → a running app, in Chromium.

A case inserted upstream shows within ``--every`` + 10 s without a reload; a closure changes the
closure rate; a cancelled case leaves the closure count and a deleted case the reported count; a
failed sync turns the freshness badge red while the page keeps its numbers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from analytics.ingest.mapping import load_mapping
from analytics.sync.errors import SyncError
from analytics.sync.feed import seed_from_db
from analytics.sync.run import SyncOptions, sync_once
from analytics.sync.source import Source
from scripts.browser import ERROR_BOX, EXCEPTION, open_page, page_url, start_app, stop_app
from tests.pgserver import free_port, postgres_fixture

pytestmark = pytest.mark.e2e
pg_server = postgres_fixture()
ROOT = Path(__file__).resolve().parents[2]
EVERY = 3.0
BUDGET = EVERY + 10.0
DAY = "2025-12-31"  # the last day of the e2e demo city
TABLE = "cases_e2e"
OPEN_TIMEOUT = 180_000  # the first run of a page on a loaded shared machine


@pytest.fixture(scope="module")
def live_app(pg_server, e2e_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    db = folder / "live.duckdb"
    shutil.copy(e2e_db, db)
    conn = psycopg.connect(pg_server.url)
    seed_from_db(conn, db, TABLE)
    source = Source(pg_server.url, TABLE)
    sync_once(db, source, load_mapping("canonical"), SyncOptions(reconcile_seconds=0))
    config = folder / "gridscope.toml"
    text = (ROOT / "data" / "gridscope.toml").read_text(encoding="utf-8")
    config.write_text(text.replace("refresh_seconds = 30 ", "refresh_seconds = 3 "), encoding="utf-8")
    watcher = subprocess.Popen(
        [sys.executable, "-m", "analytics", "sync", "--db", str(db), "--source", pg_server.url, "--table", TABLE]
        + ["--watch", "--every", str(EVERY), "--reconcile-every", "0"],
        cwd=ROOT,
        env={**__import__("os").environ, "GRIDSCOPE_CONFIG": str(config)},
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "watch.log", "w"),
    )
    process, url = start_app(db, env={"GRIDSCOPE_CONFIG": str(config)})
    try:
        yield url, conn, db, source, watcher
    finally:
        stop_app(process)
        if watcher.poll() is None:
            watcher.terminate()
            watcher.wait(10)
        conn.close()


def tile(page, label: str) -> str:
    for metric in page.locator('[data-testid="stMetric"]').all():
        if metric.locator('[data-testid="stMetricLabel"]').inner_text().strip() == label:
            return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    raise AssertionError(f"no tile {label!r}")


def wait_for(page, check, budget: float) -> float:
    """Seconds until ``check(page)`` holds (the page is never reloaded); fails after ``budget``."""
    began = time.monotonic()
    while not check(page):
        assert time.monotonic() - began < budget, f"not shown within {budget:.0f} s"
        time.sleep(0.25)
    return time.monotonic() - began


def number(text: str) -> int:
    return int(text.replace(",", ""))


def one(conn, sql: str) -> str:
    return conn.execute(sql).fetchone()[0]


def test_upstream_changes_reach_the_open_page(live_app, browser):
    url, conn, db, source, watcher = live_app
    page = open_page(browser, page_url(url, "overview", "en", start=DAY, end="2026-01-01"), timeout=OPEN_TIMEOUT)
    reported, closure = number(tile(page, "Reported")), tile(page, "Closure rate")
    grid = one(conn, f"SELECT grid_id FROM {TABLE} WHERE grid_id IS NOT NULL ORDER BY case_id LIMIT 1")
    conn.execute(
        f"INSERT INTO {TABLE} (case_id, kind, grid_id, reported_at, filed_at, status, rework_count) "
        f"VALUES ('LIVE-1', 'demand', %s, '{DAY} 12:00', '{DAY} 12:00', 'filed', 0)",
        (grid,),
    )
    conn.commit()
    try:
        lag = wait_for(page, lambda p: number(tile(p, "Reported")) == reported + 1, BUDGET)
    finally:
        from analytics.sync.live import open_live

        c = open_live(db)
        print(
            c.execute(
                f"select count(*), count(*) filter (where case_id='LIVE-1') from cases where reported_at::date = '{DAY}'"
            ).fetchone()
        )
        print(tile(page, "Reported"), reported)
    print(f"insert upstream → page: {lag:.1f} s")
    open_id = one(
        conn,
        f"SELECT case_id FROM {TABLE} WHERE reported_at::date = '{DAY}' AND status IN ('filed', 'dispatched') "
        "ORDER BY case_id LIMIT 1",
    )
    conn.execute(
        f"UPDATE {TABLE} SET status = 'closed', closed_at = '{DAY} 18:00', updated_at = now() WHERE case_id = %s",
        (open_id,),
    )
    conn.commit()
    print("closure rate before", closure)
    lag = wait_for(page, lambda p: tile(p, "Closure rate") != closure, BUDGET)
    closure = tile(page, "Closure rate")
    print(f"closure upstream → page: {lag:.1f} s, closure rate now {closure}")
    conn.execute(f"UPDATE {TABLE} SET status = 'cancelled', updated_at = now() WHERE case_id = %s", (open_id,))
    conn.commit()
    lag = wait_for(page, lambda p: tile(p, "Closure rate") != closure, BUDGET)  # no longer closed
    print(f"cancellation upstream → page: {lag:.1f} s, closure rate now {tile(page, 'Closure rate')}")
    conn.execute(f"DELETE FROM {TABLE} WHERE case_id = 'LIVE-1'")
    conn.commit()
    lag = wait_for(page, lambda p: number(tile(p, "Reported")) == reported, BUDGET)
    print(f"delete upstream → page: {lag:.1f} s")
    assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0
    assert page.locator('.gs-freshness[data-level="green"]').count() == 1
    page.close()


def test_failed_sync_turns_freshness_red_and_keeps_serving(live_app, browser):
    url, conn, db, source, watcher = live_app
    watcher.terminate()
    watcher.wait(10)
    page = open_page(browser, page_url(url, "overview", "en", start=DAY, end="2026-01-01"), timeout=OPEN_TIMEOUT)
    reported = tile(page, "Reported")
    refused = Source(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres", TABLE)
    with pytest.raises(SyncError, match="cannot connect"):
        sync_once(db, refused, load_mapping("canonical"), SyncOptions())
    wait_for(page, lambda p: p.locator('.gs-freshness[data-level="red"]').count() == 1, BUDGET)
    assert tile(page, "Reported") == reported
    assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0
    page.close()
