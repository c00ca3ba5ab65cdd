"""Ground-truth rows of the planted text signals for ``signals``, and the demo's tokenizer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analytics.demo import text
from analytics.demo.planted_text import DUPLICATE_METRES, EMERGING_MONTHS, REBOUND_METRES
from analytics.text.tokens import Tokenizer


def demo_tokenizer(ctx) -> Tokenizer:
    """The tokenizer the import would build for this city: category names and area names."""
    grids = ctx.city.grids
    words = ctx.taxonomy.categories["category_name"].tolist()
    for column in ("grid_name", "community_name", "street_name", "district_name"):
        words += grids[column].dropna().unique().tolist()
    return Tokenizer(words)


def text_signal_rows(ctx, pairs: pd.DataFrame, rebounds: pd.DataFrame) -> pd.DataFrame:
    """One row per planted emerging term, repeat cluster (subject: the parent case) and rebound (the closed case)."""
    end = pd.Timestamp(ctx.plan.days[-1] + 1)
    start = pd.Timestamp((np.datetime64(ctx.plan.days[-1] + 1, "M") - EMERGING_MONTHS).astype("datetime64[D]"))
    rows = [
        (
            "emerging_term",
            "term",
            term,
            start,
            end,
            {
                "category_code": code,
                "share_at_end": text.EMERGING_SHARE_AT_END,
                "ramp": "linear from 0 at start_date",
                "sources": ["hotline", "app"],
            },
        )
        for term, (code, _) in text.EMERGING_TERMS.items()
    ]
    clusters = (
        pairs.sort_values("case_id")
        .groupby("parent_id", sort=True)
        .agg(children=("case_id", list), first=("reported_at", "min"))
    )
    for parent, children, first in zip(clusters.index, clusters["children"], clusters["first"]):
        day = pd.Timestamp(first).normalize()
        detail = {"children": children, "max_distance_m": DUPLICATE_METRES}
        rows.append(("duplicate_cluster", "case", parent, day, day + pd.Timedelta(days=3), detail))
    for closed, rebound, closed_at, rebound_at in rebounds[
        ["case_id", "rebound_id", "closed_at", "rebound_at"]
    ].itertuples(index=False):
        first, last = pd.Timestamp(closed_at).normalize(), pd.Timestamp(rebound_at).normalize() + pd.Timedelta(days=1)
        rows.append(("rebound", "case", closed, first, last, {"rebound_id": rebound, "max_distance_m": REBOUND_METRES}))
    return pd.DataFrame(
        [
            {
                "signal": s,
                "subject_type": st,
                "subject_id": sid,
                "start_date": a.date(),
                "end_date": b.date(),
                "detail": json.dumps({**d, "end_exclusive": True}, ensure_ascii=False, sort_keys=True),
            }
            for s, st, sid, a, b, d in rows
        ]
    )
