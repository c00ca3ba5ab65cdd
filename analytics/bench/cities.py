"""The benchmark's demo cities: built once per (cases, seed, grids) and reused from ``--dbdir``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb

SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_size(text: str) -> int:
    """``"1m"`` → 1,000,000; ``"300k"`` → 300,000; ``"40000"`` → 40,000.

    Examples
    --------
    >>> parse_size("20m"), parse_size("300k"), parse_size("5000")
    (20000000, 300000, 5000)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise ValueError(f"not a size: {text!r} (examples: 1m, 20m, 300k)")
    return int(float(match.group(1)) * SUFFIXES[match.group(2).lower()])


def label(cases: int) -> str:
    if cases % 1_000_000 == 0:
        return f"{cases // 1_000_000}m"
    if cases % 1_000 == 0:
        return f"{cases // 1_000}k"
    return str(cases)


def city_path(dbdir: Path, cases: int, seed: int, grids: int) -> Path:
    return Path(dbdir) / f"demo-{label(cases)}-s{seed}-g{grids}.duckdb"


def _matches(path: Path, cases: int, seed: int, grids: int) -> bool:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    except duckdb.Error:
        return False
    finally:
        con.close()
    try:
        from analytics.layout import CASE_ORDER
    except ImportError:  # a checkout from before the layout (benchmarking an older commit)
        CASE_ORDER = None
    wanted = (str(cases), str(seed), str(grids), CASE_ORDER)
    return (meta.get("demo_cases"), meta.get("demo_seed"), meta.get("demo_grids"), meta.get("case_order")) == wanted


def ensure_city(dbdir: Path, cases: int, seed: int, grids: int, log=None) -> tuple[Path, float | None]:
    """Path of the demo city of that size, building it when missing or written by an older generator layout
    (``meta.case_order``); and the build seconds (None if reused)."""
    from analytics.demo import build_demo

    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    path = city_path(dbdir, cases, seed, grids)
    if path.exists() and _matches(path, cases, seed, grids):
        log(f"bench: reusing {path}")
        return path, None
    Path(dbdir).mkdir(parents=True, exist_ok=True)
    log(f"bench: building {path} ({cases:,} cases, {grids} grids, seed {seed})")
    summary = build_demo(
        path,
        cases=cases,
        seed=seed,
        grids=grids,
        progress=lambda line: log(line) if "wrote" in line or "building" in line else None,
    )
    return path, float(summary["seconds"])
