"""``text_terms`` in DuckDB (clauses split by RE2, each distinct clause cut once) equals the plain Python loop."""

from __future__ import annotations

import duckdb
import pytest

from analytics.text import index
from analytics.text.tokens import CLAUSE_SPLIT, CLAUSE_SPLIT_RE2, Tokenizer


def test_the_re2_clause_separators_are_pythons_for_every_code_point():
    """RE2's ``\\s`` is ASCII only, so the pattern lists Python's Unicode spaces: the same characters split."""
    points = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
    python = {cp for cp in points if CLAUSE_SPLIT.fullmatch(chr(cp))}
    con = duckdb.connect()
    every = "SELECT range AS cp FROM range(0, 55296) UNION ALL SELECT range FROM range(57344, 1114112)"
    rows = con.execute(
        f"SELECT cp FROM ({every}) WHERE regexp_full_match(chr(cp::INTEGER), $p)", {"p": CLAUSE_SPLIT_RE2}
    )
    rows = rows.fetchall()
    duckdb_set = {r[0] for r in rows}
    assert 0x3000 in python and 0x85 in python and ord("，") in python  # the set is not trivially empty
    assert duckdb_set == python


def test_a_worked_example_by_hand():
    """Separators at either end, a repeated term across clauses (kept once, at its first place), stop words."""
    texts = [" Broken sidewalk,broken\u3000SIDEWALK; pothole near the curb. ", "", "pothole"]
    out = index.text_terms_sql(texts, Tokenizer()).to_pylist()
    assert out == [
        {"text": texts[0], "pos": 0, "term": "broken"},
        {"text": texts[0], "pos": 1, "term": "sidewalk"},
        {"text": texts[0], "pos": 2, "term": "pothole"},
        {"text": texts[0], "pos": 3, "term": "curb"},
        {"text": texts[2], "pos": 0, "term": "pothole"},
    ]


@pytest.mark.parametrize("repeat", [1, 3])
def test_the_sql_path_equals_the_python_loop(repeat):
    """Chinese (jieba, user dictionary, names masked), English, mixed, every separator, duplicates."""
    texts = [
        "椒桥社区门口占道经营严重，占道经营影响通行",
        "张三反映：路灯不亮（已三天）、路灯损坏!!",
        "联系人王五，电话13812345678，小区垃圾未清运",
        "Graffiti removal\u00a0- graffiti on wall\x85wall again",
        "\u2028leading and trailing separators\u205f",
        "mixed 中文 and English，占道经营 sidewalk",
        "“引号”‘单引号’【括号】[brackets] (paren)",
        "",
        "。。。",
        "don't-stop rock-n-roll x-y",
    ] * repeat
    tokenizer = Tokenizer(["椒桥社区", "占道经营"])
    expected = index.text_terms_python(texts, tokenizer)
    got = index.text_terms_sql(texts, Tokenizer(["椒桥社区", "占道经营"]))
    assert expected.num_rows > 20
    assert got.equals(expected)
    assert got.schema == index.TERMS_SCHEMA


def test_many_texts_take_the_sql_path_and_few_the_loop(monkeypatch):
    calls = []
    monkeypatch.setattr(
        index, "text_terms_sql", lambda texts, tk: calls.append("sql") or index.text_terms_python(texts, tk)
    )
    index.text_terms(["a b"] * (index.SQL_MIN_TEXTS - 1), Tokenizer())
    index.text_terms(["a b"] * index.SQL_MIN_TEXTS, Tokenizer())
    assert calls == ["sql"]


def test_an_import_cutting_in_duckdb_writes_the_terms_the_python_loop_writes(tmp_path, monkeypatch):
    """The import's case_terms with every text split in DuckDB equal a re-index of the finished database by the
    plain loop (the contract of tests/test_ingest_terms_cut_early.py, both paths)."""
    import csv

    from analytics.ingest.pipeline import ImportSpec, run_import
    from tests.test_ingest_terms_cut_early import MAPPING, ROWS

    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    with open(tmp_path / "cases.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("id", "when", "type", "grid", "text"), *ROWS])
    db = tmp_path / "t.duckdb"
    monkeypatch.setattr(index, "SQL_MIN_TEXTS", 1)
    run_import(ImportSpec(db=db, cases=[tmp_path / "cases.csv"], mapping=tmp_path / "m.toml"))
    con = duckdb.connect(str(db))
    written = con.execute("SELECT * FROM case_terms").fetchall()
    monkeypatch.setattr(index, "SQL_MIN_TEXTS", 10**9)
    index.index_cases(con)
    assert len(written) >= 8
    assert con.execute("SELECT * FROM case_terms").fetchall() == written
