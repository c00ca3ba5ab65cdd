"""Budgets (``shared/spec/product.md`` §5), the medians' table and the baseline summary."""

from __future__ import annotations

import statistics

# (budget key, description, applies to case counts up to, page or None for every page, phase, limit seconds)
PAGE_BUDGETS = (
    ("page_1m", "every page ≤ 1 s server-side (1M cases)", 1_000_000, None, "cold", 1.0),
    ("filter_1m", "a filter change ≤ 0.3 s when cached (1M cases)", 1_000_000, None, "filter_cached", 0.3),
    # issue 16 tightened product.md's 20M budgets (overview ≤ 2 s, every page ≤ 3 s)
    ("overview_20m", "overview ≤ 1 s cold (20M cases)", 20_000_000, "overview", "cold", 1.0),
    ("page_20m", "every page ≤ 2 s (20M cases)", 20_000_000, None, "cold", 2.0),
)
# (budget key, description, applies to case counts up to, page, limit seconds): a fresh process, imports apart
FRESH_BUDGETS = (
    (
        "overview_fresh_20m",
        "overview ≤ 1.5 s in a fresh process, imports excluded (20M cases)",
        20_000_000,
        "overview",
        1.5,
    ),
)
RENDER_OVER_QUERY = 1.5  # page render ≤ 1.5 × the sum of its raw DuckDB query times


def _applies(cases: int, ceiling: int) -> bool:
    """A budget stated at 1M holds up to 1M; one stated at 20M holds above 1M up to 20M."""
    floor = 0 if ceiling <= 1_000_000 else 1_000_000
    return floor < cases <= ceiling


def _budget_row(key: str, text: str, page: str, measured: float, limit: float) -> dict:
    return {"budget": key, "text": text, "page": page, "measured": measured, "limit": limit, "met": measured <= limit}


def check_budgets(cases: int, pages: dict, fresh: dict | None = None) -> list[dict]:
    """Every budget that applies at this size, per page: measured median, limit, met."""
    rows = []
    for key, text, ceiling, page, limit in FRESH_BUDGETS:
        measured = (fresh or {}).get(page, {}).get("without_imports")
        if _applies(cases, ceiling) and measured is not None:
            rows.append(_budget_row(key, text, page, measured, limit))
    for key, text, ceiling, only, phase, limit in PAGE_BUDGETS:
        if not _applies(cases, ceiling):
            continue
        for page, result in pages.items():
            if only not in (None, page) or "median" not in result:
                continue
            measured = result["median"][phase]["seconds"]
            rows.append(_budget_row(key, text, page, measured, limit))
    for page, result in pages.items():
        if "median" not in result:
            rows.append(
                {
                    "budget": "runs",
                    "text": "the page ran",
                    "page": page,
                    "measured": None,
                    "limit": None,
                    "met": False,
                    "error": result.get("error"),
                }
            )
            continue
        if result.get("problems"):
            rows.append(
                {
                    "budget": "runs",
                    "text": "the page ran without an exception or error box",
                    "page": page,
                    "measured": None,
                    "limit": None,
                    "met": False,
                    "error": result["problems"],
                }
            )
        cold = result["median"]["cold"]
        ratio = cold["seconds"] / cold["query_seconds"] if cold["query_seconds"] else None
        rows.append(
            {
                "budget": "render_over_query",
                "text": "page render ≤ 1.5 × its raw query time",
                "page": page,
                "measured": ratio,
                "limit": RENDER_OVER_QUERY,
                "met": ratio is not None and ratio <= RENDER_OVER_QUERY,
            }
        )
    return rows


