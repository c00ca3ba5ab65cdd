"""The desk: for one complaint, the likely departments, the category and its deadline, and similar past cases.

The complaint text is bounded (``[dispatch] max_text_chars``) before anything
reads it. Similar past cases are read through :class:`~analytics.filters.Filters`
(so an area scope holds), among the most recent closed cases of the suggested
category, ranked by TF-IDF cosine similarity, and returned with their text
masked (:func:`analytics.privacy.mask_frame`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
from sklearn.preprocessing import normalize

from analytics.dispatch.features import Featurizer, hour_blocks
from analytics.dispatch.history import coverage
from analytics.dispatch.model import DispatchModel
from analytics.filters import Filters, case_filter_sql, period_params
from analytics.privacy import mask_frame
from analytics.workcal import WorkCalendar

TOP_DEPARTMENTS = 3


def bounded_text(text: str | None, max_chars: int) -> str:
    """The complaint as the model reads it: stripped, control characters removed, at most ``max_chars``."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    return cleaned.strip()[:max_chars]


def _case_frame(
    con: duckdb.DuckDBPyConnection, text: str, grid_id: str | None, source: str | None, when
) -> pd.DataFrame:
    district = None
    if grid_id:
        row = con.cursor().execute("SELECT district_id FROM grids WHERE grid_id = $g", {"g": grid_id}).fetchone()
        district = row[0] if row else None
    frame = pd.DataFrame(
        {
            "description": [text],
            "grid_id": [grid_id],
            "district_id": [district],
            "source": [source],
            "reported_at": [when],
        }
    )
    frame["hour_block"] = hour_blocks(frame["reported_at"])
    return frame


def _deadline(con: duckdb.DuckDBPyConnection, code: str, when: dt.datetime, cal: WorkCalendar) -> dict:
    row = (
        con.cursor()
        .execute(
            "SELECT category_name, category_name_en, deadline_hours, deadline_basis FROM categories "
            "WHERE category_code = $c ORDER BY kind LIMIT 1",
            {"c": code},
        )
        .fetchone()
    )
    if row is None:
        return {"category_name": None, "category_name_en": None, "deadline_hours": None, "deadline_basis": None}
    out = dict(zip(("category_name", "category_name_en", "deadline_hours", "deadline_basis"), row))
    out["due_at"] = None
    if out["deadline_hours"] is not None and not pd.isna(out["deadline_hours"]):
        try:
            due = cal.due_at(
                pd.Series([when]), pd.Series([float(out["deadline_hours"])]), pd.Series([out["deadline_basis"]])
            )
            out["due_at"] = None if pd.isna(due.iloc[0]) else due.iloc[0].to_pydatetime()
        except ValueError:  # beyond the calendar's table
            out["due_at"] = None
    return out


def suggest(
    con: duckdb.DuckDBPyConnection,
    model: DispatchModel,
    text: str,
    cfg: dict,
    grid_id: str | None = None,
    source: str | None = None,
    when: dt.datetime | None = None,
) -> dict:
    """Three departments with calibrated confidence, the category with its deadline, and the routing advice.

    ``route_to_dispatcher`` is true when the top department's confidence is below
    ``[dispatch] confidence_threshold``.
    """
    settings = cfg["dispatch"]
    text = bounded_text(text, int(settings["max_text_chars"]))
    if not text:
        raise ValueError("the complaint text is empty")
    when = when or dt.datetime.now().replace(microsecond=0)
    proba = model.proba(_case_frame(con, text, grid_id, source, when))
    names = dict(con.cursor().execute("SELECT department, department_name FROM departments").fetchall())
    names_en = dict(con.cursor().execute("SELECT department, department_name_en FROM departments").fetchall())
    dept_classes = model.classifiers["department"].classes
    order = np.argsort(-proba["department"][0], kind="stable")[:TOP_DEPARTMENTS]
    departments = [
        {
            "department": str(dept_classes[i]),
            "department_name": names.get(dept_classes[i]),
            "department_name_en": names_en.get(dept_classes[i]),
            "confidence": float(proba["department"][0][i]),
        }
        for i in order
    ]
    cat_classes = model.classifiers["category_code"].classes
    best = int(np.argmax(proba["category_code"][0]))
    category = {"category_code": str(cat_classes[best]), "confidence": float(proba["category_code"][0][best])}
    category.update(_deadline(con, category["category_code"], when, WorkCalendar.from_config(cfg)))
    threshold = float(settings["confidence_threshold"])
    return {
        "text": text,
        "grid_id": grid_id,
        "departments": departments,
        "category": category,
        "confidence_threshold": threshold,
        "route_to_dispatcher": departments[0]["confidence"] < threshold,
    }


SIMILAR_SQL = """
SELECT c.case_id, c.reported_at, c.category_code, c.category_name, c.department, c.status,
       round(epoch(c.closed_at - c.filed_at) / 3600.0, 1) AS hours_to_close,
       c.closed_at <= c.due_at AS closed_on_time, c.rework_count, c.redispatch_count, c.description
FROM cases c
WHERE c.reported_at >= $start AND c.reported_at < $end AND c.category_code = $code
  AND c.description IS NOT NULL AND c.closed_at IS NOT NULL AND c.status <> 'cancelled' AND {where}
ORDER BY c.reported_at DESC, c.case_id DESC
LIMIT $pool
"""


def similar_cases(
    con: duckdb.DuckDBPyConnection,
    model: DispatchModel,
    f: Filters,
    text: str,
    category_code: str,
    cfg: dict,
) -> pd.DataFrame:
    """The most similar closed past cases of the category, in the filter's area, descriptions masked.

    Candidates are the ``[dispatch] similar_pool`` most recent closed cases of the category over the whole
    history (the filter's period, kind, category and source are not applied; its area is).
    """
    settings = cfg["dispatch"]
    first, end = coverage(con)
    scope = replace(f, start=first, end=max(end, first), kind=None, category_major=None, category=None, source=None)
    where, params = case_filter_sql(scope)
    pool = int(settings["similar_pool"])
    candidates = (
        con.cursor()
        .execute(
            SIMILAR_SQL.format(where=where),
            {**params, **period_params(scope), "code": category_code, "pool": pool},
        )
        .df()
    )
    if candidates.empty:
        return candidates.assign(similarity=pd.Series(dtype=float))
    query = bounded_text(text, int(settings["max_text_chars"]))
    vectors = _text_vectors(model.featurizer, pd.concat([pd.Series([query]), candidates["description"]]))
    scores = (vectors[1:] @ vectors[0].T).toarray().ravel()
    candidates["similarity"] = scores
    ranked = candidates.sort_values(["similarity", "reported_at"], ascending=[False, False], kind="stable")
    top = ranked.head(int(settings["similar_cases"])).reset_index(drop=True)
    return mask_frame(top, unmask=bool(cfg.get("privacy", {}).get("unmask", False)))


def _text_vectors(featurizer: Featurizer, texts: pd.Series):
    counts = Featurizer.hasher().transform(texts.fillna("").astype(str).tolist())
    return normalize(featurizer.tfidf.transform(counts))
