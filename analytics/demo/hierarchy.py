"""District / street / community hierarchy of the demo grids.

Each level is k-means on grid centroids inside its parent, then repaired so
that every area is one contiguous piece (rook contiguity): stray pieces move to
the neighbouring area with which they share the most boundary segments.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.cluster.vq import kmeans2

from analytics.demo.topology import Topology, components


def level_sizes(grids: int) -> tuple[int, int, int]:
    """Number of districts, streets and communities for ``grids`` grids.

    Examples
    --------
    >>> level_sizes(400)
    (2, 8, 40)
    """
    districts = 2 if grids <= 2000 else round(grids / 2000)
    streets = min(max(8, round(grids / 50)), max(districts, grids // 4))
    communities = min(grids, max(streets, round(grids / 10)))
    return districts, streets, communities


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer parts ∝ ``weights`` (largest remainder), each ≥ 1."""
    share = weights / weights.sum() * total
    parts = np.maximum(np.floor(share).astype(int), 1)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    i = 0
    while parts.sum() < total:
        parts[order[i % len(parts)]] += 1
        i += 1
    while parts.sum() > total:
        biggest = int(np.argmax(parts))
        parts[biggest] -= 1
    return parts


def kmeans_labels(xy: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means labels (no empty cluster) of the points ``xy``."""
    if k <= 1:
        return np.zeros(len(xy), dtype=int)
    for _ in range(20):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, labels = kmeans2(xy, k, minit="++", seed=rng)
        if len(np.unique(labels)) == k:
            return labels
    raise RuntimeError(f"k-means kept producing empty clusters (k={k})")


def make_contiguous(labels: np.ndarray, parent: np.ndarray, topo: Topology) -> np.ndarray:
    """Move detached pieces of each area to a touching area of the same parent."""
    labels = labels.copy()
    for _ in range(100):
        moved = False
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            comp = components(members, topo.rook)
            if comp.max() == 0:
                continue
            largest = np.argmax(np.bincount(comp))
            for piece in np.unique(comp[comp != largest]):
                grids = members[comp == piece]
                target = _best_neighbour(grids, labels, parent, topo)
                if target is not None:
                    labels[grids] = target
                    moved = True
        if not moved:
            return labels
    raise RuntimeError("could not make the areas contiguous")


def _best_neighbour(grids: np.ndarray, labels: np.ndarray, parent: np.ndarray, topo: Topology) -> int | None:
    pairs = topo.rook
    a_in, b_in = np.isin(pairs[:, 0], grids), np.isin(pairs[:, 1], grids)
    outside = np.concatenate([pairs[a_in & ~b_in, 1], pairs[b_in & ~a_in, 0]])
    outside = outside[parent[outside] == parent[grids[0]]]
    if outside.size == 0:
        return None
    counts = np.bincount(labels[outside])
    return int(np.argmax(counts))


def nested_labels(
    xy: np.ndarray, parent: np.ndarray, total: int, topo: Topology, rng: np.random.Generator
) -> np.ndarray:
    """Global labels of ``total`` contiguous areas nested in the ``parent`` areas."""
    parents = np.unique(parent)
    sizes = np.array([(parent == p).sum() for p in parents])
    per_parent = allocate(total, sizes.astype(float))
    labels = np.empty(len(xy), dtype=int)
    offset = 0
    for p, k in zip(parents, per_parent):
        members = np.flatnonzero(parent == p)
        labels[members] = offset + kmeans_labels(xy[members], min(k, len(members)), rng)
        offset += min(k, len(members))
    return make_contiguous(labels, parent, topo)


def reading_order(labels: np.ndarray, xy: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Renumber ``labels`` 0.. within each parent, north-west first (rows of 1.5 km)."""
    out = np.empty_like(labels)
    for p in np.unique(parent):
        members = parent == p
        ids = np.unique(labels[members])
        centre = np.array([xy[labels == i].mean(axis=0) for i in ids])
        order = np.lexsort((centre[:, 0], -np.floor(centre[:, 1] / 1500)))
        rank = np.empty(len(ids), dtype=int)
        rank[order] = np.arange(len(ids))
        lookup = dict(zip(ids.tolist(), rank.tolist()))
        out[members] = [lookup[i] for i in labels[members].tolist()]
    return out
