"""Masking of personal data in free text and identifiers (one function for every view and export).

Masks mainland mobile numbers, landlines, 18/15-digit ID-card numbers, personal
names introduced the way reports introduce them (联系人张先生, 居民王秀英反映, 姓名：李娜),
and exact house numbers (128号3单元502室). Unmasking is a configuration option
(``[privacy] unmask``), off by default.
"""

from __future__ import annotations

import re

import pandas as pd

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_S = f"[{SURNAMES}]"

PATTERNS: list[tuple[str, re.Pattern, str]] = [
    (
        "id_card",
        re.compile(r"(?<!\d)(\d{6})(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"),
        r"\1********####",
    ),
    (
        "id_card15",
        re.compile(r"(?<!\d)\d{6}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)"),
        "***************",
    ),
    ("mobile", re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)"), r"\1****\2"),
    ("landline", re.compile(r"(?<!\d)(0\d{2,3})[- ]?\d{7,8}(?!\d)"), r"\1-********"),
    ("address", re.compile(r"\d+(?:号院|号楼|号|栋|幢)(?:\d+(?:栋|幢|号楼))?(?:\d+单元)?\d+(?:室|户)"), "**号***室"),
    ("house_number", re.compile(r"([\u4e00-\u9fff]{1,8}(?:路|街|巷|弄|道))\d+号"), r"\1**号"),
    ("name_title", re.compile(rf"({_S})[\u4e00-\u9fff]{{1,2}}(先生|女士|师傅|阿姨|大爷|老师)"), r"\1某\2"),
    (
        "name_intro",
        re.compile(
            rf"(联系人|居民|市民|业主|姓名[:：]?|当事人|来电人|租户|报案人)({_S})[\u4e00-\u9fff]{{1,2}}"
            r"(?=反映|来电|称|诉|投诉|表示|与|和|，|,|。|、|\s|$|电话|手机|身份证)"
        ),
        r"\1\2某",
    ),
]


def mask_text(text: str | None) -> str | None:
    """Free text with personal data masked; ``None`` stays ``None``.

    Examples
    --------
    >>> mask_text("联系人张先生，电话13812345678，身份证110101199003071234")
    '联系人张某，电话138****5678，身份证110101********####'
    >>> mask_text("居民王秀英反映幸福路128号3单元502室楼道堆物，刘建国师傅已到场")
    '居民王某反映幸福路**号***室楼道堆物，刘某师傅已到场'
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return text
    for _, pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask_frame(frame: pd.DataFrame, columns: tuple[str, ...] = ("description",), unmask: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` with the free-text ``columns`` masked (unless ``unmask``)."""
    if unmask:
        return frame
    out = frame.copy()
    for column in columns:
        if column in out:
            out[column] = out[column].map(mask_text)
    return out
