"""Apply a :class:`~analytics.ingest.mapping.Mapping` to a file read as text.

The result has every canonical ``cases`` column (plus ``department_name``), typed,
and a reject reason per row where the row cannot become a case (no id, no or an
unparseable report time, an unknown kind). Data-quality flags and locations are
added later (``validate`` and ``locate``); duplicates are judged across files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.ingest.errors import IngestError
from analytics.ingest.mapping import BOOL_COLUMNS, MAPPABLE, TEXT_COLUMNS, TIME_COLUMNS, Mapping
from analytics.ingest.readers import CaseFile
from analytics.ingest.times import parse_times

KINDS = ("incident", "demand", "dispute")
TRUE_WORDS = {"true", "t", "yes", "y", "1", "是"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "否"}
REQUIRED = ("case_id", "reported_at")


@dataclass
class MappedFile:
    """Canonical columns of one file, with the row numbers, reject reasons and notes."""

    cases: pd.DataFrame                                    # canonical columns; index = position in the file
    reject_reason: pd.Series                               # str reason or NA per row
    unparseable: dict[str, pd.Series] = field(default_factory=dict)  # time column -> bad-value mask
    notes: list[str] = field(default_factory=list)
    used_columns: dict[str, str] = field(default_factory=dict)       # canonical -> source column


def resolve_columns(mapping: Mapping, available: list[str], label: str) -> tuple[dict[str, str], list[str]]:
    """Canonical → source column actually present (first candidate that exists), and notes on the rest."""
    present, used, notes = set(available), {}, []
    for target, candidates in mapping.columns.items():
        found = next((c for c in candidates if c in present), None)
        if found is not None:
            used[target] = found
        elif target in REQUIRED:
            raise IngestError(f"{label}: the column for `{target}` ({' or '.join(candidates)}) is not in the "
                              f"file; its columns are: {', '.join(available)}")
        else:
            notes.append(f"{label}: no column {' or '.join(repr(c) for c in candidates)} for `{target}`; "
                         "left empty")
    return used, notes


def _clean(text: pd.Series, null_values: tuple[str, ...]) -> pd.Series:
    text = text.astype("str").str.strip()
    missing = text.eq("") | (text.isin(null_values) if null_values else False)
    return text.mask(missing)


def _translate(text: pd.Series, vmap) -> pd.Series:
    """Map each distinct value once; unlisted values take ``default`` (or stay), missing stay missing."""
    codes, uniques = pd.factorize(text)
    if len(uniques) == 0:
        return pd.Series(None, index=text.index, dtype="str")
    originals = pd.Series(uniques, dtype="str")
    mapped = originals.str.strip().str.casefold().map(vmap.table)
    mapped = mapped.fillna(originals if vmap.default is None else vmap.default).to_numpy(object)
    out = mapped[codes]
    out[codes < 0] = None
    return pd.Series(out, index=text.index, dtype="str")


def _texts(raw: pd.DataFrame, mapping: Mapping, used: dict[str, str]) -> dict[str, pd.Series]:
    texts = {target: _clean(raw[source], mapping.null_values) for target, source in used.items()}
    for target, transform in mapping.transforms.items():
        if target in texts:
            parts = texts[target].str.split(transform.split, regex=False).str[transform.part]
            texts[target] = parts.str.strip().mask(lambda s: s.eq(""))
    for target, vmap in mapping.values.items():
        source = next((c for c in vmap.column if c in raw.columns), None)
        text = _clean(raw[source], mapping.null_values) if source else texts.get(target)
        if text is None and vmap.default is not None:
            texts[target] = pd.Series(vmap.default, index=raw.index, dtype="str")
        elif text is not None:
            texts[target] = _translate(text, vmap)
    for target, value in mapping.constants.items():
        current = texts.get(target)
        texts[target] = (pd.Series(value, index=raw.index, dtype="str") if current is None
                         else current.fillna(value))
    return texts


def _booleans(text: pd.Series) -> pd.Series:
    low = text.str.casefold()
    out = pd.Series(pd.NA, index=text.index, dtype="boolean")
    out[low.isin(TRUE_WORDS)] = True
    out[low.isin(FALSE_WORDS)] = False
    return out


def _typed(texts: dict[str, pd.Series], mapping: Mapping, index: pd.Index):
    cases = pd.DataFrame(index=index)
    for name in TEXT_COLUMNS:
        cases[name] = texts.get(name, pd.Series(None, index=index, dtype="str")).astype("str")
    to_parse = {name: (texts[name], mapping.formats_for(name)) for name in TIME_COLUMNS if name in texts}
    parsed = parse_times(to_parse, mapping.timezone)
    unparseable = {}
    for name in TIME_COLUMNS:
        if name in parsed:
            cases[name] = parsed[name]
            bad = texts[name].notna() & parsed[name].isna()
            if bad.any():
                unparseable[name] = bad
        else:
            cases[name] = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
    for name in ("lon", "lat"):
        cases[name] = pd.to_numeric(texts.get(name, pd.Series(None, index=index, dtype="str")), errors="coerce")
    rework = pd.to_numeric(texts.get("rework_count", pd.Series(None, index=index, dtype="str")), errors="coerce")
    cases["rework_count"] = rework.fillna(0).round().astype("int32")
    for name in BOOL_COLUMNS:
        cases[name] = _booleans(texts[name]) if name in texts else pd.Series(pd.NA, index=index, dtype="boolean")
    return cases, unparseable


def _lifecycle(cases: pd.DataFrame, mapping: Mapping) -> None:
    """Status from the closure time where the source has none; filed = reported unless given."""
    derived = np.where(cases["closed_at"].notna(), "closed", "filed")
    cases["status"] = cases["status"].str.casefold().fillna(pd.Series(derived, index=cases.index))
    if mapping.closed_at_requires_status:
        cases.loc[~cases["status"].isin(mapping.closed_at_requires_status), "closed_at"] = pd.NaT
    cases["filed_at"] = cases["filed_at"].fillna(cases["reported_at"])
    cases["kind"] = cases["kind"].str.casefold()


def _reasons(cases: pd.DataFrame, unparseable: dict[str, pd.Series]) -> pd.Series:
    reason = pd.Series(None, index=cases.index, dtype="str")
    checks = [("invalid_kind", ~cases["kind"].isin(KINDS)),
              ("missing_reported_at", cases["reported_at"].isna()),
              ("unparseable_reported_at", unparseable.get("reported_at", pd.Series(False, index=cases.index))),
              ("missing_id", cases["case_id"].isna())]
    for name, mask in checks:  # the last matching check wins, so a missing id is reported first
        reason = reason.mask(mask, name)
    return reason


def map_file(case_file: CaseFile, mapping: Mapping) -> MappedFile:
    """Canonical, typed columns of one case file and the reason each unusable row is rejected."""
    raw = case_file.frame
    used, notes = resolve_columns(mapping, list(raw.columns), case_file.name)
    texts = _texts(raw, mapping, used)
    if "kind" not in texts:
        texts["kind"] = pd.Series("demand", index=raw.index, dtype="str")
        notes.append(f"{case_file.name}: the mapping gives no `kind`; every case is a demand")
    cases, unparseable = _typed(texts, mapping, raw.index)
    _lifecycle(cases, mapping)
    reason = _reasons(cases, unparseable)
    unparseable.pop("reported_at", None)
    assert set(cases.columns) >= set(MAPPABLE)
    return MappedFile(cases, reason, unparseable, notes, used)
