"""The vectorised hotspot statistics equal the reference libraries: libpysal's queen contiguity,
esda's G_Local z-scores and FDR cut-off, pymannkendall's trend test and scipy's BH adjustment."""

from __future__ import annotations

import json
import warnings

import esda
import libpysal
import numpy as np
import pandas as pd
import pymannkendall as mk
import pytest
from libpysal.weights.util import attach_islands
from scipy.stats import false_discovery_control, norm
from shapely.geometry import Polygon, box, mapping

from analytics.contiguity import queen_contiguity
from analytics.hotspots import bh_adjusted, emerging_hotspots, fdr_threshold, gi_star, gi_star_normal, step_gi_star
from analytics.mann_kendall import mann_kendall


def _frame(polygons: dict) -> pd.DataFrame:
    return pd.DataFrame({"area_id": list(polygons), "geometry": [json.dumps(mapping(p)) for p in polygons.values()]})


def _irregular_cells(seed: int = 7) -> dict:
    """A 9x9 lattice with jittered inner vertices (shared exactly by neighbours), two holes cut out and
    two far islands: irregular quadrilaterals whose queen neighbours are not all eight."""
    rng = np.random.default_rng(seed)
    nodes = np.array([[(i + rng.uniform(-0.3, 0.3) * (0 < i < 9), j + rng.uniform(-0.3, 0.3) * (0 < j < 9))
                       for j in range(10)] for i in range(10)])  # fmt: skip
    cells = {
        f"c{i}_{j}": Polygon([nodes[i, j], nodes[i + 1, j], nodes[i + 1, j + 1], nodes[i, j + 1]])
        for i in range(9)
        for j in range(9)
        if (i, j) not in {(4, 4), (2, 6)}
    }
    cells["island_a"] = box(20, 20, 21, 21)
    cells["island_b"] = box(-15, 3, -14, 4)
    return cells


