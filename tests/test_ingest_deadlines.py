"""Issue 11, item 5(b): deadline rules derive ``due_at`` with the working calendar where the source has none.

Every expected deadline is worked out by hand below from the 2026 calendar (March 2026 has no public
holiday; 1 January 2027 is in no calendar the project knows) and a 09:00-17:00 working window.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from analytics.ingest import ImportSpec, run_import
from analytics.ingest.deadlines import parse_duration, parse_rules
from analytics.ingest.errors import IngestError
from analytics.ingest.mapping import parse_mapping

ROWS = [
    # id, category_code, category_name, category_major, reported_at, due_at (source)
    ("A", "06010", "暴露垃圾", "市容环境类", "2026-03-06 16:00", ""),  # reference: 8 working hours
    ("B", "", "Pothole", "Streets", "2026-03-09 10:00", ""),  # categories by name: 2 working days
    ("C", "", "Graffiti", "市容环境类", "2026-03-10 08:30", ""),  # classes: 48 calendar hours
    ("D", "", "Pothole", "Streets", "2026-03-10 10:00", "2026-03-20 12:00"),  # the source's own wins
    ("E", "", "Noise", "Quality of life", "2026-03-11 09:00", ""),  # default: 5 working days
    ("F", "06011", "积存垃圾渣土", "市容环境类", "2026-03-12 10:00", ""),  # categories beat the reference
    ("G", "", "Pothole", "Streets", "2026-12-31 16:00", ""),  # runs into 2027: flagged
]
EXPECTED_DUE = {
    "A": "2026-03-09 16:00",  # Fri 16-17 (1 h), Mon 09-16 (7 h)
    "B": "2026-03-11 10:00",  # Mon 10-17 (7 h), Tue (8 h), Wed 09-10 (1 h) = 16 h
    "C": "2026-03-12 08:30",  # + 48 h
    "D": "2026-03-20 12:00",
    "E": "2026-03-17 17:00",  # 40 working hours from Wed 09:00: Wed, Thu, Fri, Mon, Tue
    "F": "2026-03-15 10:00",  # + 3 calendar days, not the reference's 32 working hours
    "G": "2027-01-04 16:00",  # Thu 31 Dec 16-17 (1 h), Fri 1 Jan 2027 as a weekday (8 h), Mon 09-16 (7 h)
}

MAPPING = {
    "dataset": {"name": "deadlines", "timezone": "Asia/Shanghai"},
    "columns": {
        "case_id": "id",
        "category_code": "code",
        "category_name": "type",
        "category_major": "class",
        "reported_at": "opened",
        "due_at": "target",
        "grid_id": "grid",
    },
    "deadlines": {
        "reference": "gbt47678_5",
        "default": "5 working days",
        "categories": {"pothole": "2 working days", "积存垃圾渣土": "3 calendar days"},
        "classes": {"市容环境类": "48 calendar hours"},
    },
}


def write_cases(path) -> None:
    columns = ["id", "code", "type", "class", "opened", "target"]
    pd.DataFrame(ROWS, columns=columns).assign(grid="G1").to_csv(path, index=False)


@pytest.fixture()
def imported(tmp_path, monkeypatch):
    config = tmp_path / "gridscope.toml"
    config.write_text('[deadlines]\ndefault = "1 calendar days"\ncategories = { Noise = "9 working hours" }\n')
    monkeypatch.setenv("GRIDSCOPE_CONFIG", str(config))  # the mapping's entries win over these
    write_cases(tmp_path / "cases.csv")
    db = tmp_path / "out.duckdb"
    result = run_import(ImportSpec(db=db, cases=[tmp_path / "cases.csv"], mapping=parse_mapping(MAPPING, "m.toml")))
    return db, result


def test_due_at_from_rules_with_the_working_calendar(imported):
    db, result = imported
    with duckdb.connect(str(db), read_only=True) as con:
        due = dict(con.execute("SELECT case_id, strftime(due_at, '%Y-%m-%d %H:%M') FROM cases").fetchall())
        flags = dict(con.execute("SELECT case_id, quality_flags FROM cases").fetchall())
        categories = con.execute(
            "SELECT category_name, deadline_hours, deadline_basis FROM categories ORDER BY category_name"
        ).fetchall()
    assert due == {**EXPECTED_DUE, "E": "2026-03-12 10:00"}  # configuration: Noise = 9 working hours
    assert flags["G"] == "deadline_calendar_unknown" and flags["B"] is None
    assert ("暴露垃圾", 8.0, "working") in categories and ("Pothole", 16.0, "working") in categories
    assert ("积存垃圾渣土", 72.0, "calendar") in categories
    note = next(s for s in result.report["sample"] if str(s).startswith("deadlines"))
    assert "1 from the source, 6 derived from rules" in note
    # B, E (the configuration's Noise), F, G by category; C by class; A by the GB/T reference
    assert "(4 by categories, 1 by classes, 1 by reference categories_gbt47678_5)" in note
    assert "in 2027 use a calendar without that year's holidays" in note


def test_without_the_configuration_the_mapping_default_applies(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDSCOPE_CONFIG", str(tmp_path / "absent.toml"))
    write_cases(tmp_path / "cases.csv")
    db = tmp_path / "out.duckdb"
    run_import(ImportSpec(db=db, cases=[tmp_path / "cases.csv"], mapping=parse_mapping(MAPPING, "m.toml")))
    with duckdb.connect(str(db), read_only=True) as con:
        due = dict(con.execute("SELECT case_id, strftime(due_at, '%Y-%m-%d %H:%M') FROM cases").fetchall())
    assert due == EXPECTED_DUE


def test_no_rules_no_deadlines(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDSCOPE_CONFIG", str(tmp_path / "absent.toml"))
    write_cases(tmp_path / "cases.csv")
    db = tmp_path / "out.duckdb"
    plain = {k: v for k, v in MAPPING.items() if k != "deadlines"}
    result = run_import(ImportSpec(db=db, cases=[tmp_path / "cases.csv"], mapping=parse_mapping(plain, "m.toml")))
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(due_at) FROM cases").fetchone()[0] == 1  # only D's own
    assert any("0 derived from rules, 6 without a deadline" in str(s) for s in result.report["sample"])


def test_durations_and_mistakes():
    assert parse_duration("1 working day", "x") == (1.0, "working", "days")
    assert parse_duration("4 工作日", "x") == (4.0, "working", "days")
    assert parse_duration("5工作小时", "x") == (5.0, "working", "hours")
    rules = parse_rules({"default": "2 working days", "classes": {"A": "1.5 calendar days"}}, window_hours=7.5)
    assert (rules.default.hours, rules.default.basis) == (15.0, "working")
    assert (rules.classes["a"].hours, rules.classes["a"].basis) == (36.0, "calendar")
    with pytest.raises(IngestError, match=r"\[deadlines\] default: '3 days' is not a deadline"):
        parse_rules({"default": "3 days"}, window_hours=8)
    with pytest.raises(IngestError, match=r"unknown key\(s\) category"):
        parse_rules({"category": {}}, window_hours=8)
    with pytest.raises(IngestError, match="reference 'gbt99': no such table"):
        parse_rules({"reference": "gbt99"}, window_hours=8)
    with pytest.raises(IngestError, match="m.toml \\[deadlines.categories\\] x: '-1 working days'"):
        parse_mapping({**MAPPING, "deadlines": {"categories": {"x": "-1 working days"}}}, "m.toml")
    assert dt.date(2026, 3, 6).weekday() == 4  # the Friday the expectations above start from
