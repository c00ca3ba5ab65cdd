"""Issue 17 in a real browser: phone layout (390×844, both languages), the dark theme of presentation
mode measured on a screenshot of the table grid, and a compare link that reproduces its view."""

from __future__ import annotations

import io

import duckdb
import pytest
from PIL import Image, ImageStat

from scripts.browser import (
    ERROR_BOX,
    EXCEPTION,
    PHONE,
    error_texts,
    external_requests,
    horizontal_overflow,
    open_page,
    page_url,
    wait_until_settled,
)

pytestmark = pytest.mark.e2e


@pytest.fixture()
def pages(browser):
    opened = []
    yield opened
    for page in opened:
        page.close()


def _luminance(page, selector: str) -> float:
    """Mean luminance (0 black … 255 white) of a screenshot of the first element matching ``selector``."""
    element = page.locator(selector).first
    element.scroll_into_view_if_needed()
    shot = Image.open(io.BytesIO(element.screenshot())).convert("L")
    return ImageStat.Stat(shot).mean[0]


@pytest.mark.parametrize("lang", ("zh", "en"))
@pytest.mark.parametrize("url_path", ("overview", "profile", "compare"))
def test_phone_layout_has_no_sideways_scroll(browser, base_url, pages, url_path, lang):
    requests: list[str] = []
    page = open_page(browser, page_url(base_url, url_path, lang), viewport=PHONE, requests=requests)
    pages.append(page)
    # a widget's first value can trigger one more run after the page first settles: wait for the tiles
    page.locator('[data-testid="stMetric"]').nth(7).wait_for(timeout=60_000)
    wait_until_settled(page)
    assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"page scrolls sideways: {sizes}"
    assert horizontal_overflow(page) is None, horizontal_overflow(page)
    assert not page.locator('[data-testid="stSidebar"] [data-testid="stSidebarNav"]').is_visible(), (
        "the sidebar covers the page on a phone"
    )
    tiles = page.locator('[data-testid="stMetric"]')
    assert tiles.count() >= 8
    first, second, third = (tiles.nth(i).bounding_box() for i in range(3))
    assert first["x"] + first["width"] <= PHONE[0] and second["x"] + second["width"] <= PHONE[0]
    assert third["y"] > first["y"], "tiles do not stack"
    if url_path in ("overview", "compare"):  # the map is drawn and fits the width
        canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box is not None and box["width"] <= PHONE[0] and box["height"] >= 200
    assert external_requests(requests) == []


def test_presentation_tables_are_dark(browser, base_url, pages):
    normal = open_page(browser, page_url(base_url, "assessment", "en"))
    pages.append(normal)
    assert _luminance(normal, '[data-testid="stDataFrame"]') > 180
    dark = open_page(browser, page_url(base_url, "assessment", "en", "present"))
    pages.append(dark)
    assert dark.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(dark)
    assert _luminance(dark, '[data-testid="stDataFrame"]') < 70, "the table grid stays bright on the dark page"
    assert _luminance(dark, '[data-testid="stMain"] [data-testid="stButtonGroup"]') < 90, "a bright switch"
    inputs = open_page(browser, page_url(base_url, "compare", "zh", "present"))
    pages.append(inputs)
    assert _luminance(inputs, '[data-testid="stMain"] [data-testid="stSelectbox"]') < 90, "a bright input"
    assert _luminance(inputs, '[data-testid="stMain"] [data-testid="stDateInput"]') < 90, "a bright input"


def test_present_link_without_the_theme_option_turns_dark(browser, base_url, pages):
    page = open_page(browser, f"{base_url}/assessment?lang=zh&present=1")
    pages.append(page)
    page.wait_for_url("**embed_options=dark_theme**", timeout=30_000)
    wait_until_settled(page)
    assert _luminance(page, '[data-testid="stDataFrame"]') < 70


def test_compare_link_reproduces_two_areas(browser, base_url, e2e_db, pages):
    with duckdb.connect(str(e2e_db), read_only=True) as con:
        (a, name_a), (b, name_b) = con.execute(
            "SELECT street_id, any_value(street_name) FROM grids GROUP BY 1 ORDER BY 1 DESC LIMIT 2"
        ).fetchall()
    url = page_url(base_url, "compare", "zh", cmp_mode="areas", cmp_level="street", cmp_a=a, cmp_b=b,
                   cmp_metric="reported")  # fmt: skip
    page = open_page(browser, url)
    pages.append(page)
    assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)
    main = page.inner_text('[data-testid="stMain"]')
    assert f"A · {name_a}" in main and f"B · {name_b}" in main
    assert page.locator('[data-testid="stDeckGlJsonChart"] canvas').count() == 2
    assert "cmp_a=" + a in page.url and "cmp_mode=areas" in page.url
