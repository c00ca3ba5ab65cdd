"""Screenshot every registered page in every language: ``python scripts/screenshots.py``.

Writes ``<out>/<page>_<lang>.png`` (the viewport; ``<page>_<lang>_full.png`` too with ``--full-page``;
a mode other than ``normal`` adds ``_<mode>``; ``--phone`` shoots at 390×844 and adds ``_phone``), prints
each path and any error box, horizontal scroll or request that left this machine. Exits 1 when a page
showed an exception or error box (or scrolled sideways on a phone), 2 when the database is missing.

    python scripts/screenshots.py --db /tmp/demo.duckdb --langs zh,en --full-page
    python scripts/screenshots.py --phone --pages overview,profile,compare --modes normal
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.store import db_path  # noqa: E402
from scripts.browser import (  # noqa: E402
    CHROMIUM,
    MODES,
    PHONE,
    error_texts,
    external_requests,
    full_page_screenshot,
    horizontal_overflow,
    launch_browser,
    open_page,
    page_url,
    start_app,
    stop_app,
    wait_until_settled,
)
from ui.i18n import LANGUAGES  # noqa: E402
from ui.navigation import PAGES  # noqa: E402


def _choices(allowed):
    def parse(text: str) -> list[str]:
        values = [v.strip() for v in text.split(",") if v.strip()]
        unknown = [v for v in values if v not in allowed]
        if unknown or not values:
            raise argparse.ArgumentTypeError(f"expected a comma-separated subset of {','.join(allowed)}")
        return values

    return parse


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database (default: GRIDSCOPE_DB, else data/gridscope.duckdb)")
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="output folder (default: screenshots/)")
    parser.add_argument("--langs", type=_choices(LANGUAGES), default=list(LANGUAGES), help="default: zh,en")
    parser.add_argument(
        "--modes",
        type=_choices(tuple(MODES)),
        default=["normal", "present"],
        help="display modes, comma-separated (default: normal,present)",
    )
    keys = tuple(p.key for p in PAGES)
    parser.add_argument("--pages", type=_choices(keys), default=list(keys), help="page keys (default: all)")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--full-page", action="store_true", help="also write the whole scrolled page")
    parser.add_argument("--phone", action="store_true", help=f"a phone viewport ({PHONE[0]}×{PHONE[1]})")
    args = parser.parse_args(argv)
    if args.phone:
        args.width, args.height = PHONE
    return args


INPUT_WAIT_S = 300  # how long a page may take to offer its input box (the dispatch desk's first training)

# Pages whose main content appears after an input: (what to type, the button to press), per language.
AFTER_INPUT = {
    "dispatch": {
        "zh": ("市民来电反映：幸福路路面出现坑洼破损，存在安全隐患，联系人张先生，电话13812345678。", "获取派单建议"),
        "en": ("Caller reports potholes on Xingfu Road, 路面坑洼破损, please repair.", "Suggest a dispatch"),
    }
}


def _after_input(page, key: str, lang: str, path: Path) -> None:
    """Type the page's example input, press its button, wait, and screenshot the whole result."""
    text, button = AFTER_INPUT[key][lang]
    box = page.locator("textarea").first
    try:  # the dispatch desk trains its model in the background on a database that has none yet (minutes at 20M)
        box.wait_for(timeout=INPUT_WAIT_S * 1000)
    except PlaywrightTimeout:
        print(f"  {key}: no input box after {INPUT_WAIT_S} s (its model still training?); {path.name} not taken")
        return
    box.fill(text)
    page.get_by_role("button", name=button).click()
    page.wait_for_timeout(500)
    wait_until_settled(page)
    full_page_screenshot(page, path)
    print(path)


def shoot(browser, base_url: str, args: argparse.Namespace) -> int:
    """Visit every page × language × mode; return the number of pages that showed an error."""
    failures = 0
    for index, spec in enumerate(PAGES):
        if spec.key not in args.pages:
            continue
        url_path = "" if index == 0 else spec.url_path  # the default page lives at "/"
        for lang in args.langs:
            for mode in args.modes:
                stem = (
                    f"{spec.key}_{lang}" + ("" if mode == "normal" else f"_{mode}") + ("_phone" if args.phone else "")
                )
                requests: list[str] = []
                started = time.monotonic()
                page = open_page(
                    browser,
                    page_url(base_url, url_path, lang, mode),
                    viewport=(args.width, args.height),
                    requests=requests,
                )
                try:
                    shot = args.out / f"{stem}.png"
                    page.screenshot(path=str(shot))
                    print(f"{shot}  ({time.monotonic() - started:.1f} s)")
                    if args.full_page:
                        full_page_screenshot(page, args.out / f"{stem}_full.png")
                        print(args.out / f"{stem}_full.png")
                    if spec.key in AFTER_INPUT and mode == "normal":
                        _after_input(page, spec.key, lang, args.out / f"{stem}_asked.png")
                    for url in external_requests(requests):
                        print(f"  EXTERNAL REQUEST: {url}")
                    errors = error_texts(page)
                    for text in errors:
                        print(f"  ERROR BOX: {text[:500]}")
                    overflow = horizontal_overflow(page)
                    if overflow:
                        print(f"  HORIZONTAL SCROLL: {overflow}")
                    failures += bool(errors) or (args.phone and bool(overflow))
                finally:
                    page.close()
    return failures


def main(argv=None) -> int:
    args = parse_args(argv)
    database = db_path(args.db).resolve()
    if not database.exists():
        print(
            f"database not found: {database}\nbuild one first, e.g.: python -m analytics demo --db {database}",
            file=sys.stderr,
        )
        return 2
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    process, base_url = start_app(database)
    try:
        with sync_playwright() as playwright:
            browser = launch_browser(playwright)
            try:
                failures = shoot(browser, base_url, args)
            finally:
                browser.close()
    finally:
        stop_app(process)
    if failures:
        print(f"{failures} page(s) showed an exception or error box", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
