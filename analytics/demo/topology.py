"""Neighbourhood of grid polygons that share exact vertices (see ``geography``).

Rook neighbours share at least one boundary segment, queen neighbours at least
one vertex; an edge grid has a segment that no other grid shares (the outline).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Topology:
    """Neighbour pairs (i < j) and the city-edge flag per grid."""

    rook: np.ndarray
    queen: np.ndarray
    on_edge: np.ndarray

    def neighbours(self, i: int, kind: str = "queen") -> np.ndarray:
        """Indices of the grids touching grid ``i``."""
        pairs = self.queen if kind == "queen" else self.rook
        return np.sort(np.concatenate([pairs[pairs[:, 0] == i, 1], pairs[pairs[:, 1] == i, 0]]))


def _vertex_keys(tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer vertex keys, owning grid and ring part of every boundary vertex."""
    rings, owner = shapely.get_parts(shapely.boundary(tiles), return_index=True)
    coords, part = shapely.get_coordinates(rings, return_index=True)
    keys = np.round(coords * 1e7).astype(np.int64)
    return keys, owner[part], part


def _pairs_sharing(keys: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct grid pairs sharing a key, and the keys seen by only one grid."""
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    table = np.unique(np.column_stack([inverse.ravel(), grid]), axis=0)
    order = np.argsort(table[:, 0], kind="stable")
    table = table[order]
    starts = np.flatnonzero(np.r_[True, table[1:, 0] != table[:-1, 0]])
    sizes = np.diff(np.r_[starts, len(table)])
    pairs = [
        np.array(np.meshgrid(table[s : s + n, 1], table[s : s + n, 1])).reshape(2, -1).T
        for s, n in zip(starts[sizes > 1], sizes[sizes > 1])
    ]
    pairs = np.vstack(pairs) if pairs else np.empty((0, 2), dtype=np.int64)
    pairs = np.unique(pairs[pairs[:, 0] < pairs[:, 1]], axis=0)
    lonely = table[starts[sizes == 1], 1]
    return pairs, lonely


def grid_topology(tiles: np.ndarray) -> Topology:
    """Rook and queen neighbour pairs and edge flags of exactly tiling polygons."""
    keys, grid, part = _vertex_keys(tiles)
    queen, _ = _pairs_sharing(keys, grid)
    same_ring = part[1:] == part[:-1]
    start, end = keys[:-1][same_ring], keys[1:][same_ring]
    flip = (start[:, 0] > end[:, 0]) | ((start[:, 0] == end[:, 0]) & (start[:, 1] > end[:, 1]))
    segment = np.where(flip[:, None], np.hstack([end, start]), np.hstack([start, end]))
    rook, lonely = _pairs_sharing(segment, grid[:-1][same_ring])
    on_edge = np.zeros(len(tiles), dtype=bool)
    on_edge[lonely] = True
    return Topology(rook=rook, queen=queen, on_edge=on_edge)


def components(members: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Connected-component label of each index in ``members`` under ``pairs``."""
    position = {int(m): i for i, m in enumerate(members)}
    inside = np.isin(pairs[:, 0], members) & np.isin(pairs[:, 1], members)
    rows = np.array([position[int(a)] for a in pairs[inside, 0]], dtype=np.int64)
    cols = np.array([position[int(b)] for b in pairs[inside, 1]], dtype=np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(members), len(members)))
    return connected_components(graph, directed=False)[1]
