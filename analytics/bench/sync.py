"""``python -m analytics.bench.sync``: the sync sub-benchmark (PostgreSQL → delta), one city size.

    python -m analytics.bench.sync [--cases 1m] [--dbdir /tmp/gridscope-bench] [--source postgresql://…]

Builds (or reuses) the demo city of ``python -m analytics.bench``, copies every case into a PostgreSQL
table (a private cluster unless ``--source`` is given), then measures: the first sync (every row read,
few changed), a sync after every upstream row changed (rows/s and the peak resident memory of the
sync), a sync that finds nothing new (median of 3; no id reconciliation), the reconciliation alone,
and the lag from an upstream commit to a new reader seeing it (with the page's worst and mean lag worked
out from it, ``--every`` and the refresh interval): for the million-row change, and for one new case
after it (the delta then holds a million changed cases: with layered deltas that run writes one small layer). ``--noop-only N`` measures only a sync that
finds nothing new, on ``--city`` (e.g. a 20M-case file) with N upstream rows. The city file is only read:
the delta is written beside a link to it in ``<dbdir>/sync-<size>/``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import psycopg

from analytics.bench import cities
from analytics.bench.memory import peak_rss_mb, reset_peak
from analytics.ingest.mapping import load_mapping
from analytics.sync.feed import seed_from_db
from analytics.sync.live import open_live
from analytics.sync.run import SyncOptions, sync_once
from analytics.sync.source import Source

TABLE = "cases_bench"
NO_RECONCILE = 10**9


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def timed_sync(db: Path, source: Source, options: SyncOptions, reconcile: bool = False) -> dict:
    reset_peak()
    began, cpu = time.perf_counter(), time.process_time()
    result = sync_once(db, source, load_mapping("canonical"), options, reconcile=reconcile)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    out = result.as_dict() | {"wall_seconds": round(seconds, 3), "peak_rss_mb": round(peak_rss_mb(), 1)}
    # CPU seconds of the sync process (all threads; PostgreSQL's own work is not included): on a shared
    # machine the wall time mostly measures the other work
    out["cpu_seconds"] = round(cpu, 2)
    out["rows_per_cpu_second"] = round(result.rows_read / cpu) if result.rows_read and cpu else None
    out["rows_per_second"] = round(result.rows_read / seconds) if result.rows_read else None
    # until the new generation serves: what a reader waits for (``wall_seconds`` adds a bulk change's compaction,
    # which runs after publishing while the new data already serves)
    published = result.published_seconds
    out["rows_per_second_until_published"] = (
        round(result.rows_read / published) if result.rows_read and published else None
    )
    log(f"bench sync: {json.dumps(out)}")
    return out


def commit_to_reader(db: Path, source: Source, conn, options: SyncOptions) -> float:
    """Seconds from an upstream commit to a newly opened reader counting the case (one sync in between)."""
    grid = conn.execute(f"SELECT grid_id FROM {TABLE} WHERE grid_id IS NOT NULL LIMIT 1").fetchone()[0]
    conn.execute(
        f"INSERT INTO {TABLE} (case_id, kind, grid_id, reported_at, status) "
        "VALUES ('BENCH-LAG', 'demand', %s, localtimestamp, 'filed')",
        (grid,),
    )
    conn.commit()
    began = time.perf_counter()
    sync_once(db, source, load_mapping("canonical"), options)
    con = open_live(db)
    seen = con.execute("SELECT count(*) FROM cases WHERE case_id = 'BENCH-LAG'").fetchone()[0]
    con.close()
    assert seen == 1, "the case did not arrive"
    return round(time.perf_counter() - began, 3)


def run(db: Path, url: str) -> dict:
    options = SyncOptions(overlap_seconds=0, reconcile_seconds=NO_RECONCILE)
    source = Source(url, TABLE)
    conn = psycopg.connect(url)
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.commit()
    began = time.perf_counter()
    seeded = seed_from_db(conn, db, TABLE)
    out: dict = {"upstream_rows": seeded, "seed_seconds": round(time.perf_counter() - began, 3)}
    out["first_sync"] = timed_sync(db, source, options)
    began = time.perf_counter()
    conn.execute(f"UPDATE {TABLE} SET rework_count = coalesce(rework_count, 0) + 1, updated_at = now()")
    conn.commit()
    out["upstream_update_seconds"] = round(time.perf_counter() - began, 3)
    out["changed_sync"] = timed_sync(db, source, options)
    began = time.perf_counter()
    open_live(db).close()  # what a page's next check does after the switch
    big = out["changed_sync"]["wall_seconds"] + time.perf_counter() - began
    out["after_every_row_changed"] = {"commit_to_reader_seconds": round(big, 3)} | page_lag(big)
    out["noop_sync_seconds"] = [timed_sync(db, source, options)["wall_seconds"] for _ in range(3)]
    out["noop_sync_median_seconds"] = statistics.median(out["noop_sync_seconds"])
    out["reconcile_sync"] = timed_sync(db, source, options, reconcile=True)
    out["commit_to_reader_seconds"] = commit_to_reader(db, source, conn, options)
    out |= page_lag(out["commit_to_reader_seconds"])
    conn.close()
    return out


NOOP_TABLE = "cases_noop"


def page_lag(commit_to_reader: float, every: float = 60) -> dict:
    """The lag from an upstream commit to an open page showing it: up to ``every`` (the watching sync's
    interval) until the next run starts, the run and a new reader (measured), then up to the app's
    ``[freshness] refresh_seconds`` until the page's next check; on average half of each wait."""
    from analytics.config import load_config

    refresh = float(load_config()["freshness"]["refresh_seconds"])
    return {
        "watch_every_seconds": every,
        "refresh_seconds": refresh,
        "commit_to_page_worst_seconds": round(every + commit_to_reader + refresh, 1),
        "commit_to_page_mean_seconds": round(every / 2 + commit_to_reader + refresh / 2, 1),
    }


