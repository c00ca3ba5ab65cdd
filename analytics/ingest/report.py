"""The validation report: counts per reason with a sample, as a table and as readable text.

Stored in the database as ``import_report(reason, kind, rows, sample, field)``
where ``kind`` is ``rejected`` (rows in ``rejects``), ``flagged`` (loaded cases
whose ``field`` — ``location_flag`` or ``quality_flags`` — carries ``reason``),
``repaired`` (boundary geometries fixed by ``make_valid``, or ids repeated in a boundary layer) or ``note`` (e.g. a
mapped column absent from a file).
"""

from __future__ import annotations

import duckdb
import pandas as pd

REPORT_SQL = """
    CREATE TABLE import_report (
        reason TEXT,
        kind TEXT,
        rows BIGINT,
        sample TEXT,
        field TEXT
    )"""
REPORT_COLUMNS = ["reason", "kind", "rows", "sample", "field"]
KIND_ORDER = {"rejected": 0, "flagged": 1, "repaired": 2, "note": 3}
SAMPLE_IDS = 5
SAMPLE_CHARS = 300
# the first $n case ids by (reported_at, case_id), kept as the top-n of a min_by (a flag that millions of cases carry,
# e.g. "outside", no longer builds the list of all their ids: at 20M cases that ran DuckDB out of memory)
FIRST_IDS = (
    "array_to_string(list_transform(min_by((reported_at, case_id), (reported_at, case_id), $n), lambda x: x[2]), ', ')"
)
FLAGGED_SQL = f"""
    SELECT location_flag AS reason, 'flagged' AS kind, count(*) AS rows, {FIRST_IDS} AS sample,
           'location_flag' AS field
    FROM cases WHERE location_flag IS NOT NULL GROUP BY location_flag
    UNION ALL
    SELECT flag, 'flagged', count(*), {FIRST_IDS}, 'quality_flags'
    FROM (SELECT case_id, reported_at, unnest(string_split(quality_flags, ',')) AS flag
          FROM cases WHERE quality_flags IS NOT NULL)
    GROUP BY flag
    ORDER BY field, reason"""


def rejected_rows(rejects: pd.DataFrame) -> list[dict]:
    rows = []
    for reason, group in rejects.groupby("reason", sort=True):
        first = group.iloc[0]
        sample = f"{first['source']} row {first['row_number']}: {first['raw']}"[:SAMPLE_CHARS]
        rows.append({"reason": reason, "kind": "rejected", "rows": len(group), "sample": sample, "field": None})
    return rows


def flagged_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """One row per location flag and per quality flag of the loaded cases, sampled by the first case ids."""
    return con.execute(FLAGGED_SQL, {"n": SAMPLE_IDS}).df().to_dict("records")


def repaired_rows(repaired: dict[str, list[str]]) -> list[dict]:
    return [
        {
            "reason": "geometry_repaired",
            "kind": "repaired",
            "rows": len(ids),
            "field": "geometry",
            "sample": f"{name}: {', '.join(ids[:SAMPLE_IDS])}",
        }
        for name, ids in repaired.items()
        if ids
    ]


def duplicate_rows(duplicates: list[dict]) -> list[dict]:
    """One row per boundary layer with repeated ids, naming them and what was done."""
    done = {"suffix": "kept apart (id~2, id~3 …)", "merge": "merged into one area"}
    return [
        {
            "reason": "duplicate_boundary_id",
            "kind": "repaired",
            "rows": sum(d["ids"].values()),
            "field": "geometry",
            "sample": f"{d['file']}: {done[d['rule']]}: "
            + ", ".join(f"{i} ×{n}" for i, n in list(d["ids"].items())[:SAMPLE_IDS])
            + (" …" if len(d["ids"]) > SAMPLE_IDS else ""),
        }
        for d in duplicates
    ]


def note_rows(notes: list[str]) -> list[dict]:
    return [{"reason": "note", "kind": "note", "rows": None, "sample": note, "field": None} for note in notes]


def build_report(
    con: duckdb.DuckDBPyConnection,
    rejects: pd.DataFrame,
    repaired: dict[str, list[str]],
    notes: list[str],
    duplicates: list[dict] | None = None,
) -> pd.DataFrame:
    """The report rows; flags are counted in SQL over the ``cases`` table already written to ``con``."""
    rows = rejected_rows(rejects) + flagged_rows(con) + repaired_rows(repaired) + duplicate_rows(duplicates or [])
    rows += note_rows(notes)
    frame = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    return frame.astype({"rows": "Int64"})


def store_report(con: duckdb.DuckDBPyConnection, report: pd.DataFrame) -> None:
    con.execute(REPORT_SQL)
    con.register("report_frame", report)
    con.execute(f"INSERT INTO import_report SELECT {', '.join(REPORT_COLUMNS)} FROM report_frame")
    con.unregister("report_frame")


def load_report(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The stored validation report (empty when the database was not made by an import)."""
    cur = con.cursor()
    present = cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'import_report'"
    ).fetchone()[0]
    if not present:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    frame = cur.execute(f"SELECT {', '.join(REPORT_COLUMNS)} FROM import_report").df()
    order = frame["kind"].map(KIND_ORDER).fillna(9)
    frame = (
        frame.assign(_o=order)
        .sort_values(["_o", "field", "reason"], na_position="first", kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    text = ["reason", "kind", "sample", "field"]
    frame[text] = frame[text].astype(object).where(frame[text].notna(), None)
    return frame.astype({"rows": "Int64"})


def format_report(report: pd.DataFrame, summary: dict) -> str:
    """Readable text: totals, then each reason with its count and a sample."""
    lines = [
        f"import {summary['dataset']} ({summary['mapping']}): {summary['files']} file(s), "
        f"{summary['rows_in']:,} rows in",
        f"  cases loaded   {summary['rows_loaded']:>12,}",
        f"  rejected       {summary['rows_rejected']:>12,}",
        f"  grids          {summary['grids']:>12,}  ({summary['grid_source']})",
    ]
    titles = {
        "rejected": "rejected (kept in the rejects table with the raw row):",
        "flagged": "flagged (loaded; see location_flag / quality_flags):",
        "repaired": "boundaries repaired (invalid geometries: make_valid; repeated ids):",
        "note": "notes:",
    }
    for kind, title in titles.items():
        part = report[report["kind"] == kind]
        if part.empty:
            continue
        lines.append(title)
        for row in part.itertuples(index=False):
            if kind == "note":
                lines.append(f"  {row.sample}")
                continue
            label = row.reason if kind != "flagged" else f"{row.field}={row.reason}"
            lines.append(f"  {label:<40} {int(row.rows):>10,}  e.g. {row.sample[:120]}")
    if report[report["kind"].isin(["rejected", "flagged"])].empty:
        lines.append("no rejected or flagged rows")
    return "\n".join(lines)
