"""Term counts of the whole city read from ``case_terms`` alone (no join to ``cases``): the same numbers as the
join, worked out by hand, on the demo city's file and on a live connection after a real PostgreSQL sync that
moves a case to another month without touching its text, rewrites a text, deletes a case and adds new ones."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.filters import Filters, case_filter_sql, period_params
from analytics.ingest.mapping import load_mapping
from analytics.sync.feed import Feed
from analytics.sync.live import open_live
from analytics.sync.run import sync_once
from analytics.text import terms
from analytics.text.search import term_cases
from tests.test_sync import EXACT, pg_server, upstream  # noqa: F401  (fixtures)
from tests.test_text import _city

MARCH = (dt.date(2025, 3, 1), dt.date(2025, 4, 1))


def joined_counts(con, f: Filters) -> tuple[dict, int]:
    """The plain way: every term row joined to its case, the period on both sides, the filter on the case."""
    where, params = case_filter_sql(f, "c")
    params |= period_params(f)
    period = "c.reported_at >= $start AND c.reported_at < $end"
    rows = con.execute(
        f"""SELECT t.term, count(*) FROM case_terms t JOIN cases c ON c.case_id = t.case_id
            WHERE t.reported_at >= $start AND t.reported_at < $end AND {period} AND {where} GROUP BY t.term""",
        params,
    ).fetchall()
    total = con.execute(f"SELECT count(*) FROM cases c WHERE {period} AND {where}", params).fetchone()[0]
    return dict(rows), int(total)


def joined_term_cases(con, f: Filters, term: str, limit: int) -> list:
    """The plain way: the filter's cases of the period whose terms hold ``term``, newest first."""
    where, params = case_filter_sql(f, "c")
    params |= period_params(f) | {"term": term, "limit": limit}
    return con.execute(
        f"""SELECT c.case_id, c.reported_at FROM cases c
            WHERE c.reported_at >= $start AND c.reported_at < $end AND {where}
              AND c.case_id IN (SELECT case_id FROM case_terms t WHERE t.term = $term)
            ORDER BY c.reported_at DESC, c.case_id LIMIT $limit""",
        params,
    ).fetchall()


def fast_term_cases(con, f: Filters, term: str, limit: int) -> list:
    frame = term_cases(con, f, term, limit)
    return list(zip(frame["case_id"], frame["reported_at"].dt.to_pydatetime()))


def assert_term_cases_are_plain(con, f: Filters) -> int:
    """For the period's three most frequent terms and its rarest, at two limits; returns the cases compared."""
    counts = fast_counts(con, f)[0]
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    if not ranked:  # a period without terms: a term's cases are none
        assert fast_term_cases(con, f, "路灯", 200) == joined_term_cases(con, f, "路灯", 200) == []
        return 0
    compared = 0
    for term in [*ranked[:3], ranked[-1]]:
        for limit in (3, 200):
            fast = fast_term_cases(con, f, term, limit)
            assert fast == joined_term_cases(con, f, term, limit), (f, term, limit)
            compared += len(fast)
    return compared


def fast_counts(con, f: Filters) -> tuple[dict, int]:
    counts, total = terms._term_counts(con, f)
    return dict(zip(counts["term"], counts["cases"].astype(int))), total


def test_whole_city_and_street_counts_worked_by_hand():
    rows = [
        ("C1", "G1", "2025-03-01 00:00:00", "路灯坏了"),  # at the period's first instant: in
        ("C2", "G1", "2025-03-15 10:00:00", "小区路灯坏了"),
        ("C3", "G2", "2025-03-31 23:59:59", "垃圾满溢"),
        ("C4", "G2", "2025-02-28 23:59:59", "路灯坏了"),  # the day before: out
        ("C5", "G1", "2025-04-01 00:00:00", "路灯闪烁"),  # at the period's end: out
        ("C6", "G2", "2025-03-20 08:00:00", None),  # no text: a case of the period without terms
    ]
    con = _city(rows)
    city, n_city = fast_counts(con, Filters(*MARCH))
    # 路灯 in C1 and C2 (each case once, though C2's text holds it once and C1's once); 垃圾 in C3; 4 cases
    assert (city["路灯"], city["垃圾"], n_city) == (2, 1, 4)
    assert "闪烁" not in city  # only in C5, after the period
    street, n_street = fast_counts(con, Filters(*MARCH, "street", "S1"))  # a filter on the case: the join
    assert (street["路灯"], "垃圾" in street, n_street) == (2, False, 2)
    s2, n_s2 = fast_counts(con, Filters(*MARCH, "street", "S2"))
    assert (s2["垃圾"], "路灯" in s2, n_s2) == (1, False, 2)
    top = terms.top_terms(con, Filters(*MARCH, "street", "S1"), cfg={"text": {"top_terms": 10, "min_term_cases": 1}})
    top = top.set_index("term")
    # S1: 2 of 2 cases mention 路灯; the city: 2 of 4 -> lift (2/2)/(2/4) = 2
    assert top.loc["路灯", "city_cases"] == 2 and top.loc["路灯", "lift"] == pytest.approx(2.0)
    # the term's cases, newest first: C2 (15 March), C1 (1 March); C4 and C5 fall outside the period
    assert term_cases(con, Filters(*MARCH), "路灯", 10)["case_id"].tolist() == ["C2", "C1"]
    assert term_cases(con, Filters(*MARCH), "路灯", 1)["case_id"].tolist() == ["C2"]
    assert term_cases(con, Filters(*MARCH), "闪烁", 10).empty  # only after the period: none, no error
    assert term_cases(con, Filters(*MARCH, "street", "S2"), "路灯", 10).empty


