"""Repeat clusters: a case joins the cluster of the earliest earlier case (a parent) it repeats.

Rule (``metrics.md``, repeat rate): a case repeats a parent when both have the
same category, lie within ``distance_m`` of each other, the case was reported
within ``window_hours`` after the parent and, when ``text_similarity > 0``,
their descriptions are at least that similar (a pair without text on either side is not judged
by text). Every cluster is anchored at its
parent (the earliest case): a case joins only a case that is not itself a
repeat, so a chain of reports cannot drift down a street.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.config import load_config
from analytics.repeats.pairs import candidate_pairs
from analytics.repeats.similarity import pair_similarity

REPEAT_COLUMNS = ["case_id", "parent_id", "category_code", "reported_at", "distance_m", "hours_apart", "similarity"]


@dataclass(frozen=True)
class RepeatRule:
    """Distance (m), time window (h), minimum text similarity (0: not used), rebound window (days) and distance."""

    distance_m: float = 100.0
    window_hours: float = 72.0
    text_similarity: float = 0.3
    rebound_days: float = 30.0
    rebound_distance_m: float = 30.0

    def __post_init__(self) -> None:
        if self.distance_m <= 0 or self.window_hours <= 0 or self.rebound_days <= 0 or self.rebound_distance_m <= 0:
            raise ValueError("repeat distances and windows must be positive")
        if not 0 <= self.text_similarity <= 1:
            raise ValueError(f"text similarity must lie in [0, 1], got {self.text_similarity}")

    @classmethod
    def from_config(cls, cfg: dict | None = None, **overrides) -> RepeatRule:
        section = (cfg or load_config())["repeats"]
        values = {k: float(section[k]) for k in cls.__dataclass_fields__ if k in section}
        return cls(**{**values, **{k: v for k, v in overrides.items() if v is not None}})


def _order(frame: pd.DataFrame) -> np.ndarray:
    """Rank of each case by (reported_at, case_id): the order in which cases arrive."""
    keys = pd.DataFrame({"t": frame["reported_at"].to_numpy(), "id": frame["case_id"].astype(str).to_numpy()})
    ranks = np.empty(len(frame), dtype=np.int64)
    ranks[keys.sort_values(["t", "id"], kind="stable").index.to_numpy()] = np.arange(len(frame))
    return ranks


def find_repeats(cases: pd.DataFrame, rule: RepeatRule) -> pd.DataFrame:
    """Every case that repeats an earlier one, with its parent (columns :data:`REPEAT_COLUMNS`).

    ``cases`` needs ``case_id, category_code, lon, lat, reported_at`` and, for the
    similarity, ``description``. ``distance_m``/``hours_apart``/``similarity`` are
    measured to the parent.
    """
    cases = cases.reset_index(drop=True)
    pairs = candidate_pairs(cases, cases, rule.distance_m, rule.window_hours)
    rank = _order(cases)
    pairs = pairs[rank[pairs["e"].to_numpy()] < rank[pairs["l"].to_numpy()]]
    if "description" in cases:
        texts = cases["description"]
        pairs = pairs.assign(similarity=pair_similarity(texts, pairs["e"].to_numpy(), pairs["l"].to_numpy()))
    else:
        pairs = pairs.assign(similarity=np.nan)
    if rule.text_similarity > 0:
        pairs = pairs[pairs["similarity"].isna() | (pairs["similarity"] >= rule.text_similarity)]
    pairs = pairs.assign(rank_l=rank[pairs["l"].to_numpy()], rank_e=rank[pairs["e"].to_numpy()])
    pairs = pairs.sort_values(["rank_l", "rank_e"], kind="stable")
    parent_of = _assign(pairs["l"].to_numpy(), pairs["e"].to_numpy())
    chosen = pairs.assign(parent=[parent_of.get(int(l_), -1) for l_ in pairs["l"]])
    chosen = chosen[chosen["parent"] == chosen["e"]].drop_duplicates("l")
    rows = chosen["l"].to_numpy()
    out = pd.DataFrame(
        {
            "case_id": cases["case_id"].to_numpy()[rows],
            "parent_id": cases["case_id"].to_numpy()[chosen["e"].to_numpy()],
            "category_code": cases["category_code"].to_numpy()[rows],
            "reported_at": cases["reported_at"].to_numpy()[rows],
            "distance_m": chosen["distance_m"].round(1).to_numpy(),
            "hours_apart": chosen["hours_apart"].round(2).to_numpy(),
            "similarity": chosen["similarity"].round(3).to_numpy(),
        }
    )
    return out.sort_values(["reported_at", "case_id"], ignore_index=True)[REPEAT_COLUMNS]


def _assign(later: np.ndarray, earlier: np.ndarray) -> dict[int, int]:
    """Leader clustering over pairs sorted by the later case's arrival, then the earlier's.

    A later case takes the earliest of its candidates that is not itself a repeat.
    """
    parent_of: dict[int, int] = {}
    for child, candidate in zip(later.tolist(), earlier.tolist()):
        if child in parent_of or candidate in parent_of:
            continue
        parent_of[child] = candidate
    return parent_of
