"""``python -m analytics lake export`` and ``python -m analytics cube``: arguments and actions (registered in
:mod:`analytics.cli`; see ``docs/scale.md``)."""

from __future__ import annotations

import argparse

from analytics import store
from analytics.config import load_config


def add_lake_args(parser: argparse.ArgumentParser) -> None:
    """``lake export|update --out DIR [--replace]`` on a parser that already has ``--db`` and ``--format``."""
    parser.add_argument("action", choices=("export", "update"), help="update: rewrite what a sync or append changed")
    parser.add_argument("--out", required=True, help="the lake folder (hive-partitioned Parquet)")
    parser.add_argument("--replace", action="store_true", help="replace an existing lake once the new one is written")


def add_cube_args(parser: argparse.ArgumentParser) -> None:
    """``cube --engine duckdb|spark --lake DIR --out DIR [--replace]``."""
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--lake", required=True, help="a lake written by `lake export` (a folder, or a URI on Spark)")
    parser.add_argument("--out", required=True, help="the cube folder (Parquet tables and cube.duckdb)")
    parser.add_argument("--replace", action="store_true", help="replace an existing cube once the new one is built")
    parser.add_argument(
        "--assemble", action="store_true", help="only write cube.duckdb for tables already in --out (spark-submit)"
    )
    parser.add_argument(
        "--add-missing", action="store_true", help="build only the tables an existing cube in --out lacks (DuckDB)"
    )


def run_lake(args: argparse.Namespace) -> dict:
    """Export the database of ``--db`` as a lake."""
    import duckdb

    from analytics.lake.export import export_lake
    from analytics.lake.update import update_lake

    path = store.db_path(args.db)
    if not path.exists():
        raise store.StoreError(f"no database at {path}")
    if args.action == "update":
        live = store.connect_read_only(path)
        try:
            return update_lake(live, args.out)
        finally:
            live.close()

    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        return export_lake(con, args.out, replace=args.replace, cfg=load_config())
    finally:
        con.close()


def run_cube(args: argparse.Namespace) -> dict:
    """Build the cube of ``--lake`` on ``--engine`` into ``--out``."""
    from analytics.cube.build import add_missing_tables, assemble_existing, build_cube

    if args.add_missing:
        return add_missing_tables(args.lake, args.out, load_config())
    if args.assemble:
        return assemble_existing(args.lake, args.out, load_config())
    return build_cube(args.lake, args.out, engine=args.engine, cfg=load_config(), replace=args.replace)
