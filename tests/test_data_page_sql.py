"""Issue 11, item 15: the Data page shows the complete query that runs (WHERE clauses included)."""

from __future__ import annotations

import duckdb

from analytics import metrics
from tests.test_pages import cli_json, open_tab, run_page


def test_data_page_shows_the_query_that_runs_with_its_where_clauses(demo_env):
    with duckdb.connect(str(demo_env), read_only=True) as con:
        street = con.execute("SELECT min(street_id) FROM grids").fetchone()[0]
    at = run_page("pages/data.py", "en", query={"level": "street", "area": street, "kind": "demand"})
    at = open_tab(at, "data_tab", "Metric definitions")  # drawn when its tab is open
    assert not at.exception and not at.error, [e.value for e in at.error]
    f = at.session_state["filters"]
    shown = at.code[0].value
    # the filter's own clauses, not only the per-metric expressions
    assert "FROM cases c WHERE " in shown
    assert "c.grid_id IN (SELECT grid_id FROM grids WHERE street_id = $area)" in shown
    assert "c.kind = $kind" in shown and "c.reported_at < $end" in shown
    params = at.dataframe[-2].value  # parameters of the summary query (the last table: the by-area query's)
    values = dict(zip(params["Parameter"], params["Value"]))
    assert values["$area"] == street and values["$kind"] == "demand"
    # running exactly what is shown gives the report command's numbers
    with duckdb.connect(str(demo_env), read_only=True) as con:
        sql, bound = metrics.summary_query(con, f)
        assert shown == sql and values == {f"${k}": str(v) for k, v in bound.items()}
        row = dict(zip(metrics.AGGREGATES, con.execute(shown, bound).fetchone()))
    report = cli_json(
        "report",
        "--start",
        str(f.start),
        "--end",
        str(f.end),
        "--level",
        "street",
        "--area",
        street,
        "--kind",
        "demand",
    )
    for name in ("reported", "closed", "closed_on_time", "open_overdue"):
        assert row[name] == report[name], name