def noop_at_scale(db: Path, url: str, upstream_rows: int, runs: int = 3) -> dict:
    """A sync that finds nothing new, on the city ``db`` (any size) with an upstream table of
    ``upstream_rows`` rows and the index on its watermark: one case is synced first (the watermark), then
    ``upstream_rows`` older rows are generated inside PostgreSQL (server side, behind the watermark), then
    ``runs`` syncs are timed. No id reconciliation (that compares every id, a different measurement)."""
    from analytics.sync.feed import create_table

    options = SyncOptions(overlap_seconds=60, reconcile_seconds=NO_RECONCILE)
    source = Source(url, NOOP_TABLE)
    conn = psycopg.connect(url)
    conn.execute(f"DROP TABLE IF EXISTS {NOOP_TABLE}")
    create_table(conn, NOOP_TABLE)
    conn.execute(
        f"INSERT INTO {NOOP_TABLE} (case_id, kind, reported_at, status) VALUES ('NOOP-1', 'demand', localtimestamp, 'filed')"
    )
    conn.commit()
    out: dict = {"first_sync": timed_sync(db, source, options)}
    began = time.perf_counter()
    conn.execute(
        f"INSERT INTO {NOOP_TABLE} (case_id, kind, category_name, grid_id, reported_at, status, description, updated_at) "
        "SELECT 'OLD-' || i, 'demand', 'category ' || (i %% 150), 'G' || (i %% 400), "
        "localtimestamp - (i %% 1000) * INTERVAL '1 hour', CASE WHEN i %% 10 < 8 THEN 'closed' ELSE 'filed' END, "
        "'an older case, already synced', now() - INTERVAL '2 days' - (i %% 100000) * INTERVAL '1 second' "
        "FROM generate_series(1, %s) AS i",
        (upstream_rows,),
    )
    conn.execute(f"ANALYZE {NOOP_TABLE}")
    conn.commit()
    out["upstream_rows"] = conn.execute(f"SELECT count(*) FROM {NOOP_TABLE}").fetchone()[0]
    out["generate_seconds"] = round(time.perf_counter() - began, 1)
    walls = [timed_sync(db, source, options) for _ in range(runs)]
    out["noop_sync_seconds"] = [w["wall_seconds"] for w in walls]
    out["noop_sync_median_seconds"] = statistics.median(out["noop_sync_seconds"])
    out["noop_rows_read"] = [w["rows_read"] for w in walls]
    out["noop_peak_rss_mb"] = max(w["peak_rss_mb"] for w in walls)
    conn.execute(f"DROP TABLE {NOOP_TABLE}")
    conn.commit()
    conn.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench.sync", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="1m")
    parser.add_argument("--dbdir", default="/tmp/gridscope-bench")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--grids", type=int, default=400)
    parser.add_argument("--source", help="a PostgreSQL URL to use instead of a private cluster (a table is replaced)")
    parser.add_argument("--out", default="bench-results")
    parser.add_argument(
        "--noop-only",
        type=int,
        metavar="UPSTREAM_ROWS",
        help="measure only a sync that finds nothing new, with an upstream table of this many rows",
    )
    parser.add_argument("--city", help="use this city file (read only) instead of building the demo city")
    args = parser.parse_args(argv)
    cases = cities.parse_size(args.cases)
    if args.city:
        city = Path(args.city)
    else:
        city, _ = cities.ensure_city(Path(args.dbdir), cases, args.seed, args.grids, log)
    work = Path(args.dbdir) / f"sync-{cities.label(cases)}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "city.duckdb"
    db.symlink_to(city.resolve())
    server = None
    if not args.source:
        from analytics.bench.pgcluster import PgServer, pg_bindir

        if pg_bindir() is None:
            parser.error("PostgreSQL is not installed (apt-get install postgresql) and no --source was given")
        server = PgServer(pg_bindir()).start()
        server.wait_ready()
    try:
        url = args.source or server.url
        measure = (lambda: noop_at_scale(db, url, args.noop_only)) if args.noop_only else (lambda: run(db, url))
        result = {"cases": cases, "city": str(city)} | measure()
    finally:
        if server is not None:
            server.stop()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    path = Path(args.out) / f"bench-sync-{cities.label(cases)}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1))
    print(json.dumps(result))  # one line: the last line of stdout is what python -m analytics.bench reads
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
