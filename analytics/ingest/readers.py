"""Case files as text: CSV (any common delimiter; UTF-8, UTF-16 or GB18030), Parquet and JSON.

Every column is read as text (``str`` dtype, empty → missing) so nothing is lost
before the mapping decides what a value means, and a rejected row can be stored
exactly as it came. Row numbers count data records from 1 (the header is not a
record).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analytics.ingest.errors import IngestError
from analytics.ingest.guard import check_parquet_footer

DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "gb18030")
CASE_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".geojson": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}


@dataclass
class CaseFile:
    """One case file read as text."""

    path: Path
    frame: pd.DataFrame  # every column str; index 0..n-1
    row_numbers: pd.Series  # record number in the file (1-based) per frame row
    sha256: str
    encoding: str | None = None
    delimiter: str | None = None
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row_number, reason, raw JSON)
    raw_json: list[str] | None = None  # JSON sources: each record exactly as given

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.bad_rows)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode(raw: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """The text and the encoding used: ``encoding`` if given, else UTF-16 by BOM, UTF-8, GB18030."""
    if encoding:
        candidates: tuple[str, ...] = (encoding,)
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates = ("utf-16",)
    else:
        candidates = ENCODINGS
    for candidate in candidates:
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise IngestError(f"{name}: unknown encoding {candidate!r}") from None
    tried = " nor as ".join(c.upper() for c in candidates)
    raise IngestError(
        f"{name}: cannot decode the file as {tried}; "
        'set `encoding` under [dataset] in the mapping file (e.g. "latin-1")'
    )


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often outside quotes in the header line (default comma)."""
    outside, quoted = [], False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name.strip() or "column"
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return out


def _csv_python(text: str, names: list[str], delimiter: str, label: str, limit: int | None = None):
    """Exact slow path: records with a wrong field count become rejects; a cut-off last record is an error.

    With ``limit`` (a preview of the first records) reading stops there and a cut-off end is ignored.
    """
    rows, bad, number = [], [], 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        next(reader)
        for number, record in enumerate(reader, start=1):
            if limit is not None and number > limit:
                break
            if record:
                (rows if len(record) == len(names) else bad).append((number, record))
    except csv.Error as exc:
        if limit is None:
            raise IngestError(
                f"{label}: the file is truncated or malformed near record {reader.line_num}: {exc}"
            ) from None
    cut_off = bad and bad[-1][0] == number and len(bad[-1][1]) < len(names)
    if cut_off and limit is None and not text.endswith(("\n", "\r")):
        raise IngestError(
            f"{label}: the file is truncated: its last record ({number}) has "
            f"{len(bad[-1][1])} of {len(names)} fields and no line end"
        )
    if cut_off and limit is not None:
        bad.pop()
    frame = pd.DataFrame([r for _, r in rows], columns=names, dtype="str").replace("", None)
    bad_rows = [(n, "wrong_field_count", json.dumps({"fields": r}, ensure_ascii=False)) for n, r in bad]
    return frame, pd.Series([n for n, _ in rows], dtype="int64"), bad_rows


PREVIEW_BYTES = 1 << 20


def _read_bytes(path: Path, preview: bool) -> bytes:
    """The whole file, or for a preview its first MiB cut at a line end (UTF-16 is always read whole)."""
    if not preview:
        return path.read_bytes()
    with open(path, "rb") as fh:
        raw = fh.read(PREVIEW_BYTES + 1)
    if len(raw) <= PREVIEW_BYTES:
        return raw
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return path.read_bytes()
    raw = raw[:PREVIEW_BYTES]
    return raw[: raw.rfind(b"\n") + 1] or raw


