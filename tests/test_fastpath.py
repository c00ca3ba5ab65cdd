"""Fast paths must give exactly the numbers of the plain code (docs/performance.md).

- ``anomaly.spike_matrix`` (all categories at once) equals ``flag_spikes`` run per series;
- ``alerts.spike_alerts`` equals the plain per-category loop for several filter sets;
- the demo stores promptly closed cases first, then late-closed, then open ones, each in report order
  (zone-map pruning), and the metric SQL gives the same numbers on that layout as on a shuffled copy;
- ``metrics.reported_by_area`` equals the ``reported`` column of ``metrics.by_area``, and the alerts are the
  same whether or not the overview passes its per-grid frame in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics import alerts, metrics
from analytics.anomaly import flag_spikes, spike_matrix
from analytics.config import load_config
from analytics.filters import Filters
from analytics.layout import CASE_ORDER, LATE_CLOSURE_DAYS, ORDER_BY_SQL

DEC = Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1))


def filter_sets(con) -> list[Filters]:
    street = con.execute("SELECT min(street_id) FROM grids").fetchone()[0]
    grid = con.execute("SELECT min(grid_id) FROM grids").fetchone()[0]
    return [
        DEC,
        DEC.previous(),
        Filters(dt.date(2024, 3, 1), dt.date(2024, 6, 1), kind="demand"),
        Filters(dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
        dataclasses.replace(DEC, level="street", area=street),
        dataclasses.replace(DEC, level="grid", area=grid, kind="incident"),
        Filters(dt.date(2025, 6, 3), dt.date(2025, 6, 17), kind="dispute"),
        dataclasses.replace(DEC, level="street", area="x'; DROP TABLE cases;--"),
    ]


@pytest.mark.parametrize("grain", ["day", "week"])
def test_spike_matrix_equals_flag_spikes_per_series(grain):
    rng = np.random.default_rng(3)
    values = rng.poisson(12, size=(120, 9)).astype(float)
    values[:, 3] = 0  # an all-zero series (MAD 0)
    values[100, 5] += 60  # a planted spike
    values[::11, 7] = 5  # ties in the window
    index = pd.date_range("2025-01-06", periods=120, freq="D" if grain == "day" else "W-MON")
    flags = spike_matrix(values, grain, 3.0, 10, 8)
    for j in range(values.shape[1]):
        alone = flag_spikes(pd.Series(values[:, j], index=index), grain, 3.0, 10, 8)
        for column in ("count", "baseline", "robust_sd", "upper", "spike"):
            np.testing.assert_array_equal(flags[column][:, j], alone[column].to_numpy(), err_msg=f"{column} {j}")
    assert flags["spike"][100, 5]


def plain_spike_alerts(con, f: Filters, spike_rules: dict) -> pd.DataFrame:
    """The per-category loop that ``alerts.spike_alerts`` replaced (kept here as the reference)."""
    weeks = int(spike_rules["baseline_weeks"])
    table, names = alerts.daily_category_counts(con, f, weeks)
    if table.empty:
        return pd.DataFrame(columns=alerts.COLUMNS)
    rows = []
    for code in table.columns:
        flags = flag_spikes(
            table[code], "day", float(spike_rules["robust_sd"]), float(spike_rules["min_excess"]), weeks
        )
        hits = flags[flags["spike"] & (flags.index >= pd.Timestamp(f.start))]
        if not hits.empty:
            top = hits.assign(excess=hits["count"] - hits["baseline"]).nlargest(1, "excess").iloc[0]
            rows.append(
                {
                    "category_code": code,
                    "name": names[code],
                    "count": top["count"],
                    "baseline": top["baseline"],
                    "excess": top["excess"],
                    "day": top.name.date().isoformat(),
                }
            )
    hit = pd.DataFrame(rows, columns=["category_code", "name", "count", "baseline", "excess", "day"])
    out = alerts._rows(hit, "spike", "category", "category_code", "name", "count", "baseline", hit["excess"] / 10)
    return out.assign(day=hit["day"].to_numpy())


def test_spike_alerts_equal_the_plain_loop(demo_con):
    rules = load_config()["spikes"]
    found = 0
    for f in filter_sets(demo_con):
        fast = alerts.spike_alerts(demo_con, f, rules).reset_index(drop=True)
        plain = plain_spike_alerts(demo_con, f, rules).reset_index(drop=True)
        pd.testing.assert_frame_equal(fast, plain, check_dtype=False)
        found += len(fast)
    assert found > 0, "no filter set found a spike: the comparison proved nothing"


def test_demo_stores_prompt_then_late_then_open_cases_in_report_order(demo_con):
    meta = dict(demo_con.execute("SELECT key, value FROM meta").fetchall())
    assert meta["case_order"] == CASE_ORDER
    rows = demo_con.execute(f"""
        SELECT CASE WHEN closed_at IS NULL THEN 2
                    WHEN closed_at - reported_at > INTERVAL {LATE_CLOSURE_DAYS} DAY THEN 1 ELSE 0 END AS klass,
               reported_at
        FROM cases ORDER BY rowid""").df()
    assert rows["klass"].is_monotonic_increasing
    assert set(rows["klass"]) == {0, 1, 2}
    for _, part in rows.groupby("klass"):
        assert part["reported_at"].is_monotonic_increasing
    reordered = demo_con.execute(f"SELECT case_id FROM cases ORDER BY {ORDER_BY_SQL}").df()["case_id"]
    stored = demo_con.execute("SELECT case_id FROM cases ORDER BY rowid").df()["case_id"]
    assert reordered.equals(stored), "ORDER_BY_SQL (for SQL writers) must give the demo's order"


def assert_same_numbers(a: dict, b: dict) -> None:
    """Counts exactly; floats (sums of 0.9, quantiles) to 1e-12 relative, as summation order may differ."""
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], float) or isinstance(b[key], float):
            assert a[key] == pytest.approx(b[key], rel=1e-12), key
        else:
            assert a[key] == b[key], key


def test_metrics_do_not_depend_on_the_layout(demo_db, tmp_path):
    """The same summary and per-area numbers on the stored layout and on a shuffled copy of ``cases``."""
    shuffled = duckdb.connect(str(tmp_path / "shuffled.duckdb"))
    shuffled.execute(f"ATTACH '{demo_db}' AS src (READ_ONLY)")
    for table in ("grids", "meta"):
        shuffled.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
    shuffled.execute("CREATE TABLE cases AS SELECT * FROM src.cases ORDER BY hash(case_id)")
    stored = duckdb.connect(str(demo_db), read_only=True)
    try:
        for f in filter_sets(stored):
            assert_same_numbers(metrics.summary(stored, f), metrics.summary(shuffled, f))
            pd.testing.assert_frame_equal(metrics.by_area(stored, f, "street"), metrics.by_area(shuffled, f, "street"))
    finally:
        stored.close()
        shuffled.close()


@pytest.mark.parametrize("level", ["grid", "street"])
def test_reported_by_area_equals_by_area(demo_con, level):
    for f in filter_sets(demo_con):
        full = metrics.by_area(demo_con, f, level)[["area_id", "area_name", "reported"]]
        narrow = metrics.reported_by_area(demo_con, f, level)
        pd.testing.assert_frame_equal(narrow, full, check_dtype=False)


def test_alerts_with_the_status_map_frame_equal_alerts_alone(demo_con):
    cfg = load_config()
    for f in filter_sets(demo_con)[:4]:
        alone = alerts.alerts(demo_con, f, cfg)
        shared = alerts.alerts(demo_con, f, cfg, grids=metrics.by_area(demo_con, f, "grid", cfg))
        pd.testing.assert_frame_equal(shared, alone)
