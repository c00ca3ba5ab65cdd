"""What the import may read: server paths only inside an admin-configured import directory, boundary
files only of the formats GridScope reads, recognised by their content, never a GDAL virtual path.

The browser's Data page passes every typed path through :func:`resolve_inside`; every boundary layer
(typed or uploaded) through :func:`check_boundary_file`. GDAL's VRT driver and remote reads are
switched off process-wide in ``analytics/__init__.py``.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import zipfile
from contextlib import contextmanager
from pathlib import Path

from analytics.ingest.errors import IngestError

VIRTUAL_PREFIXES = ("/vsi", "vsi", "http:", "https:", "ftp:", "file:", "zip:", "gdal:")
SHAPEFILE_PARTS = {".shp", ".shx", ".dbf"}
SHAPEFILE_EXTRAS = {".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml", ".qmd", ".fix", ".aih", ".ain", ".atx"}
BOUNDARY_FORMATS = ("GeoJSON", "zipped Shapefile", "GeoPackage")


class PathRefused(IngestError):
    """A path the browser may not make the server read."""


def _looks_virtual(text: str) -> bool:
    lowered = text.strip().lower().replace("\\", "/")
    return lowered.startswith(VIRTUAL_PREFIXES) or "/vsi" in lowered or "://" in lowered


def resolve_inside(text: str, import_dir: str | os.PathLike | None) -> Path:
    """``text`` as a real file inside ``import_dir`` (relative paths are taken from it).

    Refused (:class:`PathRefused`): any path when no import directory is configured, GDAL virtual
    paths and URLs, and anything whose resolved path (symlinks followed) is outside the directory.
    """
    text = str(text).strip()
    if not import_dir:
        raise PathRefused("server paths are off: an administrator has not configured an import directory")
    if _looks_virtual(text) or "\x00" in text:
        raise PathRefused(f"{text!r}: virtual file systems and URLs are not read")
    root = Path(import_dir).resolve()
    candidate = Path(text)
    candidate = candidate if candidate.is_absolute() else root / candidate
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        raise PathRefused(f"{text!r}: no such file in the import directory") from None
    if not resolved.is_relative_to(root):
        raise PathRefused(f"{text!r}: outside the import directory {root}")
    if not resolved.is_file():
        raise PathRefused(f"{text!r}: not a file")
    return resolved


def boundary_format(path: str | os.PathLike) -> str:
    """``"geojson"``, ``"shapefile_zip"``, ``"shapefile"`` (a ``.shp`` beside its parts) or ``"gpkg"`` from the file's content; :class:`IngestError` otherwise."""
    path = Path(path)
    if _looks_virtual(str(path)):
        raise PathRefused(f"{path}: virtual file systems and URLs are not read")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise IngestError(f"{path.name}: cannot read the boundary file: {exc.strerror}") from None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{") and b'"type"' in head:
        return "geojson"
    if head.startswith(b"SQLite format 3\x00") and _is_geopackage(path):
        return "gpkg"
    if head[:4] == b"\x00\x00\x27\x0a" and path.suffix.lower() == ".shp":  # a Shapefile beside its .dbf/.shx
        return "shapefile"
    if head.startswith(b"PK\x03\x04"):
        _check_zip(path)
        return "shapefile_zip"
    raise IngestError(
        f"{path.name}: not a boundary file GridScope reads (expected {', '.join(BOUNDARY_FORMATS)}; "
        "VRT and other GDAL formats are refused)"
    )


def _is_geopackage(path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:
        return False
    return app_id in (0x47504B47, 0x47503130) and "gpkg_contents" in tables


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile:
        raise IngestError(f"{path.name}: not a readable zip file") from None
    suffixes = {Path(n).suffix.lower() for n in names}
    if not SHAPEFILE_PARTS <= suffixes:
        raise IngestError(f"{path.name}: a zipped Shapefile needs .shp, .shx and .dbf files")
    stray = sorted(suffixes - SHAPEFILE_PARTS - SHAPEFILE_EXTRAS)
    if stray:
        raise IngestError(f"{path.name}: the zip holds files other than a Shapefile's ({', '.join(stray)})")


# Compression bombs: a Parquet file declares its row count and decoded sizes in its footer, so a
# file that would expand far beyond its size is refused before a single page is decoded.
MIN_BYTES_PER_ROW = 1.0  # real case rows take tens of bytes even compressed; a bomb takes a fraction of one
MAX_EXPANSION = 100  # declared decoded bytes per stored byte
EXPANSION_FLOOR = 64 << 20  # small files may expand more than that; below 64 MiB decoded it does not matter
ROWS_FLOOR = 100_000


def check_parquet_footer(name: str, file_bytes: int, rows: int, decoded_bytes: int) -> None:
    """Refuse (:class:`IngestError`) a Parquet file whose footer declares a compression bomb.

    Examples
    --------
    >>> check_parquet_footer("ok.parquet", 2_000_000, 50_000, 9_000_000)
    >>> check_parquet_footer("bomb.parquet", 45_000, 50_000_000, 400_000)
    Traceback (most recent call last):
    ...
    analytics.ingest.errors.IngestError: bomb.parquet: 50,000,000 rows in 45,000 bytes ...
    """
    if rows > ROWS_FLOOR and rows * MIN_BYTES_PER_ROW > file_bytes:
        raise IngestError(
            f"{name}: {rows:,} rows in {file_bytes:,} bytes is a compression bomb, not a case export; refused"
        )
    if decoded_bytes > EXPANSION_FLOOR and decoded_bytes > MAX_EXPANSION * max(file_bytes, 1):
        raise IngestError(
            f"{name}: declares {decoded_bytes:,} decoded bytes in a {file_bytes:,}-byte file "
            f"(more than {MAX_EXPANSION}x); refused as a compression bomb"
        )


class ImportBusy(IngestError):
    """Another import into the same database is running (in this process or another)."""


@contextmanager
def import_lock(db: str | os.PathLike):
    """Hold the import lock of database ``db`` (``<db>.import.lock``, an exclusive ``flock``) or raise
    :class:`ImportBusy` at once: one import at a time, from the browser and the command line alike."""
    path = Path(str(db) + ".import.lock")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise IngestError(f"cannot create the import lock {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ImportBusy("another import is running; wait until it has finished") from None
        yield
    finally:
        os.close(fd)
