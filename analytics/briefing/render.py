"""The one-page briefing as HTML (printable, offline): KPIs, the status map as SVG, top categories,
alerts, the worst grids with the reason and the KPI definitions in a footnote.

Everything is inline (no script, font, image or style sheet is fetched), so the file opens on a
machine without network and prints on one A4 landscape page.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math

import pandas as pd

from analytics.scoring import STATUS_COLORS

CSS = """
@page { size: A4 landscape; margin: 10mm; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: #1f2933; margin: 0; }
h1 { font-size: 20px; margin: 0 0 2px 0; } .sub { color: #52606d; font-size: 11px; margin-bottom: 8px; }
.tiles { display: grid; grid-template-columns: repeat(8, 1fr); gap: 6px; margin-bottom: 8px; }
.tile { border: 1px solid #d9e2ec; border-radius: 6px; padding: 5px 7px; }
.tile .l { font-size: 10px; color: #52606d; } .tile .v { font-size: 18px; font-weight: 600; }
.tile .d { font-size: 9px; color: #52606d; }
.row { display: grid; grid-template-columns: 38% 30% 32%; gap: 10px; }
h2 { font-size: 13px; margin: 4px 0; } table { border-collapse: collapse; width: 100%; font-size: 10px; }
td, th { border-bottom: 1px solid #e4e7eb; padding: 2px 4px; text-align: left; } td.n { text-align: right; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 8px; border-radius: 2px; }
.foot { font-size: 8.5px; color: #52606d; margin-top: 6px; border-top: 1px solid #d9e2ec; padding-top: 4px; }
"""


def _rings(geojson: str) -> list[list[list[float]]]:
    geom = json.loads(geojson)
    polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    return [ring for polygon in polygons for ring in polygon[:1]]


def svg_map(geoms: pd.DataFrame, status: pd.Series, width: int = 380, height: int = 300) -> str:
    """Areas as SVG paths filled by status (``status`` indexed by area id); equirectangular, north up."""
    rings = {area: _rings(g) for area, g in zip(geoms["area_id"], geoms["geometry"])}
    points = [p for rs in rings.values() for ring in rs for p in ring]
    if not points:
        return ""
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    k = math.cos(math.radians((south + north) / 2))
    span_x, span_y = (east - west) * k or 1e-9, (north - south) or 1e-9
    scale = min((width - 4) / span_x, (height - 4) / span_y)
    paths = []
    for area, area_rings in rings.items():
        r, g, b = STATUS_COLORS.get(status.get(area, "grey"), STATUS_COLORS["grey"])
        d = " ".join(
            "M" + " L".join(f"{2 + (x - west) * k * scale:.1f},{2 + (north - y) * scale:.1f}" for x, y in ring) + " Z"
            for ring in area_rings
        )
        paths.append(f'<path d="{d}" fill="rgb({r},{g},{b})" stroke="#fff" stroke-width="0.4"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{"".join(paths)}</svg>'
    )


def render(
    title: str,
    subtitle: str,
    tiles: list[tuple[str, str, str]],
    map_svg: str,
    legend: list[tuple[str, str]],
    top: list[tuple[str, str, str]],
    top_headers: tuple[str, str, str],
    alerts: list[str],
    headings: dict[str, str],
    footnotes: list[str],
    generated: dt.datetime,
    worst: list[tuple[str, str, str, str]] | None = None,
    worst_headers: tuple[str, str, str, str] = ("", "", "", ""),
    lang: str = "zh",
    report: dict | None = None,
) -> str:
    """The briefing as one self-contained HTML document.

    ``worst`` rows are (grid, score, grade, reason); ``report`` (the ``report`` object of the period)
    is embedded as an inert JSON data block so a scheduler or a check can read the exact numbers.
    """
    esc = html.escape
    tile_html = "".join(
        f'<div class="tile"><div class="l">{esc(label)}</div><div class="v">{esc(value)}</div>'
        f'<div class="d">{esc(delta)}</div></div>'
        for label, value, delta in tiles
    )
    legend_html = "".join(f'<span style="background:{colour}"></span>{esc(text)}' for colour, text in legend)
    rows = "".join(
        f"<tr><td>{esc(a)}</td><td class='n'>{esc(b)}</td><td class='n'>{esc(c)}</td></tr>" for a, b, c in top
    )
    alert_rows = "".join(f"<tr><td>{esc(a)}</td></tr>" for a in alerts) or "<tr><td>—</td></tr>"
    notes = "".join(f"<div>{esc(n)}</div>" for n in footnotes)
    worst_html = ""
    if worst:
        head = "".join(f"<th>{esc(h)}</th>" for h in worst_headers)
        body = "".join(
            f"<tr><td>{esc(a)}</td><td class='n'>{esc(b)}</td><td>{esc(c)}</td><td>{esc(d)}</td></tr>"
            for a, b, c, d in worst
        )
        worst_html = f"<h2>{esc(headings['worst'])}</h2><table><tr>{head}</tr>{body}</table>"
    data_block = ""
    if report is not None:
        payload = json.dumps(report, ensure_ascii=False, default=str).replace("</", "<\\/")
        data_block = f'<script type="application/json" id="gs-report">{payload}</script>'
    return f"""<!DOCTYPE html><html lang="{esc(lang)}"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>{CSS}</style></head><body>
<h1>{esc(title)}</h1><div class="sub">{esc(subtitle)} · {esc(generated.strftime("%Y-%m-%d %H:%M"))}</div>
<div class="tiles">{tile_html}</div>
<div class="row"><div><h2>{esc(headings["map"])}</h2>{map_svg}<div class="legend">{legend_html}</div></div>
<div><h2>{esc(headings["top"])}</h2><table><tr><th>{esc(top_headers[0])}</th><th>{esc(top_headers[1])}</th>
<th>{esc(top_headers[2])}</th></tr>{rows}</table></div>
<div><h2>{esc(headings["alerts"])}</h2><table>{alert_rows}</table>{worst_html}</div></div>
<div class="foot">{notes}</div>{data_block}</body></html>"""
