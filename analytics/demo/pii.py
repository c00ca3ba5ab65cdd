"""Fake personal data planted in about 10 % of descriptions, recorded for masking tests.

Types: ``name`` (张先生, 王秀英), ``mobile`` (1[3-9] + 9 digits), ``landline``
(0571-8xxxxxxx), ``id_card`` (18 digits with a valid ISO 7064 MOD 11-2 check
character) and ``address`` (exact house number down to the room).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PII_RATE = 0.10
TYPE_RATES = {"name": 0.55, "mobile": 0.60, "landline": 0.10, "id_card": 0.08, "address": 0.25}
SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏")
GIVEN = (
    "秀英",
    "桂英",
    "建华",
    "志强",
    "丽",
    "伟",
    "敏",
    "静",
    "海燕",
    "国平",
    "建国",
    "红梅",
    "晓东",
    "玉兰",
    "子涵",
    "浩然",
    "雨萱",
    "俊杰",
    "美玲",
    "金凤",
    "先生",
    "女士",
    "先生",
    "女士",
    "阿姨",
    "师傅",
)
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"), dtype=object)
ID_REGIONS = np.array([330191, 330192, 330102, 330105, 330106, 330108, 330110, 330183, 340104, 320583])
LABELS = {
    "address": "，具体地址：",
    "name": "，联系人",
    "mobile": "，联系电话",
    "landline": "，座机",
    "id_card": "，身份证号",
}


def _digits(rng: np.random.Generator, size: int, count: int) -> pd.Series:
    return pd.Series(rng.integers(0, 10**count, size)).astype(str).str.zfill(count)


def id_card_numbers(rng: np.random.Generator, size: int) -> pd.Series:
    """Random 18-digit resident ID numbers with a valid check character."""
    birth = (np.datetime64("1945-01-01") + rng.integers(0, 60 * 365, size)).astype("datetime64[D]")
    yyyymmdd = pd.Series(birth.astype(str)).str.replace("-", "", regex=False).astype(np.int64).to_numpy()
    body = rng.choice(ID_REGIONS, size) * 10**11 + yyyymmdd * 1000 + rng.integers(0, 1000, size)
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = ID_CHECK[(digits * ID_WEIGHTS).sum(axis=1) % 11]
    return pd.Series(body).astype(str) + pd.Series(check, dtype=str)


def _values(kind: str, rng: np.random.Generator, size: int, roads: list[str], estates: list[str]) -> pd.Series:
    if kind == "name":
        return pd.Series(rng.choice(SURNAMES, size), dtype=str) + pd.Series(rng.choice(GIVEN, size), dtype=str)
    if kind == "mobile":
        return "1" + pd.Series(rng.integers(3, 10, size)).astype(str) + _digits(rng, size, 9)
    if kind == "landline":
        return "0571-8" + _digits(rng, size, 7)
    if kind == "id_card":
        return id_card_numbers(rng, size)
    street = np.where(
        rng.random(size) < 0.5,
        pd.Series(rng.choice(roads, size), dtype=str) + pd.Series(rng.integers(1, 400, size)).astype(str) + "号",
        pd.Series(rng.choice(estates, size), dtype=str) + pd.Series(rng.integers(1, 30, size)).astype(str) + "幢",
    )
    return (
        pd.Series(street, dtype=str)
        + pd.Series(rng.integers(1, 6, size)).astype(str)
        + "单元"
        + pd.Series(rng.integers(1, 25, size) * 100 + rng.integers(1, 5, size)).astype(str)
        + "室"
    )


def plant(
    case_id: np.ndarray, description: np.ndarray, rng: np.random.Generator, roads: list[str], estates: list[str]
) -> tuple[np.ndarray, pd.DataFrame]:
    """Append fake personal data to ~10 % of descriptions; return them and the planted values."""
    chosen = np.flatnonzero(rng.random(len(case_id)) < PII_RATE)
    size = chosen.size
    has = {k: rng.random(size) < rate for k, rate in TYPE_RATES.items()}
    has["mobile"] |= ~np.logical_or.reduce(list(has.values()))
    suffix = pd.Series("", index=range(size), dtype=str)
    planted = []
    for kind in LABELS:
        values = _values(kind, rng, size, roads, estates)
        suffix = suffix + pd.Series(np.where(has[kind], LABELS[kind] + values, ""), dtype=str)
        planted.append(
            pd.DataFrame(
                {
                    "case_id": case_id[chosen][has[kind]],
                    "pii_type": kind,
                    "value": values[has[kind]].to_numpy(dtype=object),
                }
            )
        )
    base = pd.Series(description[chosen], dtype=str).str.removesuffix("。")
    out = description.copy()
    out[chosen] = (base + suffix + "。").to_numpy(dtype=object)
    rows = pd.concat(planted, ignore_index=True)
    order = np.lexsort((rows["pii_type"].to_numpy(dtype=str), rows["case_id"].to_numpy(dtype=str)))
    return out, rows.iloc[order].reset_index(drop=True)
