"""``python -m analytics brief``: resolve the period and the areas, write one briefing per area as
HTML, or as PDF printed by the headless Debian Chromium the browser tests use."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import tempfile
from pathlib import Path

import duckdb

from analytics import queries, store
from analytics.briefing.content import compose, gather
from analytics.catalog import text
from analytics.chromium import CHROMIUM, CHROMIUM_FLAGS
from analytics.filters import LEVELS, Filters, level_columns, months_before

PDF_TIMEOUT = 120


def resolve_period(spec: str, data_end: dt.date) -> tuple[dt.date, dt.date]:
    """``[start, end)`` of ``last-week`` (the last whole Monday–Sunday week before the data's end),
    ``last-month`` (the last whole calendar month) or ``START:END`` (ISO dates, END exclusive).

    Examples
    --------
    >>> resolve_period("last-week", dt.date(2026, 1, 1))  # a Thursday
    (datetime.date(2025, 12, 22), datetime.date(2025, 12, 29))
    >>> resolve_period("last-month", dt.date(2026, 1, 1))
    (datetime.date(2025, 12, 1), datetime.date(2026, 1, 1))
    """
    if spec == "last-week":
        end = data_end - dt.timedelta(days=data_end.weekday())
        return end - dt.timedelta(days=7), end
    if spec == "last-month":
        end = dt.date(data_end.year, data_end.month, 1)
        return months_before(end, 1), end
    start_text, sep, end_text = str(spec).partition(":")
    try:
        start, end = dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text)
    except ValueError:
        raise ValueError(f"period must be last-week, last-month or START:END (YYYY-MM-DD), not {spec!r}") from None
    if not sep or end <= start:
        raise ValueError(f"period {spec!r}: END must be after START (END is exclusive)")
    return start, end


def resolve_areas(con: duckdb.DuckDBPyConnection, spec: str) -> list[tuple[str | None, str | None, str]]:
    """``(level, area_id, name)`` per briefing: ``all-streets``, ``city`` or one area id of any level
    (the coarsest level holding that id wins)."""
    if spec == "city":
        return [(None, None, "")]
    if spec == "all-streets":
        frame = queries.areas(con, "street")
        return [("street", str(a), str(n)) for a, n in zip(frame["area_id"], frame["area_name"])]
    for level in LEVELS:
        id_col, name_col = level_columns(level)
        row = (
            con.cursor()
            .execute(f"SELECT any_value({name_col}) FROM grids WHERE {id_col} = $area", {"area": str(spec)})
            .fetchone()
        )
        if row and row[0] is not None:
            return [(level, str(spec), str(row[0]))]
    raise ValueError(f"no area with id {spec!r} (use an id of any level, all-streets or city)")


def safe_stem(text_: str) -> str:
    """A file-name part made only of letters, digits, ``-`` and ``_`` (area ids come from data)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text_)[:80] or "area"


def print_pdf(html_path: Path, pdf_path: Path) -> None:
    """Print an HTML file to PDF with headless Chromium; ``RuntimeError`` with its output when it fails."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="gridscope-chromium-") as profile:
        command = [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT)
    if done.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"Chromium could not print {html_path}: {done.stderr[-2000:]}")


def write_briefings(
    db: str | None,
    area_spec: str,
    period_spec: str,
    fmt: str,
    out_dir: Path,
    cfg: dict,
    lang: str = "zh",
    kind: str | None = None,
    generated: dt.datetime | None = None,
) -> list[dict]:
    """Write one briefing per area into ``out_dir``; one record per file (area, period, path)."""
    if fmt not in ("html", "pdf"):
        raise ValueError(f"format must be html or pdf, not {fmt!r}")
    con = store.connect_read_only(store.db_path(db))
    span = queries.data_range(con)
    if span is None:
        raise ValueError("the database holds no cases")
    start, end = resolve_period(period_spec, span[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = store.read_meta(con)
    city = meta.get("city_name_en" if lang == "en" else "city_name", meta.get("dataset", ""))
    written = []
    for level, area, name in resolve_areas(con, area_spec):
        f = Filters(start, end, level, area, kind)
        label = text(lang, "level.city") if area is None else f"{name} · {area}"
        material = gather(con, f, cfg, f"{city} · {name}" if name else city, lang)
        html = compose(material, cfg, lang, label, generated or dt.datetime.now())
        stem = f"briefing_{safe_stem(area or 'city')}_{start}_{end}"
        html_path = out_dir / f"{stem}.html"
        html_path.write_text(html, encoding="utf-8")
        path = html_path
        if fmt == "pdf":
            path = out_dir / f"{stem}.pdf"
            try:
                print_pdf(html_path, path)
            finally:
                html_path.unlink(missing_ok=True)
        written.append(dataclasses.asdict(_Written(level or "city", area or "", name, str(start), str(end), str(path))))
    return written


@dataclasses.dataclass(frozen=True)
class _Written:
    level: str
    area_id: str
    area_name: str
    start: str
    end: str
    file: str