def _median(rows: list[dict], key: str):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def baseline_summary(ours: list[dict], theirs: list[dict]) -> dict:
    ok_ours = [r for r in ours if "seconds" in r]
    ok_theirs = [r for r in theirs if "seconds" in r]
    out = {
        "gridscope_runs": ours,
        "pandas_runs": theirs,
        "mode": theirs[0].get("mode") if theirs else None,
        "gridscope_seconds": _median(ok_ours, "seconds"),
        "gridscope_peak_rss_mb": _median(ok_ours, "peak_rss_mb"),
        "pandas_seconds": _median(ok_theirs, "seconds"),
        "pandas_load_seconds": _median(ok_theirs, "load_seconds"),
        "pandas_peak_rss_mb": _median(ok_theirs, "peak_rss_mb"),
        "agrees": all(r.get("agrees") for r in ok_theirs) if ok_theirs else None,
    }
    if out["pandas_seconds"] and out["gridscope_seconds"]:
        out["time_ratio"] = out["pandas_seconds"] / out["gridscope_seconds"]
        out["memory_ratio"] = out["pandas_peak_rss_mb"] / out["gridscope_peak_rss_mb"]
    return out


def _fmt(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def page_table(pages: dict) -> list[str]:
    lines = [
        "| page | cold s | rerun s | filter change, cached s | filter change, uncached s | queries | "
        "query s (cold) | render / query | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page, result in pages.items():
        if "median" not in result:
            lines.append(f"| {page} | failed: {str(result.get('error', ''))[-80:]} |||||||| ")
            continue
        m = result["median"]
        cold = m["cold"]
        ratio = cold["seconds"] / cold["query_seconds"] if cold["query_seconds"] else None
        lines.append(
            f"| {page} | {_fmt(cold['seconds'])} | {_fmt(m['rerun']['seconds'])} | "
            f"{_fmt(m['filter_cached']['seconds'])} | {_fmt(m['filter_uncached']['seconds'])} | "
            f"{cold['queries']} | {_fmt(cold['query_seconds'])} | {_fmt(ratio, 1)} | "
            f"{cold['peak_rss_mb']:.0f} |"
        )
    return lines


def fresh_table(fresh: dict, before: dict | None = None) -> list[str]:
    """The first run in a fresh process: wall, imports in it, and the rest (before → now with ``before``)."""
    if not fresh:
        return []

    def cell(result: dict | None, key: str) -> str:
        return "—" if not result or key not in result else _fmt(result[key])

    lines = ["| page (fresh process) | first run s | imports in it s | without imports s |", "|---|---:|---:|---:|"]
    for page, result in fresh.items():
        old = (before or {}).get(page)
        cells = [
            f"{cell(old, k)} → {cell(result, k)}" if before else cell(result, k)
            for k in ("seconds", "import_seconds", "without_imports")
        ]
        lines.append(f"| {page} | {' | '.join(cells)} |")
    return lines


def comparison_table(pages: dict, before: dict) -> list[str]:
    """Before → now per page and phase (medians), measured side by side in the same run."""
    phases = ("cold", "rerun", "filter_cached", "filter_uncached")
    lines = [
        "| page | cold s before → now | rerun s | filter change, cached s | filter change, uncached s | "
        "cold CPU s | uncached CPU s | queries (cold) | query s (cold) | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page, result in pages.items():
        old = before.get(page, {})
        if "median" not in result or "median" not in old:
            lines.append(f"| {page} | failed |||||||||")
            continue
        now_m, old_m = result["median"], old["median"]
        cells = [f"{_fmt(old_m[p]['seconds'])} → {_fmt(now_m[p]['seconds'])}" for p in phases]
        cells += [
            f"{_fmt(old_m[p].get('cpu_seconds'))} → {_fmt(now_m[p].get('cpu_seconds'))}"
            for p in ("cold", "filter_uncached")
        ]
        cold_now, cold_old = now_m["cold"], old_m["cold"]
        cells += [
            f"{cold_old['queries']} → {cold_now['queries']}",
            f"{_fmt(cold_old['query_seconds'])} → {_fmt(cold_now['query_seconds'])}",
            f"{cold_old['peak_rss_mb']:.0f} → {cold_now['peak_rss_mb']:.0f}",
        ]
        lines.append(f"| {page} | {' | '.join(cells)} |")
    return lines


def baseline_lines(base: dict) -> list[str]:
    if not base:
        return []
    if base.get("pandas_seconds") is None:
        first = (base.get("pandas_runs") or [{}])[0]
        return [
            f"pandas baseline skipped ({base.get('mode')}): estimated {first.get('estimate_needed_columns_mb')} MB "
            f"for the needed columns, {first.get('estimate_all_columns_mb')} MB for all, "
            f"allowed {first.get('allowed_mb')} MB; GridScope {_fmt(base.get('gridscope_seconds'))} s, "
            f"peak RSS {_fmt(base.get('gridscope_peak_rss_mb'), 0)} MB"
        ]
    return [
        f"pandas baseline ({base['mode']}): {_fmt(base['pandas_seconds'])} s "
        f"(load {_fmt(base['pandas_load_seconds'])} s), peak RSS {base['pandas_peak_rss_mb']:.0f} MB; "
        f"GridScope {_fmt(base['gridscope_seconds'])} s, peak RSS {base['gridscope_peak_rss_mb']:.0f} MB; "
        f"ratio time {base['time_ratio']:.1f}×, memory {base['memory_ratio']:.1f}×; "
        f"same numbers: {base['agrees']}"
    ]


def render(result: dict) -> str:
    m = result["machine"]
    out = [
        f"GridScope benchmark · {m['cpu_model']} · {m['cores']} cores · {m['memory_gb']} GB · "
        f"Python {m['python']} · DuckDB {m['duckdb']} · Streamlit {m['streamlit']} · "
        f"commit {(m.get('git_commit') or '?')[:8]}{' (dirty)' if m.get('git_dirty') else ''} · "
        f"medians of {result['runs']} runs"
    ]
    for size, entry in result["sizes"].items():
        out += ["", f"## {entry['cases']:,} cases ({size})", ""]
        out += page_table(entry["pages"])
        if entry.get("before_pages"):
            out += ["", "Before → now (the other checkout measured right after each page, same run):", ""]
            out += comparison_table(entry["pages"], entry["before_pages"])
        if entry.get("fresh"):
            out += [""] + fresh_table(entry["fresh"], entry.get("before_fresh"))
        out += [""] + baseline_lines(entry.get("baseline"))
        out.append(
            f"load average before the run {m.get('load_average')}, after this size "
            f"{entry.get('load_average_after')} (2 cores: above 2 means other work shared them)"
        )
        missed = [b for b in entry["budgets"] if b["met"] is False]
        met = [b for b in entry["budgets"] if b["met"]]
        out.append(f"budgets met: {len(met)}, missed: {len(missed)}")
        for b in missed:
            measured = _fmt(b["measured"]) if b["measured"] is not None else "—"
            out.append(f"  MISSED {b['text']}: {b['page']} {measured} (limit {b['limit']})")
    out += import_lines(result.get("import"))
    return "\n".join(out)


IMPORT_TARGET = 200_000  # rows/s (issue 16)
IMPORT_MEMORY_MB = 4096


def import_lines(measured: dict | None) -> list[str]:
    """The import figures (``analytics.bench.importbench``) against rows/s and memory targets."""
    if not measured:
        return []
    if "error" in measured:
        return ["", f"import: failed: {measured['error'][-300:]}"]
    out = ["", "## import (python -m analytics import, one child process each)", ""]
    out.append("| input | rows | rejected | seconds (command) | rows/s | wall s | peak RSS MB | target met |")
    out.append("|---|---|---|---|---|---|---|---|")
    for name in ("boston", "generated"):
        one = measured.get(name)
        if not one or "error" in one:
            out.append(f"| {name} | failed: {(one or {}).get('error', 'not run')[-120:]} |")
            continue
        met = one["rows_per_second"] >= IMPORT_TARGET and one["peak_rss_mb"] < IMPORT_MEMORY_MB
        out.append(
            f"| {name} | {one['rows_in']:,} | {one['rows_rejected']:,} | {one['seconds']} | "
            f"{one['rows_per_second']:,} | {one['wall_seconds']} | {one['peak_rss_mb']:,} | {'yes' if met else 'no'} |"
        )
    return out
