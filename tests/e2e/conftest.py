"""One demo database, one Streamlit server and one Chromium per session; a new page per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scripts.browser import CHROMIUM, launch_browser, start_app, stop_app

E2E_DEMO_CASES = 20_000
E2E_DEMO_SEED = 7


def _require_chromium() -> None:
    """Skip on a workstation without Chromium; in CI (``CI=true``) a missing browser is a failure."""
    if Path(CHROMIUM).exists():
        return
    reason = f"Chromium not found at {CHROMIUM} (install it with: apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser tests: {reason}")
    print(f"skipping browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory) -> Path:
    """A small demo city (20,000 cases, seed 7) for the browser tests."""
    _require_chromium()
    from analytics.demo import build_demo

    path = tmp_path_factory.mktemp("e2e") / "demo.duckdb"
    build_demo(path, cases=E2E_DEMO_CASES, seed=E2E_DEMO_SEED)
    return path


@pytest.fixture(scope="session")
def base_url(e2e_db):
    """The URL of a Streamlit server running ``app.py`` against :func:`e2e_db`."""
    process, url = start_app(e2e_db)
    try:
        yield url
    finally:
        stop_app(process)


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
