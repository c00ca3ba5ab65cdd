"""Who handles a demo case: departments that depend on the text and the place, and re-dispatches.

Most categories have one handling department (the reference tables). A few are
shared by two departments, the way real cities split them:

- **by road class** (in the text): a damaged road, a parked car or a blocked
  gully on a main road goes to the city-level department, the same matter in a
  back street or inside a compound to the street office or the urban-management
  squad. The description says which, in a short sub-topic phrase appended after
  the text generator's sentence.
- **by which side of a boundary** (the place): greening and park matters east of
  the river (grid centroid east of the city's median longitude) go to the
  landscaping centre, west of it to the street offices.
- **by sub-topic** (in the text): street vending near a farmers' market goes to
  market regulation, elsewhere to urban management.

A few cases (3 %) are taken on by the street office whatever the text says (属地兜底), which no model
can foresee. A few cases are re-dispatched (改派): more often for shared categories and near
the boundary, where the first dispatcher guesses wrong. Everything draws from
the generator passed in, so the build stays deterministic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.demo.city import City
from analytics.demo.taxonomy import STREET_OFFICE, Taxonomy

# category code -> (rule, department A, department B); rule "road": A on main roads, B in back streets;
# "river": A east of the river, B west of it; "market": A near a market, B elsewhere.
SHARED: dict[str, tuple[str, str, str]] = {
    "06013": ("road", "SZSS", "JDBSC"),  # 道路破损
    "06050": ("road", "SZSS", "JDBSC"),  # 路缘石缺损
    "10001": ("road", "SZSS", "JDBSC"),  # 道路积雪、结冰
    "D0501": ("road", "SZSS", "JDBSC"),  # 道路修缮
    "D0503": ("road", "SZSS", "JDBSC"),  # 道路积水
    "09009": ("road", "JJDD", "CGZF"),  # 机动车乱停放
    "D0601": ("road", "JJDD", "CGZF"),  # 违章停车
    "06017": ("river", "YLLH", "JDBSC"),  # 绿地脏乱
    "06018": ("river", "YLLH", "JDBSC"),  # 绿化弃料
    "D0203": ("river", "YLLH", "JDBSC"),  # 公园设施
    "D1403": ("river", "YLLH", "JDBSC"),  # 绿化养护
    "09006": ("market", "SCJG", "CGZF"),  # 占道经营
    "D1401": ("market", "SCJG", "CGZF"),  # 占道经营 (demand)
}
# Sub-topic phrases appended to the description: (rule, side A or B) -> phrases.
PHRASES: dict[tuple[str, bool], tuple[str, ...]] = {
    ("road", True): ("该处位于城市主干道。", "地点在主干道机动车道上。", "涉及主干路段，车流量大。"),
    ("road", False): ("该处位于背街小巷。", "地点在小区内部道路。", "涉及支路胡同，车辆较少。"),
    ("market", True): ("就在农贸市场周边。", "集贸市场门口一带。"),
    ("market", False): ("在沿街人行道上。", "居民区路口附近。"),
}
SIDE_A_SHARE = {"road": 0.5, "market": 0.4}
REDISPATCH_BASE = 0.02  # of dispatched cases of a single-department category
REDISPATCH_SHARED = 0.10  # shared categories decided by the text
REDISPATCH_NEAR_BOUNDARY = 0.30  # "river" categories in grids close to the boundary
NEAR_BOUNDARY = 0.08  # of the city's longitude span
SECOND_REDISPATCH = 0.15  # share of re-dispatched cases re-dispatched twice
STREET_TAKEOVER = 0.03  # cases the street office takes on whatever the text (属地兜底): no cue to learn from


def _rules(taxonomy: Taxonomy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per category row: rule name ('' when not shared), department A and B."""
    codes = taxonomy.categories["category_code"].to_numpy(dtype=object)
    default = taxonomy.categories["department"].to_numpy(dtype=object)
    rule = np.array([SHARED.get(c, ("",))[0] for c in codes], dtype=object)
    dept_a = np.array([SHARED[c][1] if c in SHARED else d for c, d in zip(codes, default)], dtype=object)
    dept_b = np.array([SHARED[c][2] if c in SHARED else d for c, d in zip(codes, default)], dtype=object)
    return rule, dept_a, dept_b


def river_side(city: City) -> tuple[np.ndarray, np.ndarray]:
    """Per grid: east of the river (bool) and distance to it as a share of the longitude span."""
    lon = city.grids["centroid_lon"].to_numpy(float)
    median = float(np.median(lon))
    span = max(float(lon.max() - lon.min()), 1e-9)
    return lon >= median, np.abs(lon - median) / span


def route(frame: pd.DataFrame, city: City, taxonomy: Taxonomy, rng: np.random.Generator) -> pd.DataFrame:
    """Add ``department`` (before self-handling and dispute levels), ``subtopic`` and ``redispatch_draw``.

    ``subtopic`` is the sentence to append to the description (``""`` for none);
    ``redispatch_draw`` the re-dispatch count the case gets if it is dispatched.
    """
    n = len(frame)
    rule, dept_a, dept_b = _rules(taxonomy)
    cat = frame["category"].to_numpy()
    case_rule = rule[cat]
    east, distance = river_side(city)
    grid = frame["grid"].to_numpy()
    share_a = np.array([SIDE_A_SHARE.get(r, 0.0) for r in case_rule])
    side_a = np.where(case_rule == "river", east[grid], rng.random(n) < share_a)
    department = np.where(side_a, dept_a[cat], dept_b[cat])
    department = np.where(rng.random(n) < STREET_TAKEOVER, STREET_OFFICE, department)
    subtopic = np.full(n, "", dtype=object)
    pick = rng.random(n)
    for (name, a_side), phrases in PHRASES.items():
        rows = np.flatnonzero((case_rule == name) & (side_a == a_side))
        choice = np.minimum((pick[rows] * len(phrases)).astype(int), len(phrases) - 1)
        subtopic[rows] = np.asarray(phrases, dtype=object)[choice]
    near = (case_rule == "river") & (distance[grid] < NEAR_BOUNDARY)
    p = np.where(near, REDISPATCH_NEAR_BOUNDARY, np.where(case_rule != "", REDISPATCH_SHARED, REDISPATCH_BASE))
    draw = (rng.random(n) < p) * (1 + (rng.random(n) < SECOND_REDISPATCH))
    return frame.assign(
        department=pd.Series(department, dtype=object),
        subtopic=pd.Series(subtopic, dtype=object),
        redispatch_draw=draw.astype(np.int32),
    )


def redispatch_counts(frame: pd.DataFrame) -> pd.Series:
    """Re-dispatches as of the data end: the drawn count for dispatched cases, 0 for the rest."""
    dispatched = ~np.isnat(frame["dispatched_at"].to_numpy())
    return pd.Series(np.where(dispatched, frame["redispatch_draw"].to_numpy(), 0).astype(np.int32))


def with_subtopic(descriptions: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """Descriptions with each case's sub-topic sentence appended (unchanged where there is none)."""
    subtopic = frame["subtopic"].to_numpy(dtype=object)
    return np.where(subtopic != "", descriptions + subtopic, descriptions)
