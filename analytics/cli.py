"""``python -m analytics VERB ...``: the same code the pages call, for schedulers and checks.

Verbs: ``demo`` (build the demo city), ``import`` (load real data, ``docs/import.md``),
``sync`` (incremental sync from PostgreSQL, ``docs/sync.md``),
``lake export`` and ``cube`` (the Parquet lake and the grid x day cube, ``docs/scale.md``),
``user`` (users and kiosk links, :mod:`analytics.access.cli`), ``audit prune`` (the audit log),
``report`` (every metric for a filter set), ``scores`` (scorecards of grids, departments or
grid workers), ``hotspots`` (Gi* and emerging-hotspot classes per area), ``terms`` (top and
emerging terms of descriptions), ``duplicates`` (repeat cases and their parents), ``dispatch``
(train, evaluate or ask the dispatch model, ``docs/dispatch.md``) and ``brief`` (one HTML or PDF
briefing per area; its ``--format`` is the document's, it prints the files written as JSON).
Each verb takes ``--db PATH`` (else ``GRIDSCOPE_DB``, else ``data/gridscope.duckdb``)
and ``--format json|csv|table``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from analytics import store
from analytics.access.cli import add_user_args
from analytics.config import load_config
from analytics.cube.cli import add_cube_args, add_lake_args
from analytics.dispatch.cli import add_dispatch_args
from analytics.filters import KINDS, LEVELS, Filters
from analytics.ingest.cli_args import add_import_args
from analytics.sync.cli_args import add_feed_args, add_sync_args

VERBS: dict[str, Callable[[argparse.Namespace], Any]] = {}


def verb(name: str):
    def register(func):
        VERBS[name] = func
        return func

    return register


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _jsonable(value):
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def emit(result: Any, fmt: str, out=None) -> None:
    """Print a dict (one object) or a list of dicts / DataFrame in the chosen format."""
    out = out or sys.stdout
    if isinstance(result, pd.DataFrame):
        records = result.to_dict("records")
    elif isinstance(result, dict):
        records = [result]
    else:
        records = list(result)
    records = [{k: _jsonable(v) for k, v in r.items()} for r in records]
    if fmt == "json":
        payload = records[0] if isinstance(result, dict) else records
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        pd.DataFrame(records).to_csv(out, index=False)
    else:
        frame = pd.DataFrame(records)
        out.write((frame.T if isinstance(result, dict) else frame).to_string() + "\n")


def add_filter_args(parser: argparse.ArgumentParser, level_flag: str = "--level") -> None:
    parser.add_argument("--start", type=_date, required=True, help="first day of the period (inclusive)")
    parser.add_argument("--end", type=_date, required=True, help="day after the period (exclusive)")
    parser.add_argument(level_flag, dest="area_level", choices=LEVELS, help="area level of --area")
    parser.add_argument("--area", help="area id at --level")
    parser.add_argument("--kind", choices=KINDS)
    parser.add_argument("--category-major")
    parser.add_argument("--category", help="category code")
    parser.add_argument("--source")


def filters_from(args: argparse.Namespace) -> Filters:
    if args.area and not args.area_level:
        raise ValueError("--area needs its level")
    return Filters(
        args.start, args.end, args.area_level, args.area, args.kind, args.category_major, args.category, args.source
    )


@verb("demo")
def demo_verb(args: argparse.Namespace):
    from analytics.demo import build_demo

    path = store.db_path(args.db)
    if args.feed:
        from analytics.sync.cli_args import feed_from_args

        return feed_from_args(args, path)
    if args.if_missing and path.exists():
        print(f"demo database already present: {path}", file=sys.stderr)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    as_of = args.as_of or dt.date.today() - dt.timedelta(days=1)
    return build_demo(
        path,
        cases=args.cases,
        seed=args.seed,
        grids=args.grids,
        as_of=as_of,
        progress=lambda line: print(line, file=sys.stderr),
    )


@verb("import")
def import_verb(args: argparse.Namespace):
    from analytics.ingest.cli_args import run_from_args

    return run_from_args(args)


@verb("sync")
def sync_verb(args: argparse.Namespace):
    from analytics.sync.cli_args import run_from_args

    return run_from_args(args)


@verb("report")
def report_verb(args: argparse.Namespace):
    from analytics.metrics import summary

    con = store.connect_read_only(store.db_path(args.db))
    return summary(con, filters_from(args), load_config())


@verb("scores")
def scores_verb(args: argparse.Namespace):
    from analytics.scorecards import scorecard

    con = store.connect_read_only(store.db_path(args.db))
    card = scorecard(con, filters_from(args), args.entity, load_config())
    keep = [c for c in card.columns if c not in ("description",)]
    return card[keep]


@verb("hotspots")
def hotspots_verb(args: argparse.Namespace):
    from analytics.hotspot_report import hotspot_analysis

    con = store.connect_read_only(store.db_path(args.db))
    f = filters_from(args)
    result = hotspot_analysis(con, f, args.level, args.step, args.measure, permutations=args.permutations)
    print(
        f"analysed {result.analysed} located cases; excluded {result.excluded} unlocated cases; "
        f"{result.steps} time steps ({result.step}) from {result.start} to {result.end} (clipped to the data); "
        f"{result.no_population} areas without a population left out; "
        f"{result.permutations or 'normal approximation, no'} permutations; one-sided p-values",
        file=sys.stderr,
    )
    return result.table


@verb("dispatch")
def dispatch_verb(args: argparse.Namespace):
    from analytics.dispatch.cli import run

    return run(args)


@verb("terms")
def terms_verb(args: argparse.Namespace):
    from analytics.text.terms import emerging_terms, top_terms

    con = store.connect_read_only(store.db_path(args.db))
    f = filters_from(args)
    if args.emerging:
        return emerging_terms(con, f, load_config())
    return top_terms(con, f, args.limit, load_config())


@verb("duplicates")
def duplicates_verb(args: argparse.Namespace):
    from analytics.repeats.clusters import RepeatRule
    from analytics.repeats.rates import rebounds, repeats

    con = store.connect_read_only(store.db_path(args.db))
    rule = RepeatRule.from_config(
        load_config(), distance_m=args.distance_m, window_hours=args.window_hours, text_similarity=args.similarity
    )
    if args.rebounds:
        return rebounds(con, filters_from(args), rule)
    found = repeats(con, filters_from(args), rule)
    return found[["case_id", "parent_id", "distance_m", "hours_apart", "similarity"]]


def _insight_parsers(sub, common) -> None:
    terms = sub.add_parser("terms", parents=[common], help="top terms with lift, or emerging terms, of descriptions")
    add_filter_args(terms)
    terms.add_argument("--limit", type=int, default=None, help="number of top terms (default: [text] top_terms)")
    terms.add_argument("--emerging", action="store_true", help="terms rising against the periods before")
    dup = sub.add_parser("duplicates", parents=[common], help="cases repeating an earlier case (or rebounds)")
    add_filter_args(dup)
    dup.add_argument("--distance-m", type=float, default=None, help="default: [repeats] distance_m")
    dup.add_argument("--window-hours", type=float, default=None, help="default: [repeats] window_hours")
    dup.add_argument("--similarity", type=float, default=None, help="minimum text similarity, 0 = off")
    dup.add_argument("--rebounds", action="store_true", help="list rebounds of cases closed in the period instead")


@verb("lake")
def lake_verb(args: argparse.Namespace):
    from analytics.cube.cli import run_lake

    return run_lake(args)


@verb("cube")
def cube_verb(args: argparse.Namespace):
    from analytics.cube.cli import run_cube

    return run_cube(args)


@verb("user")
def user_verb(args: argparse.Namespace):
    from analytics.access.cli import run_user

    return run_user(args)


@verb("audit")
def audit_verb(args: argparse.Namespace):
    from analytics.access.cli import run_audit_prune

    return run_audit_prune(args)


@verb("brief")
def brief_verb(args: argparse.Namespace):
    from pathlib import Path

    from analytics.briefing.write import write_briefings

    try:
        return write_briefings(
            args.db, args.area, args.period, args.brief_format, Path(args.out), load_config(), args.lang, args.kind
        )
    except RuntimeError as exc:  # Chromium missing or failing: a clear message, not a traceback
        raise ValueError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analytics", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default: $GRIDSCOPE_DB, else data/gridscope.duckdb)")
    common.add_argument("--format", choices=("json", "csv", "table"), default="json")
    demo = sub.add_parser("demo", parents=[common], help="build the deterministic demo city")
    demo.add_argument("--cases", type=int, default=300_000)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--grids", type=int, default=400)
    demo.add_argument("--if-missing", action="store_true", help="do nothing when the database exists")
    demo.add_argument("--as-of", type=_date, help="the last day with data (default: yesterday)")
    add_feed_args(demo)
    imported = sub.add_parser("import", parents=[common], help="load real data (see docs/import.md)")
    add_import_args(imported)
    synced = sub.add_parser("sync", parents=[common], help="incremental sync from PostgreSQL (see docs/sync.md)")
    add_sync_args(synced)
    lake = sub.add_parser("lake", parents=[common], help="export the cases as a Parquet lake (docs/scale.md)")
    add_lake_args(lake)
    cube = sub.add_parser("cube", parents=[common], help="build the grid x day cube from a lake on DuckDB or Spark")
    add_cube_args(cube)
    users = sub.add_parser("user", parents=[common], help="users and kiosk links of the users file")
    add_user_args(users)
    audit = sub.add_parser("audit", parents=[common], help="prune the audit log past its retention")
    audit.add_argument("action", choices=("prune",))
    audit.add_argument("--keep-days", type=int, default=None, help="at least 180 (default [audit] retention_days)")
    report = sub.add_parser("report", parents=[common], help="every metric of metrics.md for a filter set")
    add_filter_args(report)
    scores = sub.add_parser("scores", parents=[common], help="scorecards of grids, departments or grid workers")
    add_filter_args(scores)
    scores.add_argument("--entity", choices=("grid", "department", "worker"), default="grid")
    hotspots = sub.add_parser("hotspots", parents=[common], help="Gi* hot/cold spots and emerging-hotspot classes")
    add_filter_args(hotspots, level_flag="--area-level")
    hotspots.add_argument("--level", choices=LEVELS, default="grid", help="the areas analysed (default grid)")
    hotspots.add_argument(
        "--step",
        choices=("day", "week", "month", "auto"),
        default="month",
        help="time step of the emerging-hotspot classes (auto: by the length of the covered period)",
    )
    hotspots.add_argument("--measure", choices=("per_1000", "count"), default="per_1000")
    hotspots.add_argument(
        "--permutations",
        type=int,
        default=None,
        help="Gi* permutations (default 9999; the normal approximation above 2000 areas)",
    )
    dispatch = sub.add_parser("dispatch", parents=[common], help="dispatch model: train, evaluate, suggest")
    add_dispatch_args(dispatch)
    _insight_parsers(sub, common)
    brief = sub.add_parser("brief", help="write one briefing (HTML or PDF) per area, e.g. from cron")
    brief.add_argument("--db", help="database file (default: $GRIDSCOPE_DB, else data/gridscope.duckdb)")
    brief.add_argument("--area", required=True, help="an area id of any level, all-streets, or city")
    brief.add_argument("--period", required=True, help="last-week, last-month or START:END (END exclusive)")
    brief.add_argument("--format", dest="brief_format", choices=("html", "pdf"), default="html")
    brief.add_argument("--out", required=True, help="folder the briefings are written to")
    brief.add_argument("--lang", choices=("zh", "en"), default="zh")
    brief.add_argument("--kind", choices=KINDS)
    brief.set_defaults(format="json")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = VERBS[args.verb](args)
    except (ValueError, store.StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a read-only or full data folder, a missing file: a message, not a traceback
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except duckdb.Error as exc:
        print(f"error: the database cannot be used: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    if result is not None:
        emit(result, args.format)
    return 0
