"""What the browser may make the server read, escaping and formula defusing, configuration and CLI errors."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.config import ConfigError, load_config
from analytics.ingest.errors import IngestError
from analytics.ingest.guard import ImportBusy, PathRefused, boundary_format, import_lock, resolve_inside
from analytics.ingest.readers import read_parquet
from ui.safe import md
from ui.tables import csv_bytes

ROOT = Path(__file__).resolve().parent.parent
GEOJSON = ROOT / "tests" / "fixtures" / "ingest" / "broken_geometry.geojson"
VRT = '<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>'


def test_paths_resolve_only_inside_the_import_directory(tmp_path):
    inbox, outside = tmp_path / "inbox", tmp_path / "secret.csv"
    inbox.mkdir()
    outside.write_text("a,b\n1,2\n")
    (inbox / "cases.csv").write_text("a,b\n1,2\n")
    (inbox / "link.csv").symlink_to(outside)
    assert resolve_inside("cases.csv", inbox) == (inbox / "cases.csv").resolve()
    assert resolve_inside(str(inbox / "cases.csv"), inbox) == (inbox / "cases.csv").resolve()
    for text in (str(outside), "../secret.csv", "link.csv", "/etc/passwd", "/vsicurl/http://10.0.0.1/x.geojson"):
        with pytest.raises(PathRefused):
            resolve_inside(text, inbox)
    with pytest.raises(PathRefused, match="not configured"):
        resolve_inside("cases.csv", "")


def test_boundary_files_are_recognised_by_content(tmp_path):
    assert boundary_format(GEOJSON) == "geojson"
    vrt = tmp_path / "grids.geojson"  # a VRT with a GeoJSON name
    vrt.write_text(VRT)
    with pytest.raises(IngestError, match="not a boundary file"):
        boundary_format(vrt)
    zipped = tmp_path / "grids.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for part in ("g.shp", "g.shx", "g.dbf", "g.vrt"):
            archive.writestr(part, VRT if part.endswith("vrt") else "x")
    with pytest.raises(IngestError, match=r"other than a Shapefile's \(\.vrt\)"):
        boundary_format(zipped)
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame({"id": ["g1"]}, geometry=[box(120, 30, 120.01, 30.01)], crs="EPSG:4326").to_file(
        tmp_path / "grids.gpkg", driver="GPKG"
    )
    assert boundary_format(tmp_path / "grids.gpkg") == "gpkg"


def test_the_vrt_driver_is_off_in_this_process(tmp_path):
    import pyogrio

    vrt = tmp_path / "x.vrt"
    (tmp_path / "p.csv").write_text("id,x,y\n1,0,0\n")
    vrt.write_text(VRT.replace("/etc/passwd", str(tmp_path / "p.csv")))
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_dataframe(vrt)


def test_a_parquet_compression_bomb_is_refused_before_decoding(tmp_path):
    rows = 3_000_000
    column = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["x" * 30]))
    pq.write_table(pa.table({"case_id": column}), tmp_path / "bomb.parquet", compression="zstd")
    assert (tmp_path / "bomb.parquet").stat().st_size < rows  # less than a byte per row
    with pytest.raises(IngestError, match="compression bomb"):
        read_parquet(tmp_path / "bomb.parquet", nrows=5)
    ordinary = pd.DataFrame({"case_id": [f"C{i:06d}" for i in range(2000)], "text": ["路灯"] * 2000})
    ordinary.to_parquet(tmp_path / "ok.parquet")
    assert len(read_parquet(tmp_path / "ok.parquet", nrows=5).frame) == 5


def test_one_import_at_a_time(tmp_path):
    db = tmp_path / "x.duckdb"
    with import_lock(db):
        with pytest.raises(ImportBusy, match="another import is running"):
            with import_lock(db):
                pass
    with import_lock(db):  # released
        pass


def test_csv_cells_that_start_a_formula_are_prefixed():
    frame = pd.DataFrame(
        {
            "text": ["=1+1", "+86 1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "a=b"],
            "count": [1, -3, 0, 2, 3, 4, 5, 6],
        }
    )
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    expected = ["'=1+1", "'+86 1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "plain", "a=b"]
    assert list(back["text"]) == expected
    assert list(back["count"]) == ["1", "-3", "0", "2", "3", "4", "5", "6"]  # numbers stay numbers


def test_markdown_escaping_leaves_no_syntax():
    payload = "**notice** [log in](http://evil.example/x) ![i](http://e/i.png) :red[x] <b>"
    escaped = md(payload)
    for syntax in ("**", "[", "](", "![", ":red[", "<b>", "http://"):
        assert syntax not in escaped
    assert md(None) == "" and md("a\n# b") == "a &#35; b"


def test_configuration_errors_name_file_line_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[city]\nname = "x"\n\n[status]\nmin_due_to_close = "five"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert (caught.value.file, caught.value.line, caught.value.key) == (bad, 5, "status.min_due_to_close")
    bad.write_text("[alerts]\nmax_rows = 12\nrising_demand_ratio = = 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert (caught.value.line, caught.value.key) == (3, "alerts.rising_demand_ratio")


def cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _read_only_folder(tmp_path) -> Path:
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return folder
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        reason = f"root cannot make a read-only folder here (mount: {mounted.stderr.decode().strip()})"
        print(f"skipping: {reason}")
        pytest.skip(reason)
    return folder


def test_a_read_only_data_folder_is_a_clear_error_with_status_2(tmp_path):
    folder = _read_only_folder(tmp_path)
    try:
        result = cli("demo", "--db", str(folder / "x.duckdb"), "--cases", "1000")
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("error: ")
        assert "Traceback" not in result.stderr
        assert "Read-only file system" in result.stderr or "ermission" in result.stderr
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=False)


def test_user_command_creates_users_and_kiosk_links(tmp_path):
    users = tmp_path / "users.toml"
    made = subprocess.run(
        [sys.executable, "-m", "analytics", "user", "add", "wang", "--role", "leader", "--areas", "street:330191001",
         "--users", str(users), "--password-stdin"],
        cwd=ROOT, input="long enough secret\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    kiosk = cli("user", "kiosk", "hall", "--areas", "district:330191", "--users", str(users))
    assert kiosk.returncode == 0 and "?kiosk=" in kiosk.stdout
    from analytics.access.users import read_users

    parsed = read_users(users)
    assert parsed.users["wang"].areas == ("street:330191001",) and "long enough" not in users.read_text()
    bad = cli("user", "add", "li", "--role", "viewer", "--areas", "block:1", "--users", str(users))
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown area level 'block'")


def test_the_launcher_binds_loopback_and_refuses_the_network_without_users(tmp_path, monkeypatch):
    from ui.serve import check_exposure

    monkeypatch.setenv("GRIDSCOPE_USERS", str(tmp_path / "users.toml"))
    assert check_exposure(["--server.port", "8600"]) == ["--server.address", "127.0.0.1", "--server.port", "8600"]
    with pytest.raises(SystemExit) as stopped:
        check_exposure(["--server.address", "0.0.0.0"])
    assert stopped.value.code == 2
    (tmp_path / "users.toml").write_text("")
    assert check_exposure(["--server.address=0.0.0.0"]) == ["--server.address=0.0.0.0"]
