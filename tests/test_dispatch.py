"""Dispatch model, evaluation, suggestions and 准确派遣率 against hand-worked fixtures and the demo city."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import cli
from analytics.config import DEFAULTS
from analytics.departments import department_metrics, first_dispatch
from analytics.dispatch import model as dm
from analytics.dispatch.evaluate import baseline, evaluate, month_after, split
from analytics.dispatch.history import dispatched_history
from analytics.dispatch.suggest import bounded_text, similar_cases, suggest
from analytics.filters import Filters
from analytics.privacy import mask_text
from tests.helpers import add_cases, empty_store

MARCH = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
DEMO_MARGIN = 0.40  # the model's department top-1 beats the majority baseline by at least 40 points on the demo


def test_first_dispatch_accuracy_hand_worked():
    con = empty_store()
    con.execute("INSERT INTO departments VALUES ('A', '甲局', 'Dept A'), ('B', '乙局', 'Dept B')")
    rows = [
        ("A", "2025-03-03 10:00", 0, "closed"),
        ("A", "2025-03-05 10:00", 1, "closed"),  # re-dispatched once
        ("B", "2025-03-10 10:00", 0, "dispatched"),
        ("B", "2025-03-12 10:00", 0, "closed"),
        ("B", "2025-03-15 10:00", None, "closed"),  # the source does not say: left out
        ("B", "2025-03-20 10:00", 0, "cancelled"),  # cancelled: left out
        ("A", "2025-02-27 10:00", 1, "closed"),  # dispatched before P
    ]
    add_cases(
        con,
        [
            {"department": d, "reported_at": at, "dispatched_at": at, "redispatch_count": n, "status": s}
            for d, at, n, s in rows
        ]
        + [{"reported_at": "2025-03-04 10:00", "redispatch_count": 0, "status": "closed", "self_handled": True}],
    )
    city = first_dispatch(con, MARCH)
    # dispatched in P, not cancelled: 5; with a known count: 4; never re-dispatched: 3 -> 3 / 4
    assert (city["dispatched"], city["dispatched_known"], city["dispatched_first_time"]) == (5, 4, 3)
    assert city["first_dispatch_accuracy"] == pytest.approx(0.75)
    by_dept = department_metrics(con, MARCH).set_index("department")["first_dispatch_accuracy"]
    assert by_dept["A"] == pytest.approx(1 / 2) and by_dept["B"] == pytest.approx(2 / 2)
    nothing_known = first_dispatch(con, Filters(dt.date(2025, 3, 15), dt.date(2025, 3, 16)))
    assert nothing_known["first_dispatch_accuracy"] is None


# --- a small bilingual city ------------------------------------------------------------------------

PHRASES = {
    "SZSS": ["路灯不亮，晚上很黑", "路面坑洼破损严重", "Street light out on the corner", "Pothole in the road"],
    "GAFJ": ["楼上深夜聚会噪声扰民", "有人在小区内打架", "Loud music party at night", "Noise from neighbours"],
    "HWZX": ["垃圾桶满溢无人清运", "道路上有暴露垃圾", "Missed trash pickup", "Overflowing garbage bins"],
}
CATEGORY = {"SZSS": "D1404", "GAFJ": "D0701", "HWZX": "D1402"}


def bilingual_store(months: tuple[int, ...] = (1, 2, 3)):
    con = empty_store()
    con.execute(
        "INSERT INTO departments VALUES ('SZSS', '市政设施管理中心', 'Municipal facilities'), "
        "('GAFJ', '公安分局', 'Police'), ('HWZX', '环境卫生管理中心', 'Sanitation')"
    )
    con.execute(
        "INSERT INTO categories VALUES ('demand', 'D1404', '路灯照明', '城市管理', 16, 'working', 'Street lights', 'City'),"
        "('demand', 'D0701', '社会治安', '社会秩序', 24, 'calendar', 'Public order', 'Order'),"
        "('demand', 'D1402', '环境卫生', '城市管理', 8, 'working', 'Sanitation', 'City')"
    )
    rows = []
    for month in months:
        for day in range(1, 28, 3):
            for dept, phrases in PHRASES.items():
                for i, phrase in enumerate(phrases):
                    at = f"2025-{month:02d}-{day:02d} {8 + i:02d}:30"
                    rows.append(
                        {
                            "kind": "demand",
                            "category_code": CATEGORY[dept],
                            "department": dept,
                            "reported_at": at,
                            "dispatched_at": at,
                            "closed_at": f"2025-{month:02d}-{day:02d} {12 + i:02d}:30",
                            "status": "closed",
                            "grid_id": "G1" if i % 2 else "G2",
                            "description": f"{phrase}，联系人张先生，电话13812345678，身份证110101199003071234",
                        }
                    )
    add_cases(con, rows)
    return con


def test_time_split_has_no_leakage():
    con = bilingual_store()
    add_cases(
        con,
        [
            {"department": "SZSS", "reported_at": "2025-02-28 23:59:59", "description": "路灯不亮"},
            {"department": "SZSS", "reported_at": "2025-03-01 00:00:00", "description": "路灯不亮"},
        ],
    )
    train, test = split(con, dt.date(2025, 3, 1), limit=10_000)
    assert pd.to_datetime(train["reported_at"]).max() == pd.Timestamp("2025-02-28 23:59:59")
    assert pd.to_datetime(test["reported_at"]).min() == pd.Timestamp("2025-03-01 00:00:00")
    assert pd.to_datetime(test["reported_at"]).max() < pd.Timestamp("2025-04-01")
    assert set(train["case_id"]).isdisjoint(test["case_id"])
    # 12 phrases x 9 days in each of January and February, plus the one case a second before midnight
    assert len(train) == 2 * 9 * 12 + 1 and len(test) == 9 * 12 + 1
    result = evaluate(con, dt.date(2025, 3, 1), limit=10_000)
    assert result["n_train"] == len(train) and result["n_test"] == len(test)
    assert result["train_end"] < "2025-03-01"


def test_month_after_and_baseline_by_hand():
    assert month_after(dt.date(2025, 1, 31)) == dt.date(2025, 2, 28)
    assert month_after(dt.date(2025, 12, 1)) == dt.date(2026, 1, 1)
    # training labels: a a a b b c -> majority a; top-3 a, b, c. Truth a b d d: 1/4 and 2/4
    top1, top3 = baseline(np.array(list("aaabbc")), np.array(list("abdd")))
    assert (top1, top3) == (0.25, 0.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("路灯坏了不亮", "SZSS"),
        ("The street light is out again", "SZSS"),
        ("深夜噪声扰民", "GAFJ"),
        ("loud party", "GAFJ"),
    ],
)
def test_both_languages(text, expected):
    con = bilingual_store()
    model = dm.train(dispatched_history(con, Filters(dt.date(2025, 1, 1), dt.date(2025, 4, 1)), 10_000))
    result = suggest(con, model, text, DEFAULTS, when=dt.datetime(2025, 4, 1, 10, 0))
    assert result["departments"][0]["department"] == expected
    assert len(result["departments"]) == 3
    assert sum(d["confidence"] for d in result["departments"]) <= 1.0 + 1e-9


def test_suggestions_are_deterministic_and_carry_the_deadline():
    con = bilingual_store()
    history = dispatched_history(con, Filters(dt.date(2025, 1, 1), dt.date(2025, 4, 1)), 10_000)
    when = dt.datetime(2025, 4, 11, 16, 0)  # a Friday, 16:00 (a working day; 4 April 2025 was Qingming)
    a = suggest(con, dm.train(history, seed=1), "路灯不亮", DEFAULTS, grid_id="G1", when=when)
    b = suggest(con, dm.train(history, seed=1), "路灯不亮", DEFAULTS, grid_id="G1", when=when)
    assert a == b
    assert a["category"]["category_code"] == "D1404"
    # 16 working hours from Friday 16:00 (09:00-17:00): 1 h Friday, 8 h Monday, 7 h Tuesday -> Tuesday 16:00
    assert a["category"]["due_at"] == dt.datetime(2025, 4, 15, 16, 0)


def test_route_to_dispatcher_below_the_threshold():
    con = bilingual_store()
    model = dm.train(dispatched_history(con, Filters(dt.date(2025, 1, 1), dt.date(2025, 4, 1)), 10_000))
    strict = {**DEFAULTS, "dispatch": {**DEFAULTS["dispatch"], "confidence_threshold": 1.01}}
    lenient = {**DEFAULTS, "dispatch": {**DEFAULTS["dispatch"], "confidence_threshold": 0.0}}
    assert suggest(con, model, "路灯不亮", strict)["route_to_dispatcher"] is True
    assert suggest(con, model, "路灯不亮", lenient)["route_to_dispatcher"] is False
    with pytest.raises(ValueError, match="empty"):
        suggest(con, model, "   \n", lenient)


def test_text_is_bounded_and_cleaned():
    assert bounded_text("路" * 5000, 1000) == "路" * 1000
    assert bounded_text("a\x00b\x1bc", 10) == "a b c"


def test_similar_cases_are_masked_and_scoped():
    con = bilingual_store()
    model = dm.train(dispatched_history(con, Filters(dt.date(2025, 1, 1), dt.date(2025, 4, 1)), 10_000))
    scope = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1), "grid", "G2")
    similar = similar_cases(con, model, scope, "路灯不亮", "D1404", DEFAULTS)
    assert len(similar) == DEFAULTS["dispatch"]["similar_cases"]
    raw = dict(con.execute("SELECT case_id, description FROM cases").fetchall())
    for case_id, text in zip(similar["case_id"], similar["description"]):
        assert "13812345678" not in text and "110101199003071234" not in text and "张先生" not in text
        assert text == mask_text(raw[case_id])
    assert set(con.execute("SELECT grid_id FROM cases WHERE case_id IN ?", [list(similar["case_id"])]).fetchall()) == {
        ("G2",)
    }
    assert "路灯" in similar["description"].iloc[0]  # the closest text first


def test_model_file_round_trip_and_errors(tmp_path):
    con = bilingual_store()
    model = dm.train(dispatched_history(con, Filters(dt.date(2025, 1, 1), dt.date(2025, 4, 1)), 10_000))
    db = tmp_path / "city.duckdb"
    with pytest.raises(dm.ModelError, match="no dispatch model"):
        dm.load(db)
    dm.save(model, db)
    assert (tmp_path / "city.dispatch.joblib").exists()
    meta = json.loads((tmp_path / "city.dispatch.json").read_text())
    assert meta["n_train"] == 3 * 9 * 12 and meta["train_start"].startswith("2025-01-01")
    frame = pd.DataFrame({"description": ["路灯不亮"], "grid_id": ["G1"], "district_id": ["D1"], "source": [None]})
    frame["hour_block"] = "h08"
    assert np.array_equal(dm.load(db).proba(frame)["department"], model.proba(frame)["department"])
    (tmp_path / "city.dispatch.joblib").write_bytes(b"not a model")
    with pytest.raises(dm.ModelError, match="cannot be read"):
        dm.load(db)
    with pytest.raises(dm.ModelError, match="too little history"):
        dm.train(dispatched_history(con, Filters(dt.date(2025, 1, 1), dt.date(2025, 1, 2)), 10))


# --- the demo city -----------------------------------------------------------------------------------


def test_demo_departments_depend_on_text_and_place(demo_con):
    shares = demo_con.execute(
        """SELECT c.category_code, c.department, count(*) FROM cases c
           WHERE c.category_code IN ('06013', '09009', '06017') AND c.department IS NOT NULL GROUP BY ALL"""
    ).fetchall()
    depts = {code: {d for c, d, n in shares if c == code and n > 20} for code, _, _ in shares}
    assert {"SZSS", "JDBSC"} <= depts["06013"] and {"JJDD", "CGZF"} <= depts["09009"]
    # road class is in the text: a main-road pothole goes to the municipal centre unless the street office took it
    main_road = demo_con.execute(
        """SELECT avg((department = 'SZSS')::INT) FROM cases
           WHERE category_code = '06013' AND department IS NOT NULL AND description LIKE '%主干%'"""
    ).fetchone()[0]
    assert main_road > 0.9
    redispatched = demo_con.execute(
        "SELECT avg((redispatch_count > 0)::INT), count(*) FILTER (WHERE redispatch_count > 0 AND dispatched_at IS NULL)"
        " FROM cases WHERE dispatched_at IS NOT NULL OR redispatch_count > 0"
    ).fetchone()
    assert 0.01 < redispatched[0] < 0.10 and redispatched[1] == 0


def test_model_beats_the_majority_baseline_on_the_demo(demo_con):
    result = evaluate(demo_con, dt.date(2025, 12, 1), limit=300_000)
    assert result["n_test"] > 500
    assert result["top1"] >= result["baseline_top1"] + DEMO_MARGIN
    assert result["top3"] >= result["baseline_top3"] + DEMO_MARGIN / 2
    assert result["category_top1"] >= result["category_baseline_top1"] + DEMO_MARGIN
    for row in result["per_department"]:
        assert row["recall"] is None or 0 <= row["recall"] <= 1


def test_cli_train_evaluate_suggest(demo_db, tmp_path, monkeypatch, capsys):
    db = tmp_path / "copy.duckdb"  # a copy: the dispatch page's smoke test may have trained a model beside the demo
    shutil.copy(demo_db, db)
    monkeypatch.setenv("GRIDSCOPE_DB", str(db))
    assert cli.main(["dispatch", "suggest", "--text", "路面坑洼"]) == 2
    assert "dispatch train" in capsys.readouterr().err
    assert cli.main(["dispatch", "evaluate", "--cutoff", "2025-12-01", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"top1", "top3", "baseline_top1", "n_train", "n_test", "per_department"} <= set(out)
    assert cli.main(["dispatch", "train", "--format", "json"]) == 0
    capsys.readouterr()
    assert (
        cli.main(["dispatch", "suggest", "--text", "路面出现坑洼破损。该处位于城市主干道。", "--format", "json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["departments"][0]["department"] == "SZSS"
    assert len(out["similar_cases"]) == DEFAULTS["dispatch"]["similar_cases"]


def test_dispatch_page_names_the_test_months_last_day(demo_db, tmp_path, monkeypatch):
    """The accuracy caption's test period ends on its last day, written as dates are written on every page (the
    evaluation keeps the exclusive end: the first day of the next month)."""
    from tests.test_pages import run_page

    db = tmp_path / "copy.duckdb"  # the model file is written beside the database: a copy, so other tests see none
    shutil.copy(demo_db, db)
    monkeypatch.setenv("GRIDSCOPE_DB", str(db))
    assert cli.main(["dispatch", "train", "--format", "json"]) == 0
    at = run_page("pages/dispatch.py", "en")
    assert not at.exception, [e.value for e in at.exception]
    caption = next(c.value for c in at.caption if c.value.startswith("Trained on"))
    cutoff = re.search(r"before (\d{2} \w{3} \d{4})", caption).group(1)
    first = dt.datetime.strptime(cutoff, "%d %b %Y").date()
    last = month_after(first) - dt.timedelta(days=1)  # e.g. 01 Dec 2025 → 31 Dec 2025
    assert f"from {cutoff} to {last:%d %b %Y};" in caption and "exclusive" not in caption


def test_desk_labels_every_place_by_grid_name_and_id(demo_env, demo_con, capsys):
    """The place picker of the desk lists each grid of the city once, as "name (id)", in grid id order."""
    from streamlit.testing.v1 import AppTest

    assert cli.main(["dispatch", "train", "--format", "json"]) == 0  # the desk draws its form once a model exists
    capsys.readouterr()
    grids = demo_con.execute("SELECT DISTINCT grid_id, grid_name FROM grids ORDER BY grid_id").fetchall()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/dispatch.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    place = [box for box in at.selectbox if box.label == "Place (grid, optional)"]
    assert len(place) == 1
    assert place[0].options == [f"{name} ({grid_id})" for grid_id, name in grids]


@pytest.mark.parametrize(("wait_max_cases", "waited"), [(1_000, 0.0), (1_000_000, 5.0)])
def test_the_desk_waits_for_a_training_only_when_it_is_small(demo_db, tmp_path, monkeypatch, wait_max_cases, waited):
    """With no model stored, the desk waits ``[limits] wait_seconds`` for the training only when it reads at most
    ``[limits] wait_max_cases`` cases (the demo city's 40,000 here); above it, it says at once that the model is
    being trained (minutes at 20 M cases) instead of showing nothing for five seconds first."""
    from tests.test_pages import run_page
    from ui import heavy

    db = tmp_path / "copy.duckdb"  # no model beside it
    shutil.copy(demo_db, db)
    config = tmp_path / "gridscope.toml"
    config.write_text(f"[limits]\nwait_seconds = 5.0\nwait_max_cases = {wait_max_cases}\n", encoding="utf-8")
    monkeypatch.setenv("GRIDSCOPE_DB", str(db))
    monkeypatch.setenv("GRIDSCOPE_CONFIG", str(config))
    waits, real = [], heavy.ready
    monkeypatch.setattr(heavy, "ready", lambda jobs, wait_seconds=None: waits.append(wait_seconds) or real(jobs, 0))
    at = run_page("pages/dispatch.py", "en")
    assert not at.exception, [e.value for e in at.exception]
    assert waits[0] == waited
    assert any("being trained" in i.value for i in at.info)
    for future in heavy.running():  # the training goes on in its worker: let it finish before the next test
        future.result(300)
