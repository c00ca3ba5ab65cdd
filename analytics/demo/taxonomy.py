"""Categories (incident / demand / dispute) and handling departments of the demo city.

The reference tables live in ``data/reference/``: GB/T 47678.5-2026 matters
(incidents), a 12345-style demand taxonomy and a dispute taxonomy. Each row
carries its deadline, handling department, a relative weight within its major
class and short description phrases. Major-class shares come from published
figures (``shared/spec/metrics.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.store import DATA_DIR

REFERENCE_DIR = DATA_DIR / "reference"
FILES = {"incident": "categories_gbt47678_5.csv", "demand": "demand_taxonomy.csv", "dispute": "dispute_taxonomy.csv"}

# A Beijing district's grid patrol mix (85,111 cases); the rest is 其他事项类.
INCIDENT_MAJOR_SHARES = {
    "市容环境类": 65.2,
    "街面秩序类": 24.5,
    "宣传广告类": 3.2,
    "公共设施类": 2.1,
    "施工管理类": 2.0,
    "其他事项类": 3.0,
}
# Beijing 12345 in 2020 gives the first nine demand majors (in % of all contacts, of
# which 疫情防控 took 9.8 %); without 疫情防控 they are renormalised by 1 / 0.902.
DEMAND_RENORMALISE = 1 / 0.902

# department, Chinese name, English name, median share of the deadline used, log-sd
DEPARTMENTS = [
    ("CGZF", "城市管理综合执法局", "Urban Management and Law Enforcement Bureau", 0.48, 0.60),
    ("HWZX", "环境卫生管理中心", "Environmental Sanitation Management Centre", 0.40, 0.55),
    ("SZSS", "市政设施管理中心", "Municipal Facilities Management Centre", 0.55, 0.62),
    ("YLLH", "园林绿化管理中心", "Landscaping and Greening Centre", 0.50, 0.60),
    ("JJDD", "公安分局交通警察大队", "Traffic Police Brigade", 0.45, 0.55),
    ("GAFJ", "公安分局", "Public Security Sub-bureau", 0.47, 0.60),
    ("ZJJ", "住房和城乡建设局", "Housing and Urban-Rural Development Bureau", 0.58, 0.65),
    ("SCJG", "市场监督管理局", "Administration for Market Regulation", 0.45, 0.55),
    ("STHJ", "生态环境分局", "Ecology and Environment Sub-bureau", 0.50, 0.60),
    ("WJJ", "卫生健康局", "Health Commission", 0.45, 0.55),
    ("JYJ", "教育局", "Education Bureau", 0.42, 0.55),
    ("RSJ", "人力资源和社会保障局", "Human Resources and Social Security Bureau", 0.55, 0.62),
    ("GYSY", "公用事业服务中心", "Public Utilities Service Centre", 0.45, 0.60),
    ("SFJ", "司法局", "Justice Bureau", 0.60, 0.50),
    ("JDBSC", "街道办事处", "Street offices", 0.45, 0.55),
]
STREET_OFFICE = "JDBSC"
CATEGORY_COLUMNS = [
    "kind",
    "category_code",
    "category_name",
    "category_major",
    "deadline_hours",
    "deadline_basis",
    "category_name_en",
    "category_major_en",
]


@dataclass(frozen=True)
class Taxonomy:
    """All categories (one row each, ``p`` = share within its kind) and departments."""

    categories: pd.DataFrame
    departments: pd.DataFrame

    def index_of(self, code: str) -> int:
        """Row position of a category code."""
        hits = np.flatnonzero(self.categories["category_code"].to_numpy(dtype=str) == code)
        if hits.size != 1:
            raise ValueError(f"unknown category code {code!r}")
        return int(hits[0])


def _read(kind: str) -> pd.DataFrame:
    frame = pd.read_csv(REFERENCE_DIR / FILES[kind], dtype=str, keep_default_na=False)
    for column in ("deadline_hours", "weight"):
        frame[column] = frame[column].astype(float)
    return frame


def _within_major(frame: pd.DataFrame, major_share: pd.Series) -> np.ndarray:
    within = frame["weight"] / frame.groupby("category_major")["weight"].transform("sum")
    total = major_share.groupby(frame["category_major"]).first().sum()
    return (within * major_share / total).to_numpy(float)


def _incident_shares(frame: pd.DataFrame) -> np.ndarray:
    return _within_major(frame, frame["category_major"].map(INCIDENT_MAJOR_SHARES).astype(float))


def _demand_shares(frame: pd.DataFrame) -> np.ndarray:
    listed = frame["major_share"] != ""
    given = frame["major_share"].where(listed, "0").astype(float) * DEMAND_RENORMALISE
    given_total = given[listed].groupby(frame["category_major"]).first().sum()
    others = frame.loc[~listed, "category_major"].nunique()
    share = given.where(listed, (100 - given_total) / max(others, 1))
    return _within_major(frame, share)


def load_taxonomy() -> Taxonomy:
    """Read the reference tables; ``p`` sums to 1 within each kind."""
    parts = []
    for kind, shares in (
        ("incident", _incident_shares),
        ("demand", _demand_shares),
        ("dispute", lambda f: (f["weight"] / f["weight"].sum()).to_numpy(float)),
    ):
        frame = _read(kind)
        frame["p"] = shares(frame)
        for column in ("self_handle", "season"):
            if column not in frame:
                frame[column] = "0" if column == "self_handle" else ""
        parts.append(frame)
    categories = pd.concat(parts, ignore_index=True)
    categories["self_handle"] = categories["self_handle"] == "1"
    departments = pd.DataFrame(
        DEPARTMENTS, columns=["department", "department_name", "department_name_en", "median_share", "sigma"]
    )
    unknown = set(categories["department"]) - set(departments["department"])
    if unknown:
        raise ValueError(f"reference tables name unknown departments: {sorted(unknown)}")
    return Taxonomy(categories=categories, departments=departments)


def month_weights(taxonomy: Taxonomy, kind: str, month: int, excluded: tuple[int, ...] = ()) -> np.ndarray:
    """Category probabilities of ``kind`` in calendar ``month`` (1-12), over all rows.

    Seasonal rows (``season == 'winter'``) are rare outside December-February;
    the share of each major class is kept. ``excluded`` rows (planted streams)
    get probability 0 and the rest of the kind is rescaled.
    """
    cats = taxonomy.categories
    p = np.where(cats["kind"] == kind, cats["p"].to_numpy(float), 0.0)
    p[list(excluded)] = 0.0
    winter = (cats["season"] == "winter").to_numpy()
    factor = np.where(winter & (month not in (12, 1, 2)), 0.03, 1.0)
    major = cats["category_major"].to_numpy(dtype=str)
    adjusted = p * factor
    for name in np.unique(major[winter & (p > 0)]):
        rows = major == name
        adjusted[rows] *= p[rows].sum() / adjusted[rows].sum()
    return adjusted / adjusted.sum()
