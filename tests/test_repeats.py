"""Repeats and rebounds: candidate pairs and clusters on hand-placed cases, rates, and the planted ground truth."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.repeats.clusters import RepeatRule, find_repeats
from analytics.repeats.pairs import candidate_pairs
from analytics.repeats.rates import rebounds, repeat_rates, repeats
from analytics.repeats.similarity import pair_similarity
from analytics.schema import create_schema

LAT = 30.0
DEG_PER_M_LAT = 1 / 110_540.0  # the planar model of analytics.repeats.pairs


def _cases(rows):
    """rows: (case_id, category, metres north of the origin, hours after 2025-03-01, description)."""
    frame = pd.DataFrame(rows, columns=["case_id", "category_code", "north_m", "hours", "description"])
    frame["lon"] = 120.0
    frame["lat"] = LAT + frame["north_m"] * DEG_PER_M_LAT
    frame["reported_at"] = pd.Timestamp("2025-03-01") + pd.to_timedelta(frame["hours"], unit="h")
    return frame


def test_pairs_respect_distance_window_and_category():
    cases = _cases(
        [
            ("A", "X", 0, 0, ""),
            ("B", "X", 99, 71, ""),  # 99 m, 71 h: a pair with A
            ("C", "X", 101, 1, ""),  # 101 m from A: none with A; 2 m from B but 70 h earlier: pair (C, B)
            ("D", "X", 0, 73, ""),  # 73 h after A: none with A; 2 h after B, 99 m: pair (B, D)
            ("E", "Y", 0, 1, ""),  # other category: never
        ]
    )
    pairs = candidate_pairs(cases, cases, 100, 72)
    ids = cases["case_id"]
    found = {(ids[first], ids[second]) for first, second in zip(pairs["e"], pairs["l"]) if first != second}
    assert found == {("A", "B"), ("C", "B"), ("B", "D")}
    row = pairs[(pairs["e"] == 0) & (pairs["l"] == 1)].iloc[0]
    assert row["distance_m"] == pytest.approx(99, abs=1e-6) and row["hours_apart"] == pytest.approx(71)


def test_clusters_are_anchored_at_the_parent():
    cases = _cases(
        [
            ("A", "X", 0, 0, "路灯坏了"),
            ("B", "X", 50, 48, "路灯坏了"),  # repeats A
            (
                "C",
                "X",
                90,
                80,
                "路灯坏了",
            ),  # 80 h after A (too late), 32 h after B (a repeat, not a parent): new parent
            ("D", "X", 95, 100, "路灯坏了"),  # repeats C (20 h, 5 m)
        ]
    )
    out = find_repeats(cases, RepeatRule(100, 72, 0.0))
    assert out[["case_id", "parent_id"]].values.tolist() == [["B", "A"], ["D", "C"]]
    assert out["distance_m"].tolist() == [50.0, 5.0] and out["hours_apart"].tolist() == [48.0, 20.0]


def test_text_similarity_filters_pairs():
    cases = _cases(
        [("A", "X", 0, 0, "小区东门路灯不亮了"), ("B", "X", 10, 1, "小区东门路灯不亮"), ("C", "X", 10, 2, "井盖被盗")]
    )
    assert find_repeats(cases, RepeatRule(100, 72, 0.0))["case_id"].tolist() == ["B", "C"]
    strict = find_repeats(cases, RepeatRule(100, 72, 0.3))
    assert strict["case_id"].tolist() == ["B"] and strict["similarity"].iloc[0] > 0.7
    assert pair_similarity(cases["description"], np.array([0]), np.array([2]))[0] == 0.0


def test_repeated_text_pairs_get_the_same_similarity():
    """Pairs of the same two texts get the same value, a text with itself 1, no shared n-gram 0, no text NaN."""
    texts = pd.Series(["路灯不亮", "路灯不亮了", "路灯不亮", "井盖被盗", None])
    left, right = np.array([0, 2, 0, 3, 4, 1]), np.array([1, 1, 2, 1, 0, 0])
    got = pair_similarity(texts, left, right)
    assert got[0] == got[1] > 0.5  # texts 0 and 2 are the same: (0, 1) and (2, 1) are one pair of texts
    assert got[2] == pytest.approx(1.0)  # a text with itself
    assert got[3] == 0.0 and np.isnan(got[4])  # nothing shared; no text
    assert got[5] == pytest.approx(got[0])  # the cosine is symmetric


def test_rule_rejects_bad_settings():
    with pytest.raises(ValueError):
        RepeatRule(distance_m=0)
    with pytest.raises(ValueError):
        RepeatRule(text_similarity=1.5)


def _db(rows) -> duckdb.DuckDBPyConnection:
    """rows: (case_id, grid, category, metres north, reported day in March, closed day or None)."""
    con = duckdb.connect()
    create_schema(con)
    for grid, street in (("G1", "S1"), ("G2", "S2")):
        con.execute("INSERT INTO grids (grid_id, grid_name, street_id) VALUES ($g, $g, $s)", {"g": grid, "s": street})
    frame = pd.DataFrame(rows, columns=["case_id", "grid_id", "category_code", "north_m", "day", "closed"])
    frame["lon"], frame["lat"] = 120.0, LAT + frame["north_m"] * DEG_PER_M_LAT
    frame["reported_at"] = pd.to_datetime("2025-03-01") + pd.to_timedelta(frame["day"] - 1, unit="D")
    closed = pd.to_numeric(frame["closed"], errors="coerce")
    frame["closed_at"] = pd.to_datetime("2025-03-01") + pd.to_timedelta(closed - 1, unit="D")
    frame["status"] = np.where(closed.notna(), "closed", "filed")
    con.register("f", frame)
    con.execute(
        "INSERT INTO cases (case_id, kind, grid_id, category_code, lon, lat, reported_at, closed_at, status, description)"
        " SELECT case_id, 'demand', grid_id, category_code, lon, lat, reported_at, closed_at, status, '路灯坏了' FROM f"
    )
    return con


def test_rates_worked_by_hand():
    con = _db(
        [
            ("A", "G1", "X", 0, 2, 3),  # closed 3 March
            ("B", "G1", "X", 20, 3, None),  # repeat of A (1 day, 20 m); also its rebound? reported before closure: no
            ("C", "G1", "X", 10, 13, None),  # 10 days after A closed, 10 m: A rebounds
            ("D", "G2", "Y", 500, 5, 6),  # closed, nothing follows
            ("E", "G2", "Y", 500, 30, None),  # same place as D, 24 days after D closed: D rebounds
            ("F", "G2", "Y", 900, 9, None),
        ]
    )
    f = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    rule = RepeatRule(100, 72, 0.0, 30, 30)
    assert repeats(con, f, rule)["case_id"].tolist() == ["B"]
    back = rebounds(con, f, rule)
    assert back[["case_id", "rebound_id"]].values.tolist() == [["A", "C"], ["D", "E"]]
    assert back["days_after"].tolist() == [10.0, 24.0]
    per = repeat_rates(con, f, "street", rule).set_index("area_id")
    assert per.loc["S1", "repeat_rate"] == pytest.approx(1 / 3) and per.loc["S1", "rebound_rate"] == 1.0
    assert per.loc["S2", "repeat_rate"] == 0.0 and per.loc["S2", "rebound_rate"] == 1.0


def _truth(con):
    signals = con.execute("SELECT signal, subject_id, detail FROM signals").df()
    children = {
        c for d in signals.loc[signals["signal"] == "duplicate_cluster", "detail"] for c in json.loads(d)["children"]
    }
    rebound_parents = set(signals.loc[signals["signal"] == "rebound", "subject_id"])
    # a planted repeat reported after its parent closed is, by definition, also a rebound of the parent
    late = con.execute(
        """SELECT s.subject_id FROM signals s JOIN cases p ON p.case_id = s.subject_id,
                  unnest(from_json(json_extract(s.detail, '$.children'), '["VARCHAR"]')) AS u(child)
                  JOIN cases k ON k.case_id = u.child
           WHERE s.signal = 'duplicate_cluster' AND k.reported_at > p.closed_at"""
    ).df()["subject_id"]
    return children, rebound_parents, rebound_parents | set(late)


def test_planted_repeats_and_rebounds_found(demo_con):
    """Precision and recall >= 0.9 with the configured rule (100 m, 72 h, similarity 0.3; rebounds 30 m, 30 days)."""
    children, planted_rebounds, rebound_truth = _truth(demo_con)
    assert len(children) > 200 and len(planted_rebounds) > 200
    f = Filters(dt.date(2024, 1, 1), dt.date(2026, 1, 1))
    flagged = set(repeats(demo_con, f)["case_id"])
    hits = len(flagged & children)
    assert hits / len(flagged) >= 0.9 and hits / len(children) >= 0.9, (hits, len(flagged), len(children))
    back = set(rebounds(demo_con, f)["case_id"])
    assert len(back & rebound_truth) / len(back) >= 0.9
    assert len(back & planted_rebounds) / len(planted_rebounds) >= 0.9
