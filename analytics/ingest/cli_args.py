"""The ``import`` verb's arguments, and turning them into an :class:`ImportSpec`.

Kept apart from ``analytics/cli.py`` (which only registers the verb) and free of
heavy imports, so that building the parser stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

LEVELS = ("community", "street", "district")
COORDS = ("wgs84", "gcj02", "bd09")


def add_import_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cases",
        nargs="+",
        required=True,
        metavar="FILE",
        help="case files: CSV (any common delimiter; UTF-8 or GBK/GB18030), Parquet, JSON",
    )
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--preset", help="open311, nyc311, boston311 or canonical (default: detected)")
    choice.add_argument("--mapping", metavar="FILE.toml", help="a mapping file (see docs/import.md)")
    parser.add_argument(
        "--append",
        action="store_true",
        help="add the files to the existing database (upsert by case_id, like a sync) instead of rebuilding it",
    )
    parser.add_argument("--boundaries", metavar="FILE", help="grid polygons (GeoJSON, Shapefile, GeoPackage)")
    parser.add_argument("--boundary-id", metavar="FIELD", help="the grid id field of --boundaries")
    parser.add_argument("--boundary-name", metavar="FIELD", help="the grid name field (default: the id)")
    parser.add_argument(
        "--boundary-duplicates",
        choices=("suffix", "merge", "fail"),
        default="suffix",
        help="grid features sharing an id: kept apart as id~2, id~3 … (default), merged, or an error",
    )
    parser.add_argument(
        "--parent-field",
        action="append",
        default=[],
        metavar="LEVEL=FIELD[:NAME_FIELD]",
        help="a hierarchy level from a field of the grid layer (repeatable)",
    )
    parser.add_argument(
        "--parent-layer",
        action="append",
        default=[],
        metavar="LEVEL=FILE:ID_FIELD[:NAME_FIELD]",
        help="a hierarchy level from a coarser polygon layer (largest overlap; repeatable)",
    )
    parser.add_argument("--crs", help="CRS of --boundaries when missing or wrong (e.g. EPSG:2249)")
    parser.add_argument("--coords", choices=COORDS, help="coordinate system of the case points and boundaries")
    parser.add_argument("--boundary-coords", choices=COORDS, help="of the boundaries, when not --coords")
    parser.add_argument("--h3", type=int, metavar="RESOLUTION", help="without boundaries: an H3 grid (0-15)")
    parser.add_argument("--timezone", help="IANA time zone of the city (overrides the mapping)")
    parser.add_argument("--city", help="city name (meta; district name when no district level is given)")
    parser.add_argument("--city-en", help="city name in English")
    parser.add_argument("--dataset", help="dataset name recorded in meta (default: the mapping's)")


def _level(text: str, option: str) -> tuple[str, str]:
    level, sep, rest = text.partition("=")
    if not sep or level not in LEVELS or not rest:
        raise ValueError(f"{option} {text!r}: expected LEVEL=..., with LEVEL one of {', '.join(LEVELS)}")
    return level, rest


def parse_parent_layer(text: str, coords: str) -> tuple[str, Layer]:  # noqa: F821
    """``LEVEL=FILE:ID_FIELD[:NAME_FIELD]`` (a path may itself contain ``:``)."""
    from analytics.ingest.boundaries import Layer

    level, rest = _level(text, "--parent-layer")
    parts = rest.rsplit(":", 2)
    if len(parts) == 3 and Path(parts[0]).exists():
        return level, Layer(Path(parts[0]), parts[1], parts[2] or None, coords=coords, duplicates="merge")
    path, sep, id_field = rest.rpartition(":")
    if not sep or not id_field:
        raise ValueError(f"--parent-layer {text!r}: expected LEVEL=FILE:ID_FIELD[:NAME_FIELD]")
    return level, Layer(Path(path), id_field, coords=coords, duplicates="merge")


def parse_parent_field(text: str) -> tuple[str, tuple[str, str | None]]:
    level, rest = _level(text, "--parent-field")
    id_field, _, name_field = rest.partition(":")
    return level, (id_field, name_field or None)


def boundary_spec(args: argparse.Namespace):
    from analytics.ingest.boundaries import BoundarySpec, Layer

    if not args.boundaries:
        if args.boundary_id or args.parent_layer or args.parent_field:
            raise ValueError("--boundary-id, --parent-layer and --parent-field need --boundaries")
        return None
    if not args.boundary_id:
        raise ValueError("--boundaries needs --boundary-id (the field holding each grid's id)")
    coords = args.boundary_coords or args.coords or "wgs84"
    grids = Layer(
        Path(args.boundaries), args.boundary_id, args.boundary_name, args.crs, coords, args.boundary_duplicates
    )
    layers = dict(parse_parent_layer(t, coords) for t in args.parent_layer)
    fields = dict(parse_parent_field(t) for t in args.parent_field)
    both = set(layers) & set(fields)
    if both:
        raise ValueError(f"level(s) {', '.join(sorted(both))} given both as --parent-layer and --parent-field")
    return BoundarySpec(grids, layers, fields)


def spec_from_args(args: argparse.Namespace):
    from analytics.ingest.inspect import inspect_file
    from analytics.ingest.pipeline import ImportSpec
    from analytics.store import db_path

    mapping = args.mapping or args.preset
    if mapping is None:
        mapping = inspect_file(args.cases[0]).suggested_preset
        if mapping is None:
            raise ValueError(
                f"no preset matches the columns of {Path(args.cases[0]).name}; "
                "give --preset or --mapping (see docs/import.md)"
            )
        print(f"import: using preset {mapping} (detected from the columns)", file=sys.stderr)
    return ImportSpec(
        db=db_path(args.db),
        cases=[Path(p) for p in args.cases],
        mapping=mapping,
        boundaries=boundary_spec(args),
        h3_resolution=args.h3,
        coords=args.coords,
        timezone=args.timezone,
        city_name=args.city,
        city_name_en=args.city_en,
        dataset=args.dataset,
    )


def _append(args: argparse.Namespace) -> dict:
    """``--append``: upsert the files into the database's delta (:mod:`analytics.sync.append`)."""
    from analytics import store
    from analytics.ingest.mapping import load_mapping
    from analytics.sync.append import append_files

    if args.boundaries or args.h3 is not None:
        raise ValueError("--append keeps the database's grids: leave out --boundaries and --h3")
    mapping = load_mapping(args.mapping or args.preset or "canonical")
    mapping = mapping.with_overrides(timezone=args.timezone, coords=args.coords)
    db = store.db_path(args.db)
    return append_files(db, args.cases, mapping, log=lambda line: print(line, file=sys.stderr)).as_dict()


def run_from_args(args: argparse.Namespace) -> dict:
    """Run the import; the validation report goes to stderr, the summary is returned (stdout)."""
    from analytics.ingest.pipeline import run_import

    if args.append:
        return _append(args)
    result = run_import(spec_from_args(args), progress=lambda line: print(line, file=sys.stderr))
    print(result.text(), file=sys.stderr)
    return result.as_dict()
