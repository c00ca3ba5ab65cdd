"""Issue 11: grades at thresholds, the score map's classes, the city-index cap and Gi* edge cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box, mapping

from analytics.choropleth import MAP_METRICS, class_breaks, colours_for, palette
from analytics.config import DEFAULTS
from analytics.hotspots import contiguity_weights, gi_star
from analytics.scoring import add_scores, city_index


def rates(rows):
    columns = ["area_id", "on_time_closure_rate", "closure_rate", "satisfaction_rate", "rework_rate"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(due_to_close=100, open_overdue=0)


def test_score_is_rounded_to_one_decimal_before_grading_and_ranking():
    # 40*0.75 + 30*0.72 + 20*0.74 + 10*(1-0.14) = 30 + 21.6 + 14.8 + 8.6 = 75.0 exactly by hand,
    # but the floating-point sum is 74.99999999999999: grade B (>= 75), not C.
    # Second row: 40*0.75 + 30*0.75 + 20*0.75 + 10*0.75 = 75.0 as well -> the two tie at rank 1.
    # Third row: 40*0.749 + 30*0.75 + 20*0.75 + 10*0.75 = 74.96 -> 75.0 after rounding to one decimal, B, tied.
    s = add_scores(
        rates([("x", 0.75, 0.72, 0.74, 0.14), ("y", 0.75, 0.75, 0.75, 0.25), ("z", 0.749, 0.75, 0.75, 0.25)]),
        DEFAULTS,
    ).set_index("area_id")
    assert s.loc["x", "score"] == 75.0
    assert list(s["grade"]) == ["B", "B", "B"]
    assert list(s["rank"]) == [1, 1, 1]


def test_score_map_uses_the_grade_rule_at_class_edges():
    metric = MAP_METRICS["score"]
    breaks = class_breaks(pd.Series([90.0]), metric, DEFAULTS["score"]["grades"])
    colours = palette(metric, len(breaks) - 1)  # lowest class (E) first, A last
    fills = colours_for(pd.Series([90.0, 89.9, 75.0, 40.0, 39.9, 100.0]), metric, breaks)
    # 90.0 is an A and is painted as A; 89.9 is B; 75.0 is B; 40.0 is D; 39.9 is E; 100 is A
    expected = [colours[4], colours[3], colours[3], colours[1], colours[0], colours[4]]
    assert [list(f[:3]) for f in fills] == expected


def test_city_index_ratios_are_capped_and_an_empty_period_has_no_index():
    cfg = {
        "city_index": {
            "targets": {"closure_rate": 0.95, "median_handling_hours": 48.0},
            "lower_is_better": ["median_handling_hours"],
        }
    }
    # 48 / 2.26 = 21.2 would dominate; capped at the default 1.2. closure 0.76 / 0.95 = 0.8. mean = 2.0 / 2 = 1.0
    r = city_index({"closure_rate": 0.76, "median_handling_hours": 2.26, "reported": 10, "closed": 9}, cfg)
    assert r["ratios"]["median_handling_hours"] == pytest.approx(1.2)
    assert r["index"] == pytest.approx(1.0)
    # a configured cap of 2: (0.8 + 2) / 2 = 1.4
    cfg["city_index"]["cap"] = 2.0
    assert city_index({"closure_rate": 0.76, "median_handling_hours": 2.26}, cfg)["index"] == pytest.approx(1.4)
    # an empty period: nothing reported, closed or overdue -> null, even when a stale rate is around
    empty = {"reported": 0, "closed": 0, "open_overdue": 0, "closure_rate": 0.5, "median_handling_hours": 90.0}
    assert city_index(empty, cfg)["index"] is None


def strip(n: int) -> pd.DataFrame:
    cells = [(f"a{i}", json.dumps(mapping(box(i, 0, i + 1, 1)))) for i in range(n)]
    return pd.DataFrame(cells, columns=["area_id", "geometry"])


@pytest.mark.parametrize("permutations", [999, 0])
def test_gi_star_without_variance_gives_null_z_and_p(permutations):
    w = contiguity_weights(strip(6))
    result = gi_star(pd.Series(4.0, index=w.id_order), w, permutations=permutations)
    assert result["z"].isna().all() and result["p"].isna().all()
    assert (result["spot"] == "none").all() and (result["band"] == 0).all()


def test_gi_star_p_values_are_one_sided_on_both_paths():
    # a 10x10 lattice with a hot block: the normal approximation's p is 1 - Phi(|z|) (one-sided),
    # the same tail the permutation p-value estimates.
    from scipy.stats import norm

    cells = [(f"{i}_{j}", json.dumps(mapping(box(i, j, i + 1, j + 1)))) for i in range(10) for j in range(10)]
    w = contiguity_weights(pd.DataFrame(cells, columns=["area_id", "geometry"]))
    values = pd.Series(np.random.default_rng(4).poisson(10, 100).astype(float), index=w.id_order)
    values[["4_4", "4_5", "5_4", "5_5"]] += 25
    normal = gi_star(values, w, permutations=0)
    np.testing.assert_allclose(normal["p"], 1 - norm.cdf(np.abs(normal["z"])))
    permuted = gi_star(values, w, permutations=9999, seed=3)
    # the permutation p-value of the block centre lies near the one-sided normal p (both tiny), and is
    # never near twice it for a middling area
    middling = normal.index[(normal["z"].abs() > 0.8) & (normal["z"].abs() < 1.6)]
    ratio = (permuted.loc[middling, "p"] / normal.loc[middling, "p"]).median()
    assert 0.6 < ratio < 1.5, ratio
