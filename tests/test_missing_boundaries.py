"""Grids without a boundary (a boundary file that lacks some grids, or none at all): every page still runs,
the maps draw the grids that have one, and the profile and hotspots say why they cannot find neighbours."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from analytics import queries
from tests.test_pages import run_page
from ui.navigation import PAGES


def _strip_boundaries(demo_db, tmp_path, monkeypatch, how_many: int | None) -> tuple:
    path = tmp_path / "no_boundaries.duckdb"
    shutil.copy(demo_db, path)
    con = duckdb.connect(str(path))
    total = con.execute("SELECT count(*) FROM grids").fetchone()[0]
    limit = total if how_many is None else how_many
    first = con.execute("SELECT grid_id FROM grids ORDER BY grid_id LIMIT 1").fetchone()[0]
    con.execute(
        "UPDATE grids SET geometry = NULL WHERE grid_id IN (SELECT grid_id FROM grids ORDER BY grid_id LIMIT $n)",
        {"n": limit},
    )
    con.close()
    monkeypatch.setenv("GRIDSCOPE_DB", str(path))
    return path, total, first


@pytest.fixture()
def some_missing(demo_db, tmp_path, monkeypatch):
    return _strip_boundaries(demo_db, tmp_path, monkeypatch, 3)


@pytest.fixture()
def all_missing(demo_db, tmp_path, monkeypatch):
    return _strip_boundaries(demo_db, tmp_path, monkeypatch, None)


def test_geometries_leave_out_grids_without_a_boundary(some_missing):
    path, total, first = some_missing
    con = duckdb.connect(str(path), read_only=True)
    grids = queries.area_geometries(con, "grid")
    assert len(grids) == total - 3 and first not in set(grids["area_id"])
    assert grids["geometry"].notna().all()
    streets = queries.area_geometries(con, "street")
    assert streets["geometry"].notna().all() and len(streets) >= 1
    con.close()


@pytest.mark.parametrize("page", PAGES, ids=[p.key for p in PAGES])
def test_every_page_runs_when_some_grids_have_no_boundary(some_missing, page):
    _, _, first = some_missing
    at = run_page(page.path, "zh", {"level": "grid", "area": first})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("path", ["pages/profile.py", "pages/hotspots.py", "pages/grid_map.py", "pages/overview.py"])
def test_pages_without_any_boundary_say_so(all_missing, path):
    _, _, first = all_missing
    at = run_page(path, "en", {"level": "grid", "area": first})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    if path in ("pages/profile.py", "pages/hotspots.py"):
        notes = [str(m.value) for m in at.info] + [str(w.value) for w in at.warning]
        assert any("have no boundaries" in n for n in notes), notes
