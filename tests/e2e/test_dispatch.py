"""Dispatch desk in a real browser: type a complaint, get three departments, a category and similar cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.browser import (
    ERROR_BOX,
    EXCEPTION,
    error_texts,
    external_requests,
    open_page,
    page_url,
    wait_until_settled,
)

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

COMPLAINTS = {
    "zh": (
        "市民来电反映：幸福路路面出现坑洼破损，存在安全隐患，联系人张先生13812345678。该处位于城市主干道。",
        "获取派单建议",
    ),
    "en": (
        "Caller reports the road surface on Xingfu Road is broken and full of potholes. 路面坑洼破损。",
        "Suggest a dispatch",
    ),
}
HEADINGS = {"zh": ("建议承办部门", "相似历史案件"), "en": ("Suggested departments", "Similar past cases")}


def complaint_box(page):
    """The complaint's text area, once the desk has a model: the first visit to a database without a stored one
    trains it in the background (the page says so and draws the form when done: ~15 s for this city on an idle
    machine, over 30 s when the machine is busy), so wait for it as long as a page load may take."""
    box = page.locator("textarea").first
    box.wait_for(timeout=180_000)
    return box


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_dispatch_desk_suggests(browser, base_url, lang):
    requests: list[str] = []
    page = open_page(browser, page_url(base_url, "dispatch", lang), requests=requests, timeout=180_000)
    try:
        text, button = COMPLAINTS[lang]
        complaint_box(page).fill(text)
        page.get_by_role("button", name=button).click()
        suggested, similar = HEADINGS[lang]
        page.get_by_text(suggested, exact=True).wait_for(timeout=60_000)
        wait_until_settled(page, timeout=60_000)
        assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        assert sum(bool(re.fullmatch(r"\d+\.\d%", v.strip())) for v in values) >= 3 + 4, values
        assert page.get_by_text(similar).count() >= 1
        assert page.locator('[data-testid="stDataFrame"]').count() >= 3  # similar cases, per department, confused
        body = page.inner_text("body")
        assert "13812345678" not in body  # the typed phone number is never echoed in clear
        assert external_requests(requests) == []
    finally:
        page.close()


def test_dispatch_desk_escapes_markup(browser, base_url):
    """Markup typed into the complaint is text: no injected element, no error box."""
    page = open_page(browser, page_url(base_url, "dispatch", "en"), timeout=180_000)
    try:
        complaint_box(page).fill('<img src=x onerror="window.__pwned=1"> **bold** [link](http://example.com)')
        page.get_by_role("button", name="Suggest a dispatch").click()
        page.get_by_text("Suggested departments", exact=True).wait_for(timeout=60_000)
        wait_until_settled(page, timeout=60_000)
        assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)
        assert page.evaluate("window.__pwned === undefined")
        assert page.locator('[data-testid="stMainBlockContainer"] a[href="http://example.com"]').count() == 0
    finally:
        page.close()


def test_a_database_without_a_model_trains_it_in_the_background(browser, e2e_db, tmp_path):
    """No model beside the database (an import, a copied file): the page says the model is being trained, and
    shows the desk by itself when it is (minutes at 20 M cases; it used to spin for the whole training)."""
    import shutil

    from analytics.dispatch.model import model_paths
    from scripts.browser import start_app, stop_app

    db = tmp_path / "no_model.duckdb"
    shutil.copy(e2e_db, db)
    assert not any(path.exists() for path in model_paths(db))
    config = tmp_path / "gridscope.toml"  # the shipped settings, but no short wait for a quick training
    shipped = (ROOT / "data" / "gridscope.toml").read_text(encoding="utf-8")
    assert "\nwait_seconds = 5 " in shipped
    config.write_text(shipped.replace("\nwait_seconds = 5 ", "\nwait_seconds = 0 "), encoding="utf-8")
    process, url = start_app(db, env={"GRIDSCOPE_CONFIG": str(config)})
    page = None
    try:
        page = open_page(browser, page_url(url, "dispatch", "zh"), timeout=180_000)
        note = page.get_by_text("正在后台用历史案件训练")
        form = page.locator("textarea")
        assert note.count() == 1 and form.count() == 0, error_texts(page)
        form.first.wait_for(timeout=240_000)  # drawn by itself when the training is done, no reload
        wait_until_settled(page, timeout=60_000)
        assert note.count() == 0
        assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)
        assert all(path.exists() for path in model_paths(db))  # stored beside the database for the next start
    finally:
        if page is not None:
            page.close()
        stop_app(process)
