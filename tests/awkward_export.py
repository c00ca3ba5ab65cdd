"""An "awkward real export", generated: what real 311 exports look like at their edges (issue 11).

No deadlines, no population, no community level, a boundary file with a repeated id, four days of
coverage (Monday 2 to Thursday 5 March 2026), a case closed before it was reported, a cancelled case,
unlocated cases (no coordinates, a 0,0 placeholder, a point outside every grid) and three unusable rows.
The mapping names the columns in lower case while the file has them in upper case (item 13).

Every row is listed in :data:`ROWS` with what it is for, so that tests work out their expected numbers
by hand from this table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

# Four grids of 0.01° side by side along latitude 30.00-30.01; the last two share the id "P3".
GRID_FEATURES = [
    ("P1", "North Point", "S1", "Harbour", 120.00),
    ("P2", "Mill Lane", "S1", "Harbour", 120.01),
    ("P3", "Old Town", "S2", "Hillside", 120.02),
    ("P3", "Old Town", "S2", "Hillside", 120.03),  # repeated id: becomes P3~2
]

# id, created, closed, status, type, lon, lat: why the row is here
ROWS = [
    ("R1", "2026-03-02 09:00", "2026-03-02 15:00", "Closed", "Noise", "120.005", "30.005"),  # 6 h, P1
    ("R2", "2026-03-02 10:00", "", "Open", "Noise", "120.006", "30.005"),  # open, P1
    ("R3", "2026-03-03 11:00", "2026-03-04 11:00", "Closed", "Pothole", "120.015", "30.005"),  # 24 h, P2
    ("R4", "2026-03-03 12:00", "2026-03-03 08:00", "Closed", "Pothole", "120.016", "30.005"),  # closed before
    ("R5", "2026-03-04 09:00", "", "Cancelled", "Litter", "120.025", "30.005"),  # cancelled, P3
    ("R6", "2026-03-04 10:00", "2026-03-05 10:00", "Closed", "Litter", "120.035", "30.005"),  # 24 h, P3~2
    ("R7", "2026-03-05 08:00", "", "Open", "Noise", "", ""),  # no coordinates: missing
    ("R8", "2026-03-05 08:30", "", "Open", "Noise", "0", "0"),  # the 0,0 placeholder
    ("R9", "2026-03-05 13:00", "2026-03-05 16:00", "Closed", "Litter", "121.5", "30.5"),  # 3 h, outside
    ("R10", "not a date", "", "Open", "Noise", "120.005", "30.005"),  # rejected: unparseable time
    ("R1", "2026-03-05 14:00", "", "Open", "Noise", "120.005", "30.005"),  # rejected: duplicate id
    ("", "2026-03-05 15:00", "", "Open", "Noise", "120.005", "30.005"),  # rejected: no id
]

MAPPING = """
[dataset]
name = "awkward"
city_name = "Testville"
city_name_en = "Testville"
timezone = "Asia/Shanghai"

[columns]
case_id = "sr_id"
reported_at = "created"
closed_at = "closed"
status = "status"
category_name = "type"
lon = "lon"
lat = "lat"

[values.status.map]
"Open" = "filed"
"Closed" = "closed"
"Cancelled" = "cancelled"

[times]
format = "%Y-%m-%d %H:%M"
"""


def square(west: float) -> list[list[list[float]]]:
    return [[[west, 30.0], [west + 0.01, 30.0], [west + 0.01, 30.01], [west, 30.01], [west, 30.0]]]


def write_files(folder: Path, extra_mapping: str = "") -> dict[str, Path]:
    """The export (CSV with upper-case headers), its mapping (plus ``extra_mapping``) and the boundary file."""
    folder.mkdir(parents=True, exist_ok=True)
    cases = folder / "export.csv"
    header = "SR_ID,CREATED,CLOSED,STATUS,TYPE,LON,LAT"
    cases.write_text("\n".join([header, *(",".join(row) for row in ROWS)]) + "\n", encoding="utf-8")
    mapping = folder / "awkward.toml"
    mapping.write_text(MAPPING + extra_mapping, encoding="utf-8")
    features = [
        {
            "type": "Feature",
            "properties": {"id": gid, "name": name, "street": sid, "street_name": sname},
            "geometry": {"type": "Polygon", "coordinates": square(west)},
        }
        for gid, name, sid, sname, west in GRID_FEATURES
    ]
    boundaries = folder / "grids.geojson"
    boundaries.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return {"cases": cases, "mapping": mapping, "boundaries": boundaries}


def import_export(folder: Path, extra_mapping: str = "") -> tuple[Path, subprocess.CompletedProcess]:
    """Write the files and import them with the command line (``python -m analytics import``)."""
    files = write_files(folder, extra_mapping)
    db = folder / "awkward.duckdb"
    command = [
        sys.executable,
        "-m",
        "analytics",
        "import",
        "--db",
        str(db),
        "--cases",
        str(files["cases"]),
        "--mapping",
        str(files["mapping"]),
        "--boundaries",
        str(files["boundaries"]),
        "--boundary-id",
        "id",
        "--boundary-name",
        "name",
        "--parent-field",
        "street=street:street_name",
    ]
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the import failed ({done.returncode}):\n{done.stderr}")
    return db, done
