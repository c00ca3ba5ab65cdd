"""Fictional Chinese place names for the demo city.

Names are built from uncommon pairs of literary characters so that they read
as Chinese place names without naming a real district, street or community.
"""

from __future__ import annotations

import itertools

import numpy as np

CITY_NAME = "示范市（演示数据）"
CITY_NAME_EN = "Demo City (synthetic data)"

DISTRICT_NAMES = ("澄湖区", "云岭区", "枫澜区", "曦桐区", "漪岸区", "霁川区", "蘅皋区", "棠汀区", "箬溪区")

_FIRST = tuple("晴栖澄枫曦岚漪蓁霁沁鹭棠箬荇苕椒蘅杉槿芷蕙筠苇萱楸樾")
_SECOND = tuple("岸溪苑桥坊湾林畔汀渚塘埠圩墅亭阁")
_ESTATE = ("苑", "家园", "花园", "新村", "公寓", "雅居", "小区")
_ROAD = ("路", "街", "大道", "巷")
_ROAD_SECOND = tuple("和安康宁泰丰华兴盛平裕祥瑞德庆昌")


def _pairs(first: tuple[str, ...], second: tuple[str, ...]) -> list[str]:
    return [a + b for a, b in itertools.product(first, second) if a != b]


def district_names(count: int) -> list[str]:
    """``count`` district names (区); beyond the pool they are numbered."""
    names = list(DISTRICT_NAMES[:count])
    names += [f"示范第{i + 1}区" for i in range(len(names), count)]
    return names


def unique_names(count: int, suffix: str, rng: np.random.Generator) -> list[str]:
    """``count`` distinct two-character names plus ``suffix`` (e.g. 街道, 社区).

    Beyond the pool of pairs a serial number is appended, so names never repeat.
    """
    pool = _pairs(_FIRST, _SECOND)
    order = rng.permutation(len(pool))
    names = [pool[i] + suffix for i in order[:count]]
    for i in range(len(names), count):
        names.append(f"{pool[order[i % len(pool)]]}{i // len(pool) + 1}{suffix}")
    return names


def road_names(rng: np.random.Generator, count: int = 120) -> list[str]:
    """Fictional road names (路/街/大道/巷) for descriptions."""
    pool = [a + b + c for a, b, c in itertools.product(_FIRST, _ROAD_SECOND, _ROAD)]
    return [pool[i] for i in rng.choice(len(pool), size=count, replace=False)]


def estate_names(rng: np.random.Generator, count: int = 80) -> list[str]:
    """Fictional residential compound names (小区)."""
    pool = [a + b + c for a, b, c in itertools.product(_FIRST, _SECOND, _ESTATE) if a != b]
    return [pool[i] for i in rng.choice(len(pool), size=count, replace=False)]
