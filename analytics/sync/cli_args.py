"""``python -m analytics sync``: arguments and the watch loop (the logic is in :mod:`analytics.sync.run`)."""

from __future__ import annotations

import argparse
import sys
import time

from analytics import store
from analytics.config import load_config


def add_sync_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, help="postgresql://user:password@host:port/database")
    parser.add_argument("--mapping", default="canonical", help="preset name or mapping file (as for import)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--table", help="the case table (schema.table allowed)")
    what.add_argument("--query", help="a SELECT giving the case rows (run as a subquery)")
    parser.add_argument("--watermark", default="updated_at", help="the source's last-change column")
    parser.add_argument("--watch", action="store_true", help="keep syncing, every --every seconds")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between runs with --watch")
    parser.add_argument(
        "--reconcile-every",
        type=float,
        default=None,
        help="seconds between comparisons of every upstream id to find deletes (default [sync] reconcile_seconds)",
    )
    parser.add_argument("--batch-rows", type=int, default=None, help="rows per fetch (default [sync] batch_rows)")


def run_from_args(args: argparse.Namespace):
    from analytics.ingest.mapping import load_mapping
    from analytics.sync.run import SyncOptions, sync_once
    from analytics.sync.source import Source

    if args.every <= 0:
        raise ValueError("--every must be a positive number of seconds")
    source = Source(args.source, args.table, args.query, args.watermark)
    mapping = load_mapping(args.mapping)
    options = SyncOptions.from_config(load_config(), reconcile_seconds=args.reconcile_every, batch_rows=args.batch_rows)
    db = store.db_path(args.db)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if not args.watch:
        return sync_once(db, source, mapping, options, log=log).as_dict()
    while True:
        began = time.monotonic()
        try:
            sync_once(db, source, mapping, options, log=log)
        except (ValueError, RuntimeError) as exc:  # SyncError, SyncBusy: said, and tried again next time
            log(f"sync error: {exc}")
        time.sleep(max(0.0, args.every - (time.monotonic() - began)))


def add_feed_args(parser: argparse.ArgumentParser) -> None:
    """``demo --feed``: write new cases and status changes into a PostgreSQL table in real time."""
    parser.add_argument("--feed", action="store_true", help="feed a PostgreSQL table with live cases (needs --source)")
    parser.add_argument("--source", help="with --feed: postgresql://… of the upstream database")
    parser.add_argument("--table", default="cases_live", help="with --feed: the upstream table (default cases_live)")
    parser.add_argument("--every", type=float, default=10.0, help="with --feed: seconds between ticks")
    parser.add_argument("--per-tick", type=int, default=5, help="with --feed: new cases (and moves) per tick")
    parser.add_argument("--ticks", type=int, default=None, help="with --feed: stop after this many ticks")


def feed_from_args(args: argparse.Namespace, db):
    from analytics.sync.feed import run_feed

    if not args.source:
        raise ValueError("demo --feed needs --source postgresql://…")
    if not db.exists():
        raise ValueError(f"no demo database at {db}: build it first (python -m analytics demo)")
    return run_feed(
        args.source,
        args.table,
        db,
        args.seed,
        args.every,
        args.per_tick,
        args.ticks,
        lambda line: print(line, file=sys.stderr, flush=True),
    )
