"""The browser benchmark's table (no timing here: the timings live in the benchmark, never in CI)."""

from __future__ import annotations

from analytics.bench.browser import _median, render


def _variant(first, new, returning, floor=None):
    values = {"first": first, "new_session": new, "returning": returning}
    if floor is not None:
        for key in ("first", "new_session", "returning"):
            values[f"{key}_ratio"] = values[key] / floor[key] if values[key] is not None else None
    return values


def test_ratios_are_to_the_floor_measured_beside_the_page_and_a_visit_not_drawn_says_so():
    floor = _variant(4.0, 2.0, 1.0)
    result = {
        "runs": 3,
        "hide_maps": False,
        "pages": {
            "overview": {
                "floor": floor,
                "before": _variant(8.0, 5.0, 2.5, floor),
                "after": _variant(6.0, 3.0, None, floor),
            }
        },
    }
    lines = render(result).splitlines()
    assert lines[2].startswith("overview · trivial page") and "2.00 s" in lines[2]
    assert "5.00 s  2.50x" in lines[3]  # before: 5.0 s new session ÷ 2.0 s floor
    assert "3.00 s  1.50x" in lines[4] and "1.50x" in lines[4] and "not drawn" in lines[4]  # after: 6 ÷ 4 first


def test_the_map_share_row_sits_under_the_page_with_its_own_ratio():
    floor = _variant(4.0, 2.0, 1.0)
    page = {"floor": floor, "after": _variant(8.0, 4.0, 3.0, floor), "maps_hidden": _variant(6.0, 2.5, 1.5, floor)}
    lines = render({"runs": 1, "hide_maps": False, "pages": {"grid_map": page}}).splitlines()
    assert lines[3].startswith("grid_map ") and "4.00 s  2.00x" in lines[3]
    assert lines[4].startswith("grid_map · maps hidden") and "2.50 s  1.25x" in lines[4]  # 2.5 ÷ 2.0


def test_median_leaves_out_visits_not_drawn():
    assert _median([3.0, None, 1.0, 2.0]) == 2.0
    assert _median([None, None]) is None
