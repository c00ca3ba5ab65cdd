"""A failed import — bad file, broken geometry, full disk, killed process — leaves the old database intact."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics.cli import main
from analytics.ingest import BoundarySpec, ImportSpec, IngestError, Layer, run_import
from analytics.ingest import load as load_module

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def good_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("good") / "good.duckdb"
    run_import(ImportSpec(db=path, cases=[FIXTURES / "nyc311_style.csv"], mapping="nyc311", h3_resolution=8))
    return path


@pytest.fixture()
def previous(good_db, tmp_path) -> tuple[Path, str]:
    """A copy of a good database and its sha256, as the app would be serving it."""
    path = tmp_path / "gridscope.duckdb"
    shutil.copyfile(good_db, path)
    return path, sha256(path)


def assert_untouched(path: Path, digest: str) -> None:
    assert sha256(path) == digest
    assert not list(path.parent.glob(f"{path.name}.tmp-import-*")), "a temporary file was left behind"
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 8


@pytest.mark.parametrize(
    "spec_changes, message",
    [
        ({"cases": [FIXTURES / "truncated.csv"]}, "truncated.csv: the file is truncated"),
        ({"cases": [FIXTURES / "wrong_encoding.csv"]}, "cannot decode the file as UTF-8-SIG nor as GB18030"),
        (
            {"h3_resolution": None, "boundaries": BoundarySpec(Layer(FIXTURES / "broken_geometry.geojson", "grid"))},
            "broken_geometry.geojson: cannot read the boundary file",
        ),
        ({"cases": [FIXTURES / "nyc311_style.csv", FIXTURES / "missing.csv"]}, "case file not found"),
    ],
)
def test_a_bad_input_leaves_the_previous_database_byte_identical(previous, spec_changes, message):
    path, digest = previous
    spec = {
        "db": path,
        "cases": [FIXTURES / "nyc311_style.csv"],
        "mapping": "nyc311",
        "h3_resolution": 8,
        **spec_changes,
    }
    with pytest.raises(IngestError, match=message):
        run_import(ImportSpec(**spec))
    assert_untouched(path, digest)


def test_a_geometry_that_cannot_be_a_polygon_is_refused(previous, tmp_path):
    path, digest = previous
    boundary = tmp_path / "null_geometry.geojson"
    boundary.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"grid": "A"}, "geometry": null}]}',
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match="feature 'A' has no geometry"):
        run_import(
            ImportSpec(
                db=path,
                cases=[FIXTURES / "nyc311_style.csv"],
                mapping="nyc311",
                boundaries=BoundarySpec(Layer(boundary, "grid")),
            )
        )
    assert_untouched(path, digest)


def test_the_command_reports_the_error_and_exits_2(previous, capsys):
    path, digest = previous
    code = main(["import", "--db", str(path), "--cases", str(FIXTURES / "truncated.csv"), "--preset", "nyc311"])
    assert code == 2
    assert "error: truncated.csv: the file is truncated: its last record (5) has" in capsys.readouterr().err
    assert_untouched(path, digest)


def test_a_full_disk_while_writing_leaves_the_previous_database(previous, monkeypatch):
    path, digest = previous

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(load_module, "_fsync", disk_full)
    with pytest.raises(IngestError, match="could not write the database .* No space left on device"):
        run_import(ImportSpec(db=path, cases=[FIXTURES / "nyc311_style.csv"], mapping="nyc311", h3_resolution=7))
    assert_untouched(path, digest)


def write_big_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(3)
    seconds = np.sort(rng.integers(0, 365 * 86_400, rows))
    frame = pd.DataFrame(
        {
            "case_id": np.char.add("K", np.arange(rows).astype(str)),
            "kind": "demand",
            "reported_at": (np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]")).astype(str),
            "lon": np.round(rng.uniform(116.2, 116.6, rows), 3),
            "lat": np.round(rng.uniform(39.8, 40.0, rows), 3),
            "description": "a fairly ordinary description of a case, long enough to take some bytes",
        }
    )
    frame.to_csv(path, index=False)


def test_a_killed_import_leaves_the_old_file_and_its_temp_is_cleaned_next_time(previous, tmp_path):
    path, digest = previous
    big = tmp_path / "big.csv"
    write_big_csv(big, 600_000)
    command = [
        sys.executable,
        "-m",
        "analytics",
        "import",
        "--db",
        str(path),
        "--cases",
        str(big),
        "--preset",
        "canonical",
        "--h3",
        "7",
    ]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline, temporary = time.monotonic() + 60, []
    while not temporary and time.monotonic() < deadline and process.poll() is None:
        temporary = list(tmp_path.glob(f"{path.name}.tmp-import-*"))
        time.sleep(0.005)
    assert temporary, f"the import never created its temporary file: {process.stderr.read().decode()}"
    time.sleep(0.3)  # let it get partway
    assert process.poll() is None, "the import finished before it could be killed; use a bigger file"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert sha256(path) == digest  # the served file was never touched
    assert temporary[0].exists()  # the stale temporary file is left …
    with duckdb.connect(str(path), read_only=True) as con:  # … and the target is what the app opens
        assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 8
    run_import(ImportSpec(db=path, cases=[FIXTURES / "nyc311_style.csv"], mapping="nyc311", h3_resolution=7))
    assert not list(tmp_path.glob(f"{path.name}.tmp-import-*"))  # … and removed by the next import
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'grid_source'").fetchone()[0] == "h3 resolution 7"


# The descriptions are cut in a worker thread while the cases are written: a failure there, or in a step
# after the cases' insert, still leaves the previous database, with no temporary file.


def test_a_failure_while_the_descriptions_are_cut_beside_the_write_leaves_the_previous_database(previous, monkeypatch):
    path, digest = previous
    from analytics.ingest import pipeline

    def broken_cut(texts, words):
        raise duckdb.IOException("IO Error: the disk went away while cutting")

    monkeypatch.setattr(pipeline, "cut_texts", broken_cut)
    with pytest.raises(IngestError, match="the disk went away while cutting"):
        run_import(ImportSpec(db=path, cases=[FIXTURES / "nyc311_style.csv"], mapping="nyc311", h3_resolution=7))
    assert_untouched(path, digest)


def test_a_failure_after_the_cases_are_written_leaves_the_previous_database(previous, monkeypatch):
    path, digest = previous
    from analytics.ingest import pipeline

    def broken_report(*args, **kwargs):
        raise duckdb.IOException("IO Error: the disk went away while reporting")

    monkeypatch.setattr(pipeline, "build_report", broken_report)
    with pytest.raises(IngestError, match="the disk went away while reporting"):
        run_import(ImportSpec(db=path, cases=[FIXTURES / "nyc311_style.csv"], mapping="nyc311", h3_resolution=7))
    assert_untouched(path, digest)


def test_a_failure_while_the_points_are_looked_up_beside_the_judging_leaves_the_previous_database(
    previous, monkeypatch, tmp_path
):
    """The boundary grid of each point is looked up in a worker thread while DuckDB judges the rows."""
    path, digest = previous
    from analytics.ingest import staged_points

    def broken_join(lon, lat, geoms):
        raise duckdb.IOException("IO Error: the disk went away while looking up")

    monkeypatch.setattr(staged_points, "join_points", broken_join)
    squares = tmp_path / "squares.geojson"
    squares.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"grid": "A"}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[-75, 40], [-73, 40], [-73, 41], [-75, 41], [-75, 40]]]}}]}'
    )
    spec = ImportSpec(
        db=path,
        cases=[FIXTURES / "nyc311_style.csv"],
        mapping="nyc311",
        boundaries=BoundarySpec(Layer(squares, "grid")),
    )
    with pytest.raises(IngestError, match="the disk went away while looking up"):
        run_import(spec)
    assert_untouched(path, digest)


# case_terms is written on a second cursor (its own transaction) while the connection writes the report and
# case_days, after the cases are committed to the temporary file: a failure on either side still leaves the
# previous database and no temporary file.


def test_a_failure_in_the_cursor_writing_the_terms_leaves_the_previous_database(previous, monkeypatch):
    path, digest = previous
    from analytics.ingest import pipeline

    def broken_index(*args, **kwargs):
        raise duckdb.IOException("IO Error: the disk went away while indexing")

    monkeypatch.setattr(pipeline, "index_cases", broken_index)
    with pytest.raises(IngestError, match="the disk went away while indexing"):
        run_import(ImportSpec(db=path, cases=[FIXTURES / "nyc311_style.csv"], mapping="nyc311", h3_resolution=7))
    assert_untouched(path, digest)


def test_a_failure_beside_the_cursor_waits_for_it_and_leaves_the_previous_database(previous, monkeypatch):
    path, digest = previous
    from analytics.ingest import pipeline

    finished = []
    real_index = pipeline.index_cases

    def slow_index(*args, **kwargs):
        time.sleep(0.5)
        written = real_index(*args, **kwargs)
        finished.append(written)
        return written

    def broken_case_days(*args, **kwargs):
        raise duckdb.IOException("IO Error: the disk went away while counting days")

    monkeypatch.setattr(pipeline, "index_cases", slow_index)
    monkeypatch.setattr(pipeline, "build_case_days", broken_case_days)
    with pytest.raises(IngestError, match="the disk went away while counting days"):
        run_import(ImportSpec(db=path, cases=[FIXTURES / "nyc311_style.csv"], mapping="nyc311", h3_resolution=7))
    assert finished, "the import returned while its cursor was still writing"
    assert_untouched(path, digest)
