"""Shared fixtures: one small demo city per test session, built by the real generator."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

SMALL_DEMO_CASES = 40_000
SMALL_DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """Path of a small demo database (40,000 cases, seed 7), built once per session."""
    from analytics.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, cases=SMALL_DEMO_CASES, seed=SMALL_DEMO_SEED)
    return path


@pytest.fixture()
def demo_con(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    yield con
    con.close()


@pytest.fixture()
def demo_env(demo_db, monkeypatch):
    """Point the app and the commands at the small demo database."""
    monkeypatch.setenv("GRIDSCOPE_DB", str(demo_db))
    return demo_db


def real_data_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def need_real_data() -> Path:
    """The shared real-data folder, or a skip with the reason when a fresh clone has none beside it."""
    path = real_data_dir()
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the real data at {path}")
        pytest.skip(f"real data not found at {path} (clone GridScope beside shared/ to run this test)")
    return path


@pytest.fixture(scope="session")
def lake(demo_db, tmp_path_factory) -> Path:
    """The small demo city exported as a Parquet lake (``analytics lake export``)."""
    from analytics.lake.export import export_lake

    con = duckdb.connect(str(demo_db), read_only=True)
    path = tmp_path_factory.mktemp("lake") / "lake"
    export_lake(con, path)
    con.close()
    return path


@pytest.fixture(scope="session")
def duck_cube(lake, tmp_path_factory) -> Path:
    """The cube of :func:`lake` built on DuckDB (its ``cube.duckdb`` is a cube-mode database)."""
    from analytics.cube.build import build_cube

    out = tmp_path_factory.mktemp("cube") / "duck"
    build_cube(lake, out, engine="duckdb")
    return out
