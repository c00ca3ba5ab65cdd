"""Dispatch desk in a real browser: type a complaint, get three departments, a category and similar cases."""

from __future__ import annotations

import re

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


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_dispatch_desk_suggests(browser, base_url, lang):
    requests: list[str] = []
    page = open_page(browser, page_url(base_url, "dispatch", lang), requests=requests, timeout=180_000)
    try:
        text, button = COMPLAINTS[lang]
        page.locator("textarea").first.fill(text)
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
        page.locator("textarea").first.fill(
            '<img src=x onerror="window.__pwned=1"> **bold** [link](http://example.com)'
        )
        page.get_by_role("button", name="Suggest a dispatch").click()
        page.get_by_text("Suggested departments", exact=True).wait_for(timeout=60_000)
        wait_until_settled(page, timeout=60_000)
        assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)
        assert page.evaluate("window.__pwned === undefined")
        assert page.locator('[data-testid="stMainBlockContainer"] a[href="http://example.com"]').count() == 0
    finally:
        page.close()
