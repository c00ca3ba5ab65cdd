"""Masking of personal data in free text and identifiers (one function for every view and export).

Masks, in Chinese and English text: phone numbers in any common writing (mobiles with spaces, dots,
dashes, full-width digits, a +86/0086 prefix; landlines with the area code in brackets or none; US
numbers) found by Google's ``phonenumbers`` plus patterns for what it does not validate; ID-card
numbers (18/15 digits, also grouped with spaces); bank cards (Luhn-checked); e-mail, WeChat and QQ
ids; licence plates; exact addresses (house, building, unit, lane, room); personal names
(:mod:`analytics.privacy_names`: after words such as 联系人/报告人/投诉人/户主, before 同志/先生/师傅,
compound surnames, jieba's person-name tags; English names after Mr/Ms/caller/contact).
:data:`PERSONAL_COLUMNS` lists the columns masked wherever a table is shown. Unmasking is for
administrators only (``[privacy] unmask`` or their session switch), off by default.
The measured recall and over-masking are printed by ``tests/test_privacy_recall.py``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import pandas as pd
import phonenumbers

from analytics.privacy_names import mask_names

D = "[0-9０-９]"  # ASCII or full-width digit
SEP = r"[-.\s\u2010-\u2015－．　]?"
PERSONAL_COLUMNS = (
    "description",
    "raw",
    "sample",
    "address",
    "reporter",
    "reporter_name",
    "reporter_phone",
    "contact",
    "contact_name",
    "phone",
    "worker_name",
)
PERSONAL_KEYS = re.compile(
    r"name|姓名|联系人|报告人|投诉人|来电人|户主|业主|phone|tel|mobile|电话|手机|座机|address|地址|住址|"
    r"身份证|id_?card|email|e-mail|邮箱|微信|wechat|qq|车牌|plate|银行|card|reporter|caller|contact",
    re.IGNORECASE,
)


def _luhn(digits: str) -> bool:
    total, odd = 0, True
    for ch in reversed(digits):
        n = int(ch)
        if not odd:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total, odd = total + n, not odd
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(str(int(ch)) for ch in text if ch.isdigit())


def _bank_card(match: re.Match) -> str:
    digits = _digits(match.group())
    return f"**** **** **** {digits[-4:]}" if 16 <= len(digits) <= 19 and _luhn(digits) else match.group()


PATTERNS: list[tuple[str, re.Pattern, object]] = [
    (
        "id_card",
        re.compile(
            rf"(?<![0-9０-９])({D}{{6}})\s?(?:19|20|１９|２０){D}{{2}}(?:{D}{{4}})\s?{D}{{3}}[0-9０-９Xxｘ](?![0-9０-９])"
        ),
        r"\1********####",
    ),
    (
        "id_card15",
        re.compile(r"(?<!\d)\d{6}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)"),
        "***************",
    ),
    ("bank_card", re.compile(r"(?<![0-9])(?:[0-9]{4}[ -]?){3}[0-9]{4}(?:[ -]?[0-9]{1,3})?(?![0-9])"), _bank_card),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "***@***"),
    (
        "wechat",
        re.compile(r"(微信号?|微信id|wechat(?:\s*id)?|vx|wx)(\s*[:：]?\s*)([A-Za-z][-_A-Za-z0-9]{5,19})", re.I),
        r"\1\2******",
    ),
    ("qq", re.compile(r"(QQ号?|Q号)(\s*[:：]?\s*)([1-9][0-9]{4,10})(?![0-9])", re.I), r"\1\2******"),
    (
        "plate",
        re.compile(
            r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z])[·•\s]?[A-Z0-9]{5,6}(?![A-Za-z0-9])"
        ),
        r"\1*****",
    ),
    (
        "mobile",
        re.compile(
            rf"(?<![0-9０-９])(?:(?:\+|００|00)?(?:86|８６){SEP})?(1[3-9]|１[３-９]){D}{SEP}{D}{{4}}{SEP}{D}{{4}}(?![0-9０-９])"
        ),
        lambda m: _digits(m.group())[-11:-8] + "****" + _digits(m.group())[-4:],
    ),
    (
        "landline",
        re.compile(rf"(?<![0-9０-９])[(（]?(0{D}{{2,3}})[)）]?{SEP}{D}{{3,4}}{SEP}{D}{{4}}(?![0-9０-９])"),
        lambda m: _digits(m.group(1)) + "-********",
    ),
    (
        "landline_local",
        re.compile(rf"(电话|座机|固话|tel|Tel|TEL|联系方式)(\s*[:：]?\s*)[2-8]{D}{{2,3}}{SEP}{D}{{4}}(?![0-9０-９])"),
        r"\1\2********",
    ),
    (
        "us_phone",
        re.compile(r"(?<![0-9])(?:\+?1[\s.-]?)?\(?[2-9][0-9]{2}\)?[\s.-]?[0-9]{3}[\s.-][0-9]{4}(?![0-9])"),
        "***-***-****",
    ),
    (
        "address",
        re.compile(
            rf"{D}+(?:号院|号楼|号|栋|幢|座)(?:{D}+(?:栋|幢|号楼))?(?:{D}+单元)?{D}+(?:室|户|号)"
            rf"|{D}+(?:栋|幢|号楼|座){D}+单元(?:{D}+(?:室|户|号)?)?"
            rf"|{D}+单元{D}{{3,4}}室?"
        ),
        "**号***室",
    ),
    ("lane", re.compile(rf"{D}+弄(?:{D}+(?:号|支弄))?(?:{D}+室)?"), "**弄**号"),
    ("house_number", re.compile(rf"([\u4e00-\u9fff]{{1,8}}(?:路|街|巷|道|村|组))({D}+)号(?!楼|院)"), r"\1**号"),
]


def _phones(text: str) -> str:
    """Numbers ``phonenumbers`` recognises as valid in China or the US (what the patterns left)."""
    for region in ("CN", "US"):
        spans = [
            (m.start, m.end)
            for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
        ]
        for start, end in reversed(spans):
            digits = _digits(text[start:end])
            text = text[:start] + digits[:3] + "*" * max(len(digits) - 7, 4) + digits[-4:] + text[end:]
    return text


def mask_text(text: str | None) -> str | None:
    """Free text with personal data masked; ``None`` (and NaN) stay as they are.

    Examples
    --------
    >>> mask_text("联系人张先生，电话13812345678，身份证110101199003071234")
    '联系人张某，电话138****5678，身份证110101********####'
    >>> mask_text("居民王秀英反映幸福路128号3单元502室楼道堆物，刘建国师傅已到场")
    '居民王某反映幸福路**号***室楼道堆物，刘某师傅已到场'
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return text
    return _mask(str(text))


