"""The demo city: grids with codes, names, hierarchy, population and workers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from analytics.demo import names
from analytics.demo.geography import HALF_HEIGHT_M, HALF_WIDTH_M, grid_polygons, to_local
from analytics.demo.hierarchy import level_sizes, nested_labels, reading_order
from analytics.demo.rng import stream
from analytics.demo.topology import Topology, grid_topology

DISTRICT_CODE_BASE = 330191  # fictional codes after Hangzhou's 3301xx


@dataclass(frozen=True)
class City:
    """Everything later stages need to know about the grids (row order = ``grids`` order)."""

    grids: pd.DataFrame
    workers: pd.DataFrame
    tiles: np.ndarray
    topology: Topology
    radius: np.ndarray  # centroid distance from the centre, 1 = the outline's mean radius

    @property
    def grid_ids(self) -> np.ndarray:
        return self.grids["grid_id"].to_numpy(dtype=object)


def _hierarchy(xy: np.ndarray, topo: Topology, seed: int) -> pd.DataFrame:
    rng = stream(seed, "hierarchy")
    n_district, n_street, n_community = level_sizes(len(xy))
    city = np.zeros(len(xy), dtype=int)
    district = nested_labels(xy, city, n_district, topo, rng)
    district = reading_order(district, xy, city)
    street = nested_labels(xy, district, n_street, topo, rng)
    community = nested_labels(xy, street, n_community, topo, rng)
    frame = pd.DataFrame({"d": district, "s": reading_order(street, xy, district), "c_raw": community})
    frame["c"] = reading_order(community, xy, street)
    frame["g"] = reading_order(np.arange(len(xy)), xy, community)
    return frame


def _codes_and_names(levels: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = stream(seed, "names")
    district_id = (DISTRICT_CODE_BASE + levels["d"]).astype(str)
    street_id = district_id + (levels["s"] + 1).map("{:03d}".format)
    community_id = street_id + (levels["c"] + 1).map("{:03d}".format)
    grid_id = community_id + (levels["g"] + 1).map("{:03d}".format)
    d_names = dict(zip(sorted(district_id.unique()), names.district_names(district_id.nunique())))
    s_keys = sorted(street_id.unique())
    s_names = dict(zip(s_keys, names.unique_names(len(s_keys), "街道", rng)))
    c_keys = sorted(community_id.unique())
    c_names = dict(zip(c_keys, names.unique_names(len(c_keys), "社区", rng)))
    community_name = community_id.map(c_names)
    return pd.DataFrame(
        {
            "grid_id": grid_id,
            "grid_name": community_name + "第" + (levels["g"] + 1).astype(str) + "网格",
            "community_id": community_id,
            "community_name": community_name,
            "street_id": street_id,
            "street_name": street_id.map(s_names),
            "district_id": district_id,
            "district_name": district_id.map(d_names),
        }
    )


def _population(radius: np.ndarray, seed: int) -> pd.DataFrame:
    rng = stream(seed, "population")
    mu = np.log(1500) + 0.75 * np.exp(-(radius**2) / 0.3)
    population = np.clip(np.round(rng.lognormal(mu, 0.3)), 800, 4000).astype(np.int32)
    return pd.DataFrame(
        {
            "population": population,
            "households": np.round(population / rng.uniform(2.4, 2.8, len(radius))).astype(np.int32),
            "elderly": np.round(population * rng.uniform(0.15, 0.28, len(radius))).astype(np.int32),
            "children": np.round(population * rng.uniform(0.10, 0.16, len(radius))).astype(np.int32),
        }
    )


def workers_table(grid_ids: np.ndarray, seed: int) -> pd.DataFrame:
    """One full-time (``…01``) and 0–2 part-time (``…02``, ``…03``) workers per grid."""
    part_time = stream(seed, "workers").choice(3, size=len(grid_ids), p=[0.3, 0.45, 0.25])
    rows = [(f"W{g}01", g, "专职网格员", True) for g in grid_ids]
    rows += [(f"W{g}{k + 2:02d}", g, "兼职网格员", False) for g, n in zip(grid_ids, part_time) for k in range(n)]
    frame = pd.DataFrame(rows, columns=["worker_id", "grid_id", "role", "full_time"])
    return frame.sort_values("worker_id", ignore_index=True)


def build_city(grids: int, seed: int) -> City:
    """The grids, workers and topology of a demo city with ``grids`` grids."""
    tiles = grid_polygons(grids, seed)
    local = to_local(tiles)
    xy = shapely.get_coordinates(shapely.centroid(local))
    topo = grid_topology(tiles)
    radius = np.hypot(xy[:, 0] / HALF_WIDTH_M, xy[:, 1] / HALF_HEIGHT_M)
    frame = _codes_and_names(_hierarchy(xy, topo, seed), seed)
    frame = pd.concat([frame, _population(radius, seed)], axis=1)
    centroid = shapely.get_coordinates(shapely.centroid(tiles))
    frame["area_km2"] = shapely.area(local) / 1e6
    frame["centroid_lon"], frame["centroid_lat"] = np.round(centroid[:, 0], 6), np.round(centroid[:, 1], 6)
    frame["geometry"] = shapely.to_geojson(tiles)
    order = np.argsort(frame["grid_id"].to_numpy(dtype=str), kind="stable")
    index = np.empty(len(order), dtype=int)
    index[order] = np.arange(len(order))
    topo = Topology(
        rook=np.sort(index[topo.rook], axis=1), queen=np.sort(index[topo.queen], axis=1), on_edge=topo.on_edge[order]
    )
    frame = frame.iloc[order].reset_index(drop=True)
    return City(
        grids=frame,
        workers=workers_table(frame["grid_id"].to_numpy(dtype=object), seed),
        tiles=tiles[order],
        topology=topo,
        radius=radius[order],
    )
