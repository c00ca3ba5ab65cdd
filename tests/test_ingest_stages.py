"""The import's stage timings (:class:`analytics.ingest.pipeline.Stages`) name every step once, in the order the
steps run, and the benchmark reads them back from the command's log; the digest of a staged file, now computed
while DuckDB reads it, is the file's SHA-256 on every staging path. No timing is asserted: only the shape."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from analytics.bench.importbench import stage_seconds
from analytics.ingest.pipeline import ImportSpec, Stages, run_import
from analytics.ingest.staging import stage_file

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"

STEPS = [
    "stage the files",
    "map",
    "duplicates and rejects",
    "boundaries (rest)",
    "deadlines",
    "locate",
    "write cases (descriptions cut beside)",
    "reference tables",
    "cut descriptions (rest)",
    "commit the cases",
    "report",
    "case_days",
    "text index (rest)",
    "commit and replace",
]


def test_every_step_of_an_import_is_timed_once_in_order_and_logged(tmp_path):
    lines: list[str] = []
    result = run_import(
        ImportSpec(
            db=tmp_path / "city.duckdb", cases=[FIXTURES / "nyc311_style.csv"], mapping="nyc311", h3_resolution=8
        ),
        progress=lines.append,
    )
    assert [name for name, _, _ in result.stages] == STEPS
    assert all(wall >= 0 and cpu >= 0 for _, wall, cpu in result.stages)
    # the steps are disjoint parts of the command's own clock
    assert sum(wall for _, wall, _ in result.stages) <= result.seconds + 0.01
    logged = stage_seconds("\n".join(lines))
    assert list(logged) == STEPS
    assert logged["locate"] == [dict((n, w) for n, w, _ in result.stages)["locate"], result.stages[5][2]]


def test_the_benchmark_reads_the_stage_lines_of_a_log():
    log = (
        "import: read 3 rows from 1 file(s)\n"
        "import: stage stage the files: 0.250 s, 0.125 CPU s\n"
        "import: 7 terms of descriptions indexed\n"
        "import: stage write cases (descriptions cut beside): 1.500 s, 2.000 CPU s\n"
        "not a stage: 1.000 s, 1.000 CPU s\n"
    )
    assert stage_seconds(log) == {
        "stage the files": [0.25, 0.125],
        "write cases (descriptions cut beside)": [1.5, 2.0],
    }
    assert stage_seconds("import: wrote 3 cases to x in 0.5 s") == {}


def test_stages_keep_the_order_and_log_each_step_as_it_ends():
    lines: list[str] = []
    stage = Stages(lines.append)
    with stage("first"):
        pass
    stage.add("second", 1.23456, 0.5)
    assert [name for name, _, _ in stage.done] == ["first", "second"]
    assert stage.done[1] == ("second", 1.235, 0.5)
    assert lines[1] == "import: stage second: 1.235 s, 0.500 CPU s"


def test_the_digest_of_a_staged_file_is_its_sha256_on_every_path(tmp_path):
    text = "id,when,note\n1,2025-01-01 08:00,a\n2,2025-01-02 09:30,b\n"
    good = tmp_path / "good.csv"
    good.write_text(text, encoding="utf-8")
    ragged = tmp_path / "ragged.csv"  # a record with a field too many: DuckDB refuses it, the exact reader reads it
    ragged.write_text(text + "3,2025-01-03 10:00,c,extra\n", encoding="utf-8")
    con = duckdb.connect()
    try:
        for path, reader in ((good, "duckdb_csv"), (ragged, "python")):
            staged = stage_file(con, path, fast_csv_bytes=0)
            assert staged.reader == reader
            assert staged.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        small = stage_file(con, good)  # below the size DuckDB's reader is used for
        assert small.reader == "python" and small.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    finally:
        con.close()