def _libpysal_queen(frame: pd.DataFrame) -> libpysal.weights.W:
    """The reference: the construction the app used before (libpysal Queen, KNN k=1 for islands)."""
    import geopandas as gpd
    from shapely.geometry import shape

    gdf = gpd.GeoDataFrame(
        {"area_id": frame["area_id"]}, geometry=[shape(json.loads(g)) for g in frame["geometry"]], crs="EPSG:4326"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.Queen.from_dataframe(gdf, ids=gdf["area_id"].tolist(), use_index=False)
        points = gdf.geometry.representative_point()
        knn = libpysal.weights.KNN.from_array(np.column_stack([points.x, points.y]), k=1, ids=gdf["area_id"].tolist())
        w = attach_islands(w, knn)
    w.transform = "B"
    return w


def test_queen_contiguity_equals_libpysal_with_islands_and_holes():
    frame = _frame(_irregular_cells())
    ours, reference = queen_contiguity(frame), _libpysal_queen(frame)
    assert ours.id_order == [str(i) for i in reference.id_order]
    assert {k: sorted(v) for k, v in ours.neighbors.items()} == {
        str(k): sorted(str(n) for n in v) for k, v in reference.neighbors.items()
    }
    # hand check: a corner cell touches 3, a cell beside a removed one has fewer than 8, islands got 1
    assert len(ours.neighbors["c0_0"]) == 3 and len(ours.neighbors["c4_5"]) == 7
    assert len(ours.neighbors["island_a"]) == 1 and len(ours.neighbors["island_b"]) == 1


def _esda_z(y: np.ndarray, w: libpysal.weights.W) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        return np.asarray(esda.G_Local(y, w, transform="B", star=True, permutations=0).Zs, dtype=float)


def test_gi_star_of_every_step_equals_esda_g_local_within_1e_9():
    frame = _frame(_irregular_cells())
    ours = queen_contiguity(frame)
    rng = np.random.default_rng(11)
    panel = rng.poisson(rng.uniform(0.5, 12, size=(ours.n, 1)), size=(ours.n, 13)).astype(float)
    panel[:10, 5] += 40  # a hot corner in one step
    panel[:, 7] = 3.0  # a step without variance: undefined, not z 0
    z, p = gi_star_normal(panel, ours)
    for step in range(panel.shape[1]):
        if step == 7:
            assert np.isnan(z[:, step]).all() and np.isnan(p[:, step]).all()
            continue
        reference = _esda_z(panel[:, step], _libpysal_queen(frame))
        np.testing.assert_allclose(z[:, step], reference, rtol=0, atol=1e-9)
        np.testing.assert_allclose(p[:, step], 1 - norm.cdf(np.abs(reference)), atol=1e-12)


def test_fdr_threshold_equals_esda_fdr_per_column():
    rng = np.random.default_rng(5)
    p = np.column_stack(
        [rng.uniform(size=200), rng.uniform(size=200) ** 6, np.full(200, 0.7), np.r_[[1e-6], [0.9] * 199]]
    )
    p[3, 0] = np.nan  # counts as 1
    expected = [esda.fdr(np.nan_to_num(p[:, k], nan=1.0), 0.1) for k in range(p.shape[1])]
    np.testing.assert_array_equal(fdr_threshold(p, 0.1), expected)


def test_step_significance_and_emerging_classes_equal_the_esda_per_step_path():
    """The sparse all-steps path against the per-step esda path it replaces (FDR at 90 % per step)."""
    frame = _frame(_irregular_cells())
    ours, reference = queen_contiguity(frame), _libpysal_queen(frame)
    rng = np.random.default_rng(3)
    panel = pd.DataFrame(rng.poisson(6, size=(ours.n, 12)).astype(float), index=ours.id_order)
    hot = [f"c{i}_{j}" for i in range(6, 9) for j in range(6, 9)]
    panel.loc[hot, 8:] += np.arange(1, 5) * 12.0  # an emerging corner: hotter in each of the last 4 steps
    z, sign = step_gi_star(panel, ours)
    for step in panel.columns:
        expected_z = np.nan_to_num(_esda_z(panel[step].to_numpy(), reference))
        p = 1 - norm.cdf(np.abs(expected_z))
        expected_sign = np.where(p <= esda.fdr(p, 0.10), np.sign(expected_z), 0)
        np.testing.assert_allclose(z[step], expected_z, atol=1e-9)
        np.testing.assert_array_equal(sign[step], expected_sign)
    classes = emerging_hotspots(panel, ours)
    assert classes.loc["c8_8", "emerging"] in {"new_hot", "consecutive_hot"}
    assert classes.loc["c0_0", "emerging"] == "none"


def test_gi_star_normal_path_equals_esda_on_the_same_weights():
    frame = _frame(_irregular_cells())
    ours = queen_contiguity(frame)
    values = pd.Series(np.random.default_rng(2).gamma(2.0, 5.0, ours.n), index=ours.id_order)
    result = gi_star(values, ours, permutations=0)
    np.testing.assert_allclose(result["z"], _esda_z(values.to_numpy(), _libpysal_queen(frame)), atol=1e-9)
    np.testing.assert_allclose(result["p_fdr"], false_discovery_control(result["p"], method="bh"), atol=1e-15)


@pytest.mark.parametrize("seed", range(4))
def test_mann_kendall_equals_pymannkendall_row_by_row(seed):
    rng = np.random.default_rng(seed)
    series = np.round(rng.normal(size=(60, 12)).cumsum(axis=1), 1)  # rounding makes ties
    series[0] = np.arange(12.0)  # a perfect rise
    series[1] = 2.0  # constant: S 0, no trend
    series[2, 6:] = series[2, :6]  # repeated half: many ties
    ours = mann_kendall(series, alpha=0.05)
    for row in range(len(series)):
        reference = mk.original_test(series[row], alpha=0.05)
        assert ours.tau[row] == pytest.approx(reference.Tau, abs=1e-12)
        assert ours.z[row] == pytest.approx(reference.z, abs=1e-12)
        assert ours.p[row] == pytest.approx(reference.p, abs=1e-12)
        assert {1: "increasing", -1: "decreasing", 0: "no trend"}[int(ours.trend[row])] == reference.trend
    assert ours.trend[0] == 1 and ours.tau[0] == 1.0 and ours.trend[1] == 0


def test_bh_adjusted_equals_scipy():
    p = np.random.default_rng(9).uniform(size=500) ** 3
    p[[4, 9]] = p[2]  # ties keep their order
    np.testing.assert_allclose(bh_adjusted(p), false_discovery_control(p, method="bh"), atol=1e-15)
