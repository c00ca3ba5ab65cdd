"""The zh/en message catalogs and the formatting of numbers and dates per language, without Streamlit.

The catalogs live in ``ui/locales`` (``<lang>.json`` plus one ``<feature>/<lang>.json`` per feature).
``ui.i18n`` wraps these functions with the language of the current session; commands that write
documents (the briefings) pass the language explicitly.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent.parent / "ui" / "locales"
LANGUAGES = ("zh", "en")


def load_catalog(lang: str) -> dict[str, str]:
    """The catalog of ``lang``: ``locales/<lang>.json`` merged with every ``locales/<feature>/<lang>.json``.

    A feature keeps its strings in a folder of its own; a key defined twice raises ``ValueError``.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    merged: dict[str, str] = {}
    for path in [LOCALES / f"{lang}.json", *sorted(LOCALES.glob(f"*/{lang}.json"))]:
        with open(path, encoding="utf-8") as fh:
            part = json.load(fh)
        twice = set(part) & set(merged)
        if twice:
            raise ValueError(f"{path}: keys defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


@cache
def catalog(lang: str) -> dict[str, str]:
    return load_catalog(lang)


def text(lang: str, key: str, **values) -> str:
    """The string for ``key`` in ``lang`` formatted with ``values``; a missing key shows as ``⟦key⟧``."""
    found = catalog(lang).get(key)
    if found is None:
        return f"⟦{key}⟧"
    return found.format(**values) if values else found


def text_or(lang: str, key: str, fallback: str) -> str:
    return catalog(lang).get(key, fallback)


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and value != value)


def fmt_int(value, lang: str) -> str:
    """A count: ``12,345`` in English; ``1.23万`` from ten thousand up in Chinese."""
    if _missing(value):
        return "—"
    value = int(value)
    if lang == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:.2f}万"
    return f"{value:,}"


def fmt_pct(value, digits: int = 1) -> str:
    return "—" if _missing(value) else f"{value * 100:.{digits}f}%"


def signed(change: float, digits: int = 1) -> str:
    """A change with its sign, to ``digits`` decimals; one that rounds to zero has no sign.

    Examples
    --------
    >>> signed(1.26), signed(-0.04), signed(0.04), signed(-0.05001)
    ('+1.3', '0.0', '0.0', '-0.1')
    """
    shown = round(float(change), digits)
    return f"{abs(shown):.{digits}f}" if shown == 0 else f"{shown:+.{digits}f}"


def fmt_hours(value, lang: str) -> str:
    return "—" if _missing(value) else text(lang, "unit.hours", value=f"{value:.1f}")


def fmt_date(day, lang: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.strftime("%d %b %Y")


def rate_digits(values) -> int:
    """The fewest decimals (1 to 4) of a percentage that keep different ``values`` reading differently.

    Examples
    --------
    >>> rate_digits([0.0012, 0.0014, 0.0031]), rate_digits([0.5, 0.75, 1.0])
    (2, 1)
    """
    present = [v for v in values if not _missing(v)]
    distinct = len({round(float(v), 12) for v in present})
    for digits in range(1, 5):
        if len({fmt_pct(v, digits) for v in present}) == distinct:
            return digits
    return 4


def fmt_ranges(name: str, breaks, lang: str) -> list[str]:
    """``"lo – hi"`` of each class between consecutive ``breaks`` of a metric, as :func:`fmt_metric` writes
    them, but rates with as many decimals (up to 4) as it takes for different bounds to read differently
    (:func:`rate_digits`): shares of 0.12 % to 0.31 % are not five classes of "0.1% – 0.3%".

    Examples
    --------
    >>> fmt_ranges("share_rate", [0.0012, 0.0014, 0.0031], "en")
    ['0.12% – 0.14%', '0.14% – 0.31%']
    >>> fmt_ranges("closure_rate", [0.5, 0.75, 1.0], "en")
    ['50.0% – 75.0%', '75.0% – 100.0%']
    """
    values = list(breaks)
    if name.endswith("_rate"):
        digits = rate_digits(values)
        labels = [fmt_pct(v, digits) for v in values]
    else:
        labels = [fmt_metric(name, v, lang) for v in values]
    return [f"{lo} – {hi}" for lo, hi in zip(labels[:-1], labels[1:])]


def fmt_metric(name: str, value, lang: str) -> str:
    """A metric's value for people, by its name: rates as %, hours, one decimal for per-1,000 volumes and
    scores, whole counts otherwise; a status word is translated. The one formatter tiles, maps, tables
    and briefings share."""
    if _missing(value):
        return "—"
    if isinstance(value, str):
        return text_or(lang, f"status.{value}", value)
    if name.endswith("_rate"):
        return fmt_pct(value)
    if name.endswith("_hours"):
        return fmt_hours(value, lang)
    if name in ("reported_per_1000", "score"):
        return f"{value:.1f}"
    return fmt_int(value, lang)