LONG_NUMBER = re.compile(r"[0-9０-９][0-9０-９\s().（）+-]{5,}[0-9０-９]")


@lru_cache(maxsize=100_000)
def _mask(text: str) -> str:
    """The masking of one text (cached: case lists repeat descriptions, and tables are redrawn)."""
    for _, pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    if LONG_NUMBER.search(text):  # phonenumbers is slow; only where a phone number could be
        text = _phones(text)
    return mask_names(text)


def mask_record(raw: str | None) -> str | None:
    """A rejected row kept as JSON: values under personal keys (姓名, phone, 地址, …) masked whole,
    every other value (and every field of a keyless row) through :func:`mask_text`."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return raw
    try:
        record = json.loads(raw)
    except (TypeError, ValueError):
        return mask_text(raw)
    return json.dumps(_mask_value(record, None), ensure_ascii=False)


def _mask_value(value, key: str | None):
    if isinstance(value, dict):
        return {k: _mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v, key if key != "fields" else None) for v in value]
    if isinstance(value, str):
        if key is not None and PERSONAL_KEYS.search(key) and value.strip():
            return "***"
        return mask_names(mask_text(value), bare=True)
    return value


def mask_frame(frame: pd.DataFrame, columns: tuple[str, ...] = ("description",), unmask: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` with the ``columns`` that hold personal data masked (unless ``unmask``);
    a ``raw`` column (rejected rows as JSON) is masked key by key (:func:`mask_record`)."""
    if unmask:
        return frame
    out = frame.copy()
    for column in columns:
        if column in out:
            out[column] = out[column].map(mask_record if column == "raw" else mask_text)
    return out
