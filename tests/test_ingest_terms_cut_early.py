"""The import cuts the descriptions while it writes the cases (:func:`analytics.text.index.staged_texts`,
:func:`~analytics.text.index.cut_texts`), with the dictionary read from the staged cases and grids: the
``case_terms`` it writes are those :func:`~analytics.text.index.index_cases` writes from the finished
database (categories and grids as stored), and the dictionary's words stay whole."""

from __future__ import annotations

import csv

import duckdb

from analytics.ingest.pipeline import ImportSpec, run_import
from analytics.text.index import index_cases

MAPPING = """
[dataset]
name = "terms"
timezone = "Asia/Shanghai"

[columns]
case_id = "id"
reported_at = "when"
category_name = "type"
grid_id = "grid"
description = "text"
"""

ROWS = [
    ("C1", "2026-03-02 09:00", "占道经营", "椒桥社区", "椒桥社区门口占道经营严重"),
    ("C2", "2026-03-02 08:00", "占道经营", "椒桥社区", "椒桥社区门口占道经营严重"),  # the same text, earlier
    ("C3", "2026-03-03 10:00", "噪声扰民", "东华门", "Street light broken, 东华门噪声扰民"),
    ("C4", "2026-03-03 11:00", "噪声扰民", "东华门", ""),
    ("", "2026-03-03 12:00", "噪声扰民", "东华门", "rejected: no id, never indexed"),
]


def test_terms_cut_during_the_write_equal_those_of_the_finished_database(tmp_path):
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    with open(tmp_path / "cases.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("id", "when", "type", "grid", "text"), *ROWS])
    db = tmp_path / "t.duckdb"
    run_import(ImportSpec(db=db, cases=[tmp_path / "cases.csv"], mapping=tmp_path / "m.toml"))
    con = duckdb.connect(str(db))
    written = con.execute("SELECT * FROM case_terms").fetchall()
    index_cases(con)  # the reference: everything read back from the stored tables
    assert con.execute("SELECT * FROM case_terms").fetchall() == written
    by_case = {}
    for case_id, _, term in written:
        by_case.setdefault(case_id, []).append(term)
    # worked out by hand: ordered by report time (C2 before C1); the dictionary keeps 椒桥社区, 占道经营,
    # 东华门 and 噪声扰民 whole; English words of 3+ letters that are no stop words; C4 has no text
    assert list(by_case) == ["C2", "C1", "C3"]
    assert by_case["C2"][:1] == ["椒桥社区"] and "占道经营" in by_case["C2"] and by_case["C1"] == by_case["C2"]
    assert {"light", "broken", "东华门", "噪声扰民"} <= set(by_case["C3"]) and "street" not in by_case[
        "C3"
    ]  # a stop word
