"""Boston 2015: how well the repeat rule finds the cases the city itself closed as duplicates.

Reads ``shared/data/real/boston311_2015/boston311_2015.parquet`` (never copied into
the project) and, per rule setting, prints the recall of the 3,871 cases whose
``CLOSURE_REASON`` says "duplicate" (case-insensitive), the share of flagged cases
that carry the label (precision), and, for labelled cases whose closure note
names the parent's case number, how often the flagged parent is that case.

Cases at the City Hall placeholder ("(0, 0)" geocode) have no real location and
are not compared; they still count in the recall's denominator (a rule cannot
find them). ``CASE_TITLE`` is the text compared when a rule uses similarity.

Run: ``python scripts/boston_repeats.py [path/to/boston311_2015.parquet]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.repeats.clusters import RepeatRule, find_repeats  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "boston311_2015" / "boston311_2015.parquet"
RULES = (
    RepeatRule(100, 72, 0.0),
    RepeatRule(100, 72, 0.3),
    RepeatRule(30, 72, 0.0),
    RepeatRule(50, 24, 0.0),
    RepeatRule(100, 168, 0.0),
    RepeatRule(200, 168, 0.0),
)
PARENT = r"(?i)duplicate of (?:existing )?case\D{0,6}(\d{6,12})"


def boston_cases(path: Path = DEFAULT) -> pd.DataFrame:
    """The Boston cases as the repeat rule reads them, with ``label`` and the named ``named_parent``."""
    raw = pd.read_parquet(path)
    placeholder = raw["Geocoded_Location"] == "(0, 0)"
    reason = raw["CLOSURE_REASON"].fillna("")
    return pd.DataFrame(
        {
            "case_id": raw["CASE_ENQUIRY_ID"].astype(str),
            "category_code": raw["TYPE"],
            "lon": pd.to_numeric(raw["LONGITUDE"]).where(~placeholder),
            "lat": pd.to_numeric(raw["LATITUDE"]).where(~placeholder),
            "reported_at": pd.to_datetime(raw["OPEN_DT"], format="%m/%d/%Y %I:%M:%S %p"),
            "description": raw["CASE_TITLE"],
            "label": reason.str.contains("duplicate", case=False),
            "named_parent": reason.str.extract(PARENT, expand=False),
        }
    )


def evaluate(cases: pd.DataFrame, rules=RULES) -> pd.DataFrame:
    """One row per rule: flagged, labelled, recall, precision, parent agreement (where the note names one)."""
    rows = []
    labelled = set(cases.loc[cases["label"], "case_id"])
    named = cases.dropna(subset=["named_parent"]).set_index("case_id")["named_parent"]
    for rule in rules:
        found = find_repeats(cases, rule)
        flagged = set(found["case_id"])
        parents = found.set_index("case_id")["parent_id"]
        both = named.index.intersection(parents.index)
        rows.append(
            {
                "distance_m": rule.distance_m,
                "window_hours": rule.window_hours,
                "text_similarity": rule.text_similarity,
                "flagged": len(flagged),
                "labelled": len(labelled),
                "labelled_flagged": len(flagged & labelled),
                "recall": len(flagged & labelled) / len(labelled),
                "precision": len(flagged & labelled) / len(flagged) if flagged else None,
                "named_parent_cases": len(both),
                "parent_agreement": float((parents[both] == named[both]).mean()) if len(both) else None,
            }
        )
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """A Markdown table (three decimals for fractions) without optional dependencies."""
    cells = table.map(
        lambda v: "—" if v is None or v != v else f"{v:.3f}" if isinstance(v, float) and v < 1.5 else str(v)
    )
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells.astype(str).values.tolist()])


if __name__ == "__main__":
    print(markdown(evaluate(boston_cases(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT))))