def read_csv(
    path: Path, encoding: str | None = None, delimiter: str | None = None, nrows: int | None = None
) -> CaseFile:
    """Read a delimited text file; ``nrows`` reads only that many records (a preview)."""
    raw = _read_bytes(path, nrows is not None)
    text, used = decode(raw, path.name, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise IngestError(f"{path.name}: the file is empty")
    header_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = delimiter or sniff_delimiter(header_line)
    names = _unique(next(csv.reader([header_line], delimiter=delimiter)))
    digest = sha256_of(path)
    if nrows is not None:
        frame, numbers, bad_rows = _csv_python(text, names, delimiter, path.name, limit=nrows)
        return CaseFile(path, frame, numbers, digest, used, delimiter, bad_rows)
    data = raw if used == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf") else text.encode("utf-8")
    bad: list = []
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=lambda row: bad.append(row) or "skip"
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True, null_values=[""]
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        bad.append(None)
    if bad or text.count('"') % 2:  # odd quotes: a quoted field runs to the end of the file
        frame, numbers, bad_rows = _csv_python(text, names, delimiter, path.name)
    else:
        frame = table.to_pandas()
        numbers, bad_rows = pd.Series(range(1, len(frame) + 1), dtype="int64"), []
    return CaseFile(path, frame, numbers, digest, used, delimiter, bad_rows)


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    if pa.types.is_nested(column.type):
        values = [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in column.to_pylist()]
        return pa.chunked_array([pa.array(values, pa.string())])
    return pc.cast(column, pa.string())


def check_parquet_file(path: Path, parquet: pq.ParquetFile) -> None:
    """Refuse a compression bomb from the footer of an opened Parquet file (:func:`check_parquet_footer`)."""
    meta = parquet.metadata
    decoded = sum(
        meta.row_group(g).column(c).total_uncompressed_size
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
    )
    check_parquet_footer(path.name, path.stat().st_size, meta.num_rows, decoded)


def _parquet_rows(path: Path, nrows: int | None) -> pa.Table:
    """The whole table, or for a preview only the first ``nrows`` rows (one streamed batch); the
    footer is checked for a compression bomb first."""
    parquet = pq.ParquetFile(path)
    check_parquet_file(path, parquet)
    if nrows is None:
        return parquet.read()
    batch = next(parquet.iter_batches(batch_size=max(int(nrows), 1)), None)
    return pa.Table.from_batches([batch]) if batch is not None else parquet.schema_arrow.empty_table()


def read_parquet(path: Path, nrows: int | None = None) -> CaseFile:
    try:
        table = _parquet_rows(path, nrows)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(f"{path.name}: not a readable Parquet file: {exc}") from None
    if nrows is not None:
        table = table.slice(0, nrows)
    columns = [_as_text(table.column(i)) for i in range(table.num_columns)]
    text = pa.table(columns, names=_unique(table.column_names))
    frame = text.to_pandas()
    frame = frame.astype({c: "str" for c in frame.columns}) if len(frame.columns) else frame
    return CaseFile(path, frame, pd.Series(range(1, len(frame) + 1), dtype="int64"), sha256_of(path))


def _scalar_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def _json_records(text: str, name: str) -> list:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            return [json.loads(line) for line in lines]
        except json.JSONDecodeError:
            raise IngestError(f"{name}: not valid JSON (an array of requests or JSON lines): {exc}") from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise IngestError(f"{name}: expected a JSON array of request objects")
        data = lists[0]
    if not isinstance(data, list):
        raise IngestError(f"{name}: expected a JSON array of request objects")
    return data


def read_json(path: Path, encoding: str | None = None, nrows: int | None = None) -> CaseFile:
    """An Open311 GeoReport v2 ``requests.json`` (an array of objects), an object holding one such
    array, or JSON lines."""
    text, used = decode(path.read_bytes(), path.name, encoding)
    records = _json_records(text.lstrip("\ufeff"), path.name)[:nrows]
    names: dict[str, None] = {}
    for i, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise IngestError(f"{path.name}: record {i} is not a JSON object")
        names.update(dict.fromkeys(record))
    rows = [[_scalar_text(r.get(k)) for k in names] for r in records]
    frame = pd.DataFrame(rows, columns=list(names), dtype="str")
    raw_json = [json.dumps(r, ensure_ascii=False) for r in records]
    return CaseFile(
        path, frame, pd.Series(range(1, len(frame) + 1), dtype="int64"), sha256_of(path), used, raw_json=raw_json
    )


def read_case_file(
    path: str | Path, encoding: str | None = None, delimiter: str | None = None, nrows: int | None = None
) -> CaseFile:
    """Read one case file by its suffix (``.csv/.txt/.tsv``, ``.parquet``, ``.json/.jsonl``)."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"case file not found: {path}")
    kind = CASE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise IngestError(
            f"{path.name}: unknown case file type {path.suffix!r}; expected one of {', '.join(sorted(CASE_SUFFIXES))}"
        )
    if kind == "parquet":
        return read_parquet(path, nrows)
    if kind == "json":
        return read_json(path, encoding, nrows)
    return read_csv(path, encoding, delimiter, nrows)