def filter_sets(con) -> list[Filters]:
    """Whole city in several periods (the fast path) and filtered ones (the join), from the data's own values."""
    first, last = con.execute("SELECT min(reported_at)::DATE, max(reported_at)::DATE FROM cases").fetchone()
    months = pd.date_range(pd.Timestamp(first).replace(day=1), pd.Timestamp(last), freq="MS")
    sets = [Filters(m.date(), (m + pd.offsets.MonthBegin(1)).date()) for m in months[-4:]]
    sets.append(Filters(months[-4].date(), (months[-1] + pd.offsets.MonthBegin(1)).date()))  # a long period
    sets.append(Filters(last - dt.timedelta(days=9), last + dt.timedelta(days=1)))  # ten days to the data's end
    street = con.execute("SELECT street_id FROM grids ORDER BY street_id LIMIT 1").fetchone()[0]
    kind = con.execute("SELECT kind FROM cases ORDER BY kind LIMIT 1").fetchone()[0]
    base = sets[0]
    sets += [Filters(base.start, base.end, "street", street), Filters(base.start, base.end, kind=kind)]
    return sets


def test_fast_counts_equal_the_join_on_the_demo_city(demo_con):
    checked = 0
    for f in filter_sets(demo_con):
        fast, plain = fast_counts(demo_con, f), joined_counts(demo_con, f)
        assert fast == plain, f
        checked += sum(fast[0].values())
    assert checked > 1000  # the comparison counted real terms
    assert sum(assert_term_cases_are_plain(demo_con, f) for f in filter_sets(demo_con)) > 100


def test_fast_counts_equal_the_join_on_a_live_connection_after_a_sync(upstream):  # noqa: F811
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    table = source.table
    last = conn.execute(f'SELECT max(reported_at) FROM "{table}"').fetchone()[0]
    moved, rewritten, gone = (
        row[0]
        for row in conn.execute(
            f"""SELECT case_id FROM "{table}" WHERE description IS NOT NULL AND reported_at < %s
                ORDER BY case_id LIMIT 3""",
            (last - dt.timedelta(days=70),),
        ).fetchall()
    )
    # the same text, reported 40 days later (another month): its terms must move with it
    conn.execute(
        f"""UPDATE "{table}" SET reported_at = reported_at + interval '40 days', updated_at = now()
            WHERE case_id = %s""",
        (moved,),
    )
    conn.execute(
        f"""UPDATE "{table}" SET description = '井盖缺失，路灯坏了', updated_at = now() WHERE case_id = %s""",
        (rewritten,),
    )
    conn.execute(f'DELETE FROM "{table}" WHERE case_id = %s', (gone,))
    conn.commit()
    Feed(conn, table, db, seed=11).report(4)
    second = sync_once(db, source, mapping, EXACT)
    assert second.rows_deleted == 1 and second.rows_changed >= 6
    con = open_live(db)
    try:
        when = con.execute("SELECT reported_at FROM cases WHERE case_id = $id", {"id": moved}).fetchone()[0]
        stored = con.execute("SELECT DISTINCT reported_at FROM case_terms WHERE case_id = $id", {"id": moved})
        assert stored.fetchall() == [(when,)]  # the moved case's terms carry its new report time
        assert con.execute("SELECT count(*) FROM case_terms WHERE case_id = $id", {"id": gone}).fetchone()[0] == 0
        sets = filter_sets(con)
        month_of = dt.date(when.year, when.month, 1)
        sets.append(Filters(month_of, (pd.Timestamp(month_of) + pd.offsets.MonthBegin(1)).date()))
        compared = 0
        for f in sets:
            assert fast_counts(con, f) == joined_counts(con, f), f
            compared += assert_term_cases_are_plain(con, f)
        assert compared > 50  # real cases were compared
    finally:
        con.close()
