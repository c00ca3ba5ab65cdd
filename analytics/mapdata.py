"""Point and hexagon layers for the map: a reproducible sample of case points and H3 counts.

Unlocated cases (no coordinates, or a location flag) are never drawn.
"""

from __future__ import annotations

import duckdb
import h3
import pandas as pd

from analytics.filters import Filters, case_filter_sql, period_params

LOCATED = "c.lon IS NOT NULL AND c.lat IS NOT NULL AND c.location_flag IS NULL"


def case_points(
    con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 5000, seed: int = 7
) -> tuple[pd.DataFrame, int]:
    """At most ``limit`` located cases of P (a repeatable reservoir sample beyond that) and the total located."""
    where, params = case_filter_sql(f)
    base = f"FROM cases c WHERE c.reported_at >= $start AND c.reported_at < $end AND {LOCATED} AND {where}"
    p = {**params, **period_params(f)}
    cur = con.cursor()
    total = int(cur.execute(f"SELECT count(*) {base}", p).fetchone()[0])
    sample = "" if total <= limit else f" USING SAMPLE reservoir({int(limit)} ROWS) REPEATABLE ({int(seed)})"
    sql = f"SELECT * FROM (SELECT c.case_id, c.kind, c.category_name, c.lon, c.lat {base}){sample} ORDER BY case_id"
    return cur.execute(sql, p).df(), total


def hex_counts(con: duckdb.DuckDBPyConnection, f: Filters, resolution: int = 9) -> pd.DataFrame:
    """Located cases of P per H3 cell (``hex``, ``count``).

    Points are first counted per ~10 m rounded position in SQL, so h3 is called once per distinct position.
    """
    if not 0 <= resolution <= 15:
        raise ValueError(f"H3 resolution must be 0..15, not {resolution}")
    where, params = case_filter_sql(f)
    sql = f"""SELECT round(c.lon, 4) AS lon, round(c.lat, 4) AS lat, count(*) AS n
              FROM cases c WHERE c.reported_at >= $start AND c.reported_at < $end AND {LOCATED} AND {where}
              GROUP BY ALL"""
    points = con.cursor().execute(sql, {**params, **period_params(f)}).df()
    if points.empty:
        return pd.DataFrame(columns=["hex", "count"])
    cells = [h3.latlng_to_cell(lat, lon, resolution) for lon, lat in zip(points["lon"], points["lat"])]
    out = points.assign(hex=cells).groupby("hex", as_index=False)["n"].sum().rename(columns={"n": "count"})
    return out.sort_values("hex").reset_index(drop=True)
