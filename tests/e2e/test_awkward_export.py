"""Issue 11 in a real browser, on the generated awkward export: every page renders without an error box,
``/overview`` is the overview (not "Page not found"), and KPI labels wrap between words at 1,600 px."""

from __future__ import annotations

import pytest

from scripts.browser import ERROR_BOX, EXCEPTION, error_texts, open_page, start_app, stop_app
from tests.awkward_export import import_export
from tests.e2e.conftest import _require_chromium
from ui.navigation import PAGES

pytestmark = pytest.mark.e2e
PERIOD = "start=2026-03-02&end=2026-03-06"  # the four days of data

TILE_LABEL = '[data-testid="stMetricLabel"]'
# For each KPI label: is any (Latin) word drawn on two lines, and is the text cut (wider or taller than its box)?
LABEL_CHECK = """() => [...document.querySelectorAll('[data-testid="stMetricLabel"]')].map(label => {
    const box = label.querySelector('[data-testid="stMarkdownContainer"]');
    const p = box.querySelector('p');
    const text = p.textContent;
    const broken = [];
    const node = p.firstChild;
    let at = 0;
    for (const word of text.split(/\\s+/)) {
        const start = text.indexOf(word, at);
        at = start + word.length;
        // a Latin word must not be split; Chinese text may break between any two characters
        if (!/[A-Za-z]/.test(word) || node.nodeType !== Node.TEXT_NODE) continue;
        const range = document.createRange();
        range.setStart(node, start);
        range.setEnd(node, at);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(word);
    }
    const cut = box.scrollWidth > box.clientWidth + 1 || label.scrollHeight > label.clientHeight + 1;
    return {text, broken, cut};
})"""


@pytest.fixture(scope="module")
def awkward_url(tmp_path_factory):
    _require_chromium()
    db, _ = import_export(tmp_path_factory.mktemp("awkward_e2e"))
    process, url = start_app(db)
    try:
        yield url
    finally:
        stop_app(process)


def test_awkward_export_in_the_browser(browser, awkward_url):
    for spec in PAGES:
        page = open_page(browser, f"{awkward_url}/{spec.url_path}?lang=en")
        try:
            assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, (spec.key, error_texts(page))
            body = page.inner_text("body")
            assert "Page not found" not in body, spec.url_path  # /overview included
            assert page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().strip()
        finally:
            page.close()
    for lang in ("en", "zh"):
        page = open_page(browser, f"{awkward_url}/overview?lang={lang}&{PERIOD}", viewport=(1600, 900))
        try:
            page.wait_for_function(f"document.querySelectorAll('{TILE_LABEL}').length >= 8", timeout=30_000)
            labels = page.evaluate(LABEL_CHECK)
            assert len(labels) >= 8
            assert [x for x in labels if x["broken"] or x["cut"]] == [], labels
        finally:
            page.close()
