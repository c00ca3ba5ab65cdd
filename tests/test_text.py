"""Tokenisation on hand-written sentences, the case_terms index, top terms with lift, emerging terms, search."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.schema import create_schema
from analytics.text.index import index_cases, terms_frame
from analytics.text.search import SearchError, search_cases, term_cases
from analytics.text.terms import benjamini_hochberg, emerging_terms, top_terms
from analytics.text.tokens import Tokenizer

AREA_WORDS = ["枫桥街道", "椒桥社区", "澄湖区", "占道经营", "电动车违规充电", "井盖缺失", "噪声扰民"]


@pytest.fixture(scope="module")
def tk():
    return Tokenizer(AREA_WORDS)


def test_place_names_and_category_words_stay_whole(tk):
    terms = tk.terms("枫桥街道椒桥社区菜市场门口有人占道经营，晚上噪声扰民")
    assert {"枫桥街道", "椒桥社区", "占道经营", "噪声扰民", "菜市场"} <= set(terms)
    assert "椒桥社区" in tk.terms("澄湖区椒桥社区的井盖缺失了")
    assert "井盖缺失" in tk.terms("澄湖区椒桥社区的井盖缺失了")
    # without the user dictionary the made-up community name is not one word
    assert "椒桥社区" not in Tokenizer().terms("枫桥街道椒桥社区菜市场门口有人占道经营")


def test_boilerplate_is_stop_words(tk):
    assert tk.terms("市民来电反映：希望相关部门尽快处理。") == []
    assert tk.terms("") == [] and tk.terms(None) == []


def test_english_plain_word_tokenizer(tk):
    assert tk.terms("Streetlight OUT near the park's entrance, please fix!") == [
        "streetlight",
        "out",
        "park",
        "entrance",
        "fix",
    ]


def test_terms_never_hold_personal_data(tk):
    terms = tk.terms("联系人张建国，电话13812345678，身份证110101199003071234，幸福路128号3单元502室楼道堆物")
    joined = " ".join(terms)
    for secret in ("建国", "1381234", "5678", "19900307", "502"):
        assert secret not in joined
    assert "楼道" in terms


def test_terms_frame_one_row_per_case_and_distinct_term(tk):
    when = pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"])
    frame = terms_frame(["C1", "C2", "C3"], when, ["井盖缺失，井盖缺失", None, "井盖缺失"], tk)
    assert frame[["case_id", "term"]].values.tolist() == [["C1", "井盖缺失"], ["C3", "井盖缺失"]]
    assert frame["reported_at"].tolist() == [when[0], when[2]]


def _city(cases: list[tuple[str, str, str, str]]) -> duckdb.DuckDBPyConnection:
    """(case_id, grid_id, reported_at, description) rows in a two-street city."""
    con = duckdb.connect()
    create_schema(con)
    for grid, street in (("G1", "S1"), ("G2", "S2")):
        con.execute(
            "INSERT INTO grids (grid_id, grid_name, street_id, street_name) VALUES ($g, $g, $s, $s)",
            {"g": grid, "s": street},
        )
    frame = pd.DataFrame(cases, columns=["case_id", "grid_id", "reported_at", "description"])
    frame["reported_at"] = pd.to_datetime(frame["reported_at"])
    con.register("f", frame)
    con.execute(
        "INSERT INTO cases (case_id, kind, grid_id, reported_at, description) "
        "SELECT case_id, 'demand', grid_id, reported_at, description FROM f"
    )
    con.unregister("f")
    index_cases(con)
    return con


def test_top_terms_lift_worked_by_hand():
    # street S1: 4 cases, 2 mention 路灯; city: 10 cases, 3 mention 路灯 -> lift (2/4)/(3/10) = 5/3
    rows = [("A1", "G1", "2025-03-02", "路灯坏了"), ("A2", "G1", "2025-03-03", "小区路灯坏了")]
    rows += [(f"A{i}", "G1", "2025-03-04", "垃圾满溢") for i in (3, 4)]
    rows += [("B1", "G2", "2025-03-05", "路灯闪烁")] + [(f"B{i}", "G2", "2025-03-06", "垃圾满溢") for i in range(2, 7)]
    con = _city(rows)
    cfg = {"text": {"top_terms": 10, "min_term_cases": 1}}
    top = top_terms(con, Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1), "street", "S1"), cfg=cfg).set_index("term")
    assert top.loc["路灯", "cases"] == 2 and top.loc["路灯", "city_cases"] == 3
    assert top.loc["路灯", "lift"] == pytest.approx(5 / 3)
    assert top.loc["垃圾", "lift"] == pytest.approx((2 / 4) / (7 / 10))


def test_benjamini_hochberg_by_hand():
    # sorted p 0.01, 0.03, 0.04 -> 0.01*3/1, 0.03*3/2, 0.04*3/3 = 0.03, 0.045, 0.04 -> monotone 0.03, 0.04, 0.04
    assert benjamini_hochberg(np.array([0.04, 0.01, 0.03])).tolist() == pytest.approx([0.04, 0.03, 0.04])


def test_planted_term_emerges_and_a_stable_one_does_not():
    rows = []
    for month in (1, 2, 3, 4):
        for i in range(100):
            text = "井盖松动" if i < 10 else "垃圾满溢"
            if month == 4 and 10 <= i < 20:
                text = "飞线充电很危险"
            rows.append((f"M{month}-{i}", "G1", f"2025-{month:02d}-10", text))
    con = _city(rows)
    cfg = {
        "text": {
            "emerging_baseline_periods": 3,
            "emerging_fdr": 0.05,
            "emerging_min_ratio": 2.0,
            "emerging_min_cases": 5,
        }
    }
    out = emerging_terms(con, Filters(dt.date(2025, 4, 1), dt.date(2025, 5, 1)), cfg).set_index("term")
    # 充电: 10 of 100 now, 0 of 300 before; under no change the period's share is 100/400 -> p = 0.25 ** 10
    assert out.loc["充电", "p_value"] == pytest.approx(0.25**10)
    assert out.loc["充电", "emerging"] and out.loc["危险", "emerging"]
    assert not out.loc["井盖", "emerging"]  # 10 of 100 every month
    assert out.loc["井盖", "rate_ratio"] == pytest.approx((10 / 100) / (30.5 / 300))


HOSTILE = "x'; DROP TABLE cases;--"


def test_search_is_masked_bound_and_literal():
    rows = [
        ("P1", "G1", "2025-03-02", "联系人张建国，电话13812345678，路灯坏了"),
        ("P2", "G1", "2025-03-03", "折扣50%的预付卡无法退费"),
        ("P3", "G1", "2025-03-04", "路灯_坏了"),
    ]
    con = _city(rows)
    f = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    assert search_cases(con, f, HOSTILE).empty
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 3
    assert search_cases(con, f, "50%")["case_id"].tolist() == ["P2"]
    assert search_cases(con, f, "路灯_")["case_id"].tolist() == ["P3"]
    assert search_cases(con, f, "13812345678").empty and search_cases(con, f, "张建国").empty
    found = search_cases(con, f, "路灯")
    assert found["case_id"].tolist() == ["P3", "P1"]
    assert "13812345678" not in found["description"].str.cat() and "张建国" not in found["description"].str.cat()
    assert "138****5678" in term_cases(con, f, "路灯")["description"].str.cat()
    with pytest.raises(SearchError):
        search_cases(con, f, "   ")
    with pytest.raises(SearchError):
        search_cases(con, f, "长" * 51)


def test_index_cases_replaces_only_the_given_cases():
    con = _city([("A1", "G1", "2025-03-02", "路灯坏了"), ("A2", "G1", "2025-03-03", "垃圾满溢")])
    con.execute("UPDATE cases SET description = '井盖缺失' WHERE case_id = 'A1'")
    index_cases(con, ["A1"])
    rows = con.execute("SELECT case_id, term FROM case_terms ORDER BY case_id, term").fetchall()
    assert rows == [("A1", "井盖"), ("A1", "缺失"), ("A2", "垃圾"), ("A2", "满溢")]
