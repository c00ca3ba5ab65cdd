"""``python -m analytics.bench.sync``: the sync sub-benchmark (PostgreSQL → delta), one city size.

    python -m analytics.bench.sync [--cases 1m] [--dbdir /tmp/gridscope-bench] [--source postgresql://…]

Builds (or reuses) the demo city of ``python -m analytics.bench``, copies every case into a PostgreSQL
table (a private cluster unless ``--source`` is given), then measures: the first sync (every row read,
few changed), a sync after every upstream row changed (rows/s and the peak resident memory of the
sync), a sync that finds nothing new (median of 3; no id reconciliation), the reconciliation alone,
and the lag from an upstream commit to a new reader seeing the case. The city file is only read: the
delta is written beside a link to it in ``<dbdir>/sync-<size>/``.
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
    began = time.perf_counter()
    result = sync_once(db, source, load_mapping("canonical"), options, reconcile=reconcile)
    seconds = time.perf_counter() - began
    out = result.as_dict() | {"wall_seconds": round(seconds, 3), "peak_rss_mb": round(peak_rss_mb(), 1)}
    out["rows_per_second"] = round(result.rows_read / seconds) if result.rows_read else None
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
    out["noop_sync_seconds"] = [timed_sync(db, source, options)["wall_seconds"] for _ in range(3)]
    out["noop_sync_median_seconds"] = statistics.median(out["noop_sync_seconds"])
    out["reconcile_sync"] = timed_sync(db, source, options, reconcile=True)
    out["commit_to_reader_seconds"] = commit_to_reader(db, source, conn, options)
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
    args = parser.parse_args(argv)
    cases = cities.parse_size(args.cases)
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
        result = {"cases": cases, "city": str(city)} | run(db, args.source or server.url)
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
