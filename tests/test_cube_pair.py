"""The overview's period pair in cube mode (analytics.cube.pair: one grouped count query a period) equals the
cube's own summary and by-area functions exactly, for every kind of filter."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd

from analytics import metrics, period_pair
from analytics.access.scope import Scope
from analytics.cube.build import CUBE_DB
from analytics.cube.pair import total_row
from analytics.filters import Filters
from tests.test_cube import _filters


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and type(a) is type(b)


def test_total_row_by_hand():
    groups = pd.DataFrame(
        {
            "area_id": ["g1", "g2", None],
            "closed": [3.0, None, 4.0],  # a full join's missing part is null: counts as 0
            "satisfaction_tenths": [19, 10, 0],  # summed as whole tenths: 2.9 points
            "suspended_overdue_max_days": [None, 2.5, 7.25],
        }
    )
    assert total_row(groups) == {"closed": 7, "satisfaction_tenths": 29, "suspended_overdue_max_days": 7.25}
    none = groups.assign(suspended_overdue_max_days=[None, None, None])
    assert total_row(none)["suspended_overdue_max_days"] is None


def test_cube_pair_equals_the_cube_functions(demo_con, duck_cube):
    cube = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    grid, street, district = demo_con.execute(
        "SELECT grid_id, street_id, district_id FROM grids ORDER BY grid_id LIMIT 1"
    ).fetchone()
    category = demo_con.execute("SELECT category_code FROM cases GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
    filters = [  # the cube tests' filters, and an area scope
        *_filters(grid, street, category),
        Filters(dt.date(2025, 4, 1), dt.date(2025, 5, 1), scope=Scope((("district", district),))),
    ]
    for f in filters:
        pair = period_pair.summaries_and_grids(cube, f)
        for got, want in (
            (pair.current, metrics.summary(cube, f)),
            (pair.previous, metrics.summary(cube, f.previous())),
        ):
            assert list(got) == list(want), f
            assert all(_same(got[k], want[k]) for k in want), (f, {k: (got[k], want[k]) for k in want})
        pd.testing.assert_frame_equal(pair.areas, metrics.by_area(cube, f, "grid"), check_exact=True)
        pd.testing.assert_frame_equal(
            pair.previous_areas, metrics.by_area(cube, f.previous(), "grid"), check_exact=True
        )
    assert period_pair.summaries_and_grids(cube, filters[0]).current["reported"] > 0  # not an empty comparison
