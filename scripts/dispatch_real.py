"""Dispatch accuracy on the real Boston and NYC 311 files: ``python scripts/dispatch_real.py [--format json]``.

Reads ``../shared/data/real`` in place (never copied) and scores the same model as the desk
(:func:`analytics.dispatch.evaluate.score`) with a time split:

- **Boston 2015**: text = case title + type, place = neighbourhood (+ PWD district), channel = Source;
  department = ``SUBJECT``, team = ``QUEUE``. Train January-November, test December.
- **NYC 2013-12-25** (all agencies, one day): text = complaint type + descriptor, place = borough
  (+ community board), channel = none in this schema; department = ``Agency``. Train before 16:00, test after
  (the file holds one day, so no month can be held out).
- **NYC 2013 → 2022**: train on the whole 2013 day, test on the 2022-05-01 file (nine years later).

``nyc311_sample.csv`` is left out: every row is DOHMH, so any model and the baseline are 100 %.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.dispatch.evaluate import score  # noqa: E402
from analytics.dispatch.features import hour_blocks  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
NYC_TIME = "%m/%d/%Y %I:%M:%S %p"
KEYS = ("n_train", "n_test", "top1", "top3", "baseline_top1", "baseline_top3")


def _frame(text, place, district, source, reported, department, team) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "description": text,
            "grid_id": place,
            "district_id": district,
            "source": source,
            "reported_at": reported,
            "department": department,
            "category_code": team,
        }
    ).dropna(subset=["reported_at", "department", "category_code"])
    frame["hour_block"] = hour_blocks(frame["reported_at"])
    return frame.sort_values("reported_at", kind="stable").reset_index(drop=True)


def boston(root: Path = REAL) -> pd.DataFrame:
    raw = pd.read_parquet(root / "boston311_2015" / "boston311_2015.parquet")
    text = raw["CASE_TITLE"].fillna("") + " | " + raw["TYPE"].fillna("")
    reported = pd.to_datetime(raw["OPEN_DT"], format=NYC_TIME, errors="coerce")
    return _frame(text, raw["neighborhood"], raw["pwd_district"], raw["Source"], reported, raw["SUBJECT"], raw["QUEUE"])


def nyc(name: str, root: Path = REAL) -> pd.DataFrame:
    raw = pd.read_csv(root / "nyc311_sample" / name, dtype=str, keep_default_na=False)
    text = raw["Complaint Type"] + " | " + raw["Descriptor"]
    reported = pd.to_datetime(raw["Created Date"], format=NYC_TIME, errors="coerce")
    return _frame(text, raw["Borough"], raw["Community Board"], None, reported, raw["Agency"], raw["Complaint Type"])


def measure(root: Path = REAL) -> dict[str, dict]:
    """Every figure of the module docstring, keyed by data set."""
    out = {}
    b = boston(root)
    cut = pd.Timestamp("2015-12-01")
    out["boston_2015"] = score(b[b["reported_at"] < cut], b[b["reported_at"] >= cut])
    day = nyc("nyc311_2013-12-25_allagencies.csv", root)
    cut = pd.Timestamp("2013-12-25 16:00")
    out["nyc_2013_day"] = score(day[day["reported_at"] < cut], day[day["reported_at"] >= cut])
    out["nyc_2013_to_2022"] = score(day, nyc("nyc311_2022-05-01_allagencies.csv", root))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("json", "table"), default="table")
    args = parser.parse_args(argv)
    if not REAL.exists():
        print(f"real data not found at {REAL}", file=sys.stderr)
        return 2
    results = measure()
    if args.format == "json":
        print(json.dumps(results, indent=2, default=str))
        return 0
    for name, r in results.items():
        team = f"team top-1 {r['category_top1']:.1%} / top-3 {r['category_top3']:.1%}"
        team += f" (baseline {r['category_baseline_top1']:.1%})"
        print(
            f"{name}: train {r['n_train']:,}, test {r['n_test']:,}; department top-1 {r['top1']:.1%}, "
            f"top-3 {r['top3']:.1%}, baseline top-1 {r['baseline_top1']:.1%}, top-3 {r['baseline_top3']:.1%}; {team}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
