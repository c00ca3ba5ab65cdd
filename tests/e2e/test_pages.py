"""Every registered page in both languages, in a real browser: it finishes, shows no error box,
has a translated title and never reaches beyond this machine."""

from __future__ import annotations

import re

import pytest

from analytics.scoring import ENTITIES
from scripts.browser import ERROR_BOX, EXCEPTION, error_texts, external_requests, open_page, page_url
from ui.i18n import catalog
from ui.navigation import PAGES

pytestmark = pytest.mark.e2e

LANGS = ("zh", "en")
CJK = re.compile(r"[\u3400-\u9fff]")
MISSING_KEY = "⟦"
HOSTILE_AREA = "x'; DROP TABLE cases;--"
WARNING_BOX = '[data-testid="stAlertContentWarning"]'


@pytest.fixture()
def visit(browser, base_url):
    """Open a URL (relative to the server) in a fresh 1920×1080 page; return the page and its requests."""
    pages = []

    def _visit(url: str):
        requests: list[str] = []
        page = open_page(browser, url if url.startswith("http") else base_url + url, requests=requests)
        pages.append(page)
        return page, requests

    yield _visit
    for page in pages:
        page.close()


def assert_clean(page, requests) -> str:
    """The checks every page passes; returns the page title."""
    assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)
    title = page.locator('[data-testid="stMainBlockContainer"] h1').first
    assert title.count() == 1, "the page has no h1 title"
    text = title.inner_text().strip()
    assert text, "the h1 title is empty"
    body = page.inner_text("body")
    assert MISSING_KEY not in body, [line for line in body.splitlines() if MISSING_KEY in line]
    assert external_requests(requests) == []
    return text


# Latin words a Chinese page may show: units, standard names and abbreviations used as such in Chinese reports.
ALLOWED_LATIN = {
    "csv",
    "html",
    "p90",
    "fdr",
    "gi",
    "z",
    "p",
    "h3",
    "app",
    "km",
    "id",
    "gb",
    "t",
    "a",
    "b",
    "c",
    "d",
    "e",
    "k",
    "mad",
    "sd",
    "pt",
    "getis",
    "ord",
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z]+")


def untranslated_words(page) -> set[str]:
    """Latin words in the main area's text (data values in tables are drawn on a canvas and not read here)."""
    text = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]').cloneNode(true);
        main.querySelectorAll('[data-testid="stIconMaterial"]').forEach(icon => icon.remove());  // icon ligatures
        document.body.appendChild(main);
        const text = main.innerText;
        main.remove();
        return text;
    }""")
    return {w for w in LATIN_WORD.findall(text) if w.lower() not in ALLOWED_LATIN}


@pytest.mark.parametrize("mode", ("normal", "present"))
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("spec", PAGES, ids=[p.key for p in PAGES])
def test_page_renders(visit, base_url, spec, lang, mode):
    page, requests = visit(page_url(base_url, spec.url_path, lang, mode))
    title = assert_clean(page, requests)
    if lang == "zh":
        assert not untranslated_words(page), untranslated_words(page)
    if mode == "present":
        sidebar = page.locator('[data-testid="stSidebar"]')
        try:  # the presentation CSS hides it once the script has drawn; give a loaded machine a moment
            sidebar.wait_for(state="hidden", timeout=15_000)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: the assertion below says what failed
            pass
        assert not sidebar.is_visible(), "the sidebar shows in presentation mode"
        if spec.key == "overview":  # the one screen fits a 1920×1080 projector without scrolling
            height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            assert height <= 1080, f"the presentation overview is {height} px tall"
        return
    if lang == "zh":
        assert CJK.search(title), f"zh title without a Chinese character: {title!r}"
    else:
        assert title.isascii(), f"en title is not ASCII: {title!r}"
    links = [link.inner_text() for link in page.locator('[data-testid="stSidebarNavLink"]').all()]
    titles = [catalog(lang)[f"page.{p.key}"] for p in PAGES]
    # Exactly the registered pages (a legacy pages/ listing would show "app" and file names).
    assert [link.splitlines()[-1].strip() for link in links] == titles, links
    if spec.key == "overview":
        assert page.locator('[data-testid="stDeckGlJsonChart"] canvas').count() >= 1, "no map canvas"
        charts = page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg')
        charts.nth(1).wait_for(state="attached", timeout=60_000)  # trend and top categories (a loaded machine: slow)
        assert charts.count() >= 2
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0, "plotly's 4.7 MB bundle on the first screen"
        assert page.locator('[data-testid="stMetric"]').count() >= 8, "fewer than 8 KPI tiles"


def test_root_is_the_first_page(visit, base_url):
    page, requests = visit(f"{base_url}/?lang=en")
    assert assert_clean(page, requests) == catalog("en")[f"page.{PAGES[0].key}"]


def test_hostile_deep_link_renders_empty_overview(visit, base_url):
    page, requests = visit(page_url(base_url, "overview", "zh", level="street", area=HOSTILE_AREA))
    assert_clean(page, requests)
    # The value was taken as an area id that matches nothing: an empty-result warning, not an error.
    assert page.locator(WARNING_BOX).count() >= 1, "no empty-result warning for an unknown area"


def test_clicking_a_polygon_selects_it(visit, base_url):
    """Grid map: a click on a polygon reruns the map panel and the side panel shows that area."""
    page, requests = visit(page_url(base_url, "grid-map", "en"))
    hint = page.get_by_text("Click an area on the map to see its figures.")
    assert hint.count() == 1
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    box = canvas.bounding_box()
    # the territory is centred in the view: the centre of the canvas lies on some grid polygon
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    link = page.get_by_text("Open the profile")
    for _ in range(3):  # deck.gl picks what is under the pointer once it has drawn: hover, then click
        page.mouse.move(x, y)
        page.wait_for_timeout(1500)
        page.mouse.click(x, y)
        try:
            link.wait_for(timeout=15_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try once more
            continue
    link.wait_for(timeout=5_000)
    assert hint.count() == 0
    side = page.locator('[data-testid="stMainBlockContainer"] h3').all_inner_texts()
    assert any("网格" in text or "Grid" in text for text in side), side
    assert page.locator('[data-testid="stMetric"]').count() >= 6
    assert external_requests(requests) == []
    assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)


def test_import_from_the_data_page_replaces_the_served_database(browser, e2e_db, tmp_path):
    """In a real browser: a path, the preview, Import; the app then serves the new data (own server, own copy)."""
    import shutil
    from pathlib import Path

    import duckdb

    from scripts.browser import start_app, stop_app

    db = tmp_path / "served.duckdb"
    shutil.copy(e2e_db, db)
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "nyc311_style.csv"
    config = tmp_path / "gridscope.toml"  # server paths are read only inside an import directory (issue 12)
    config.write_text(f'[import]\ndirectory = "{fixture.parent}"\n', encoding="utf-8")
    process, url = start_app(db, env={"GRIDSCOPE_CONFIG": str(config), "GRIDSCOPE_AUDIT": str(tmp_path / "a.jsonl")})
    try:
        requests: list[str] = []
        page = open_page(browser, page_url(url, "data", "en"), requests=requests)
        page.get_by_role("tab", name="Import data").click()
        page.locator("textarea").first.fill(str(fixture))
        page.keyboard.press("Control+Enter")
        page.get_by_text("The first rows as mapped").wait_for(timeout=30_000)
        page.get_by_role("button", name="Import").click()
        page.get_by_text("Import done").wait_for(timeout=60_000)
        assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)
        assert external_requests(requests) == []
        page.close()
    finally:
        stop_app(process)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'dataset'").fetchone()[0] == "nyc311"
        rows = (
            con.execute("SELECT count(*) FROM cases").fetchone()[0]
            + con.execute("SELECT count(*) FROM rejects").fetchone()[0]
        )
    assert rows == sum(1 for _ in open(fixture, encoding="utf-8-sig")) - 1


def test_a_bookmark_opened_first_after_a_start_shows_no_page_not_found_box(browser, e2e_db):
    """The first visit after a server start goes straight to a page's own URL (a leader's bookmark): the page,
    and no "Page not found" box over it (plain ``streamlit run app.py`` shows one; see ``ui/serve.py``)."""
    from scripts.browser import start_app, stop_app

    process, url = start_app(e2e_db)  # started as scripts/run.sh starts it
    try:
        spec = next(p for p in PAGES if p.key == "closed_loop")
        requests: list[str] = []
        page = open_page(browser, page_url(url, spec.url_path, "zh"), requests=requests)
        assert assert_clean(page, requests) == catalog("zh")["page.closed_loop"]
        body = page.locator("body").inner_text()
        assert "Page not found" not in body and "does not seem to exist" not in body, body[:300]
        page.close()
    finally:
        stop_app(process)


UPLOADER_TEXTS = """() => [...document.querySelectorAll(
    '[data-testid="stFileUploaderDropzone"] button p, [data-testid="stFileUploaderDropzoneInstructions"] span')]
    .map(e => [e.textContent, getComputedStyle(e).fontSize, getComputedStyle(e, '::after').content])"""


@pytest.mark.parametrize("lang", LANGS)
def test_the_file_uploader_speaks_the_page_language(visit, base_url, lang):
    """Streamlit writes "Upload" and "100MB per file" in English whatever the locale: the page shows the catalog's."""
    page, _ = visit(page_url(base_url, "data", lang))
    page.get_by_role("tab", name=catalog(lang)["data.tab_import"]).click()
    page.locator('[data-testid="stFileUploaderDropzone"]').first.wait_for(timeout=30_000)
    shown = page.evaluate(UPLOADER_TEXTS)
    assert len(shown) >= 2, shown  # the button and the size note of the case-file uploader
    want = {"zh": ("选择文件", "每个文件不超过 100 MB"), "en": ("Upload", "100 MB per file")}[lang]
    for own_text, size, replaced in shown:
        assert size == "0px", f"Streamlit's own text {own_text!r} is still shown"
        assert replaced.strip('"') in want, (own_text, replaced)
    assert {replaced.strip('"') for _, _, replaced in shown} == set(want)


REFUSED_TEXTS = """() => [...document.querySelectorAll(
    '[data-testid="stFileChip"] [role="alert"], [data-testid="stTooltipErrorContent"]')]
    .map(e => [e.textContent, getComputedStyle(e).fontSize, getComputedStyle(e, '::after').content])"""


def test_a_refused_file_is_explained_in_the_page_language(browser, e2e_db, tmp_path):
    """A file over ``server.maxUploadSize`` is refused in the browser: Streamlit's English reason ("File must be
    1.0MB or smaller.", under the file and in the tooltip on it) is replaced by the catalog's sentence."""
    from scripts.browser import start_app, stop_app

    big = tmp_path / "big.csv"
    big.write_bytes(b"case_id,description\n" + b"A-1,text\n" * 200_000)  # 1.8 MB, over the 1 MB limit below
    process, url = start_app(e2e_db, env={"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "1"})
    page = None
    try:
        page = open_page(browser, page_url(url, "data", "zh"), timeout=120_000)
        page.get_by_role("tab", name=catalog("zh")["data.tab_import"]).click()
        upload = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
        upload.wait_for(state="attached", timeout=30_000)
        upload.set_input_files(str(big))
        page.locator('[data-testid="stFileChip"] [role="alert"]').first.wait_for(state="attached", timeout=30_000)
        page.locator('[data-testid="stFileChip"]').first.hover()
        page.locator('[data-testid="stTooltipErrorContent"]').first.wait_for(timeout=30_000)
        shown = page.evaluate(REFUSED_TEXTS)
        assert len(shown) == 2, shown  # the reason under the chip and in its tooltip
        for own_text, size, replaced in shown:
            assert "smaller" in own_text, own_text  # Streamlit's own reason, hidden
            assert size == "0px", f"Streamlit's own text {own_text!r} is still shown"
            assert replaced.strip('"') == "未能上传：文件超过 1 MB、类型不符或连接中断", replaced
    finally:
        if page is not None:
            page.close()
        stop_app(process)


@pytest.mark.parametrize("spec_key", ["data", "insight"])
def test_every_lazily_drawn_tab_renders_when_clicked(visit, base_url, spec_key):
    """The data and insight pages draw a tab when it is clicked (issue 16): each tab, clicked in turn, shows its
    content without an error box or a missing string; the insight page's without an untranslated word (zh)."""
    spec = next(p for p in PAGES if p.key == spec_key)
    page, requests = visit(page_url(base_url, spec.url_path, "zh"))
    tabs = page.locator('[data-testid="stTab"]')
    labels = tabs.all_inner_texts()
    assert len(labels) >= 2, labels
    for index, label in enumerate(labels):
        tabs.nth(index).click()
        page.wait_for_function(  # the rerun done and the open tab's panel drawn (text, elements or expanders)
            "() => document.querySelector('[data-testid=\"stApp\"]').getAttribute('data-test-script-state')"
            " === 'notRunning' && [...document.querySelectorAll('[data-testid=\"stTabPanel\"]')]"
            ".some(p => p.offsetParent !== null && p.innerText.trim().length > 0)",
            timeout=60_000,
        )
        assert_clean(page, requests)
        if spec_key == "insight":  # the data page names tables, columns, SQL and the dataset as they are
            assert not untranslated_words(page), (label, untranslated_words(page))


def open_closed_expander(visit, base_url, page_key: str, title_key: str, inner: str):
    """Open the page ``page_key`` in zh, check that its expander titled ``title_key`` holds no ``inner`` element
    while closed (not drawn), click it open; return the page, its requests and the expander."""
    spec = next(p for p in PAGES if p.key == page_key)
    page, requests = visit(page_url(base_url, spec.url_path, "zh"))
    expander = page.locator('[data-testid="stExpander"]').filter(has_text=catalog("zh")[title_key])
    assert expander.count() == 1
    assert expander.locator(inner).count() == 0  # closed: not drawn
    expander.locator("summary").click()
    return page, requests, expander


def test_the_suspended_list_renders_when_its_expander_opens(visit, base_url):
    """The closed loop's suspended overdue list is drawn when its expander is opened (issue 16): no table is sent
    while closed, and opening it reruns the page and shows the table without an error box."""
    page, requests, expander = open_closed_expander(
        visit, base_url, "closed_loop", "edges.suspended_list", '[data-testid="stDataFrame"]'
    )
    expander.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]').getAttribute('data-test-script-state')"
        " === 'notRunning'",
        timeout=60_000,
    )
    assert_clean(page, requests)


def test_the_score_weights_render_when_their_expander_opens(visit, base_url):
    """The assessment's weight sliders are drawn when their expander is opened (issue 16): none is sent while it is
    closed; opening it reruns the page and shows one slider per grid score component without an error box."""
    page, requests, expander = open_closed_expander(
        visit, base_url, "assessment", "assess.weights_title", '[data-testid="stSlider"]'
    )
    expander.locator('[data-testid="stSlider"]').nth(len(ENTITIES["grid"][0]) - 1).wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]').getAttribute('data-test-script-state')"
        " === 'notRunning'",
        timeout=60_000,
    )
    assert expander.locator('[data-testid="stSlider"]').count() == len(ENTITIES["grid"][0])
    assert_clean(page, requests)


@pytest.mark.parametrize("url_path", ["profile", "grid-map"])
def test_a_page_opened_at_its_own_url_connects_to_the_server_at_once(visit, base_url, url_path):
    """Streamlit's browser code, opened at ``/profile``, would first ask ``/profile/_stcore/health`` (404) and
    only then ``/``; the served page names the base itself (``ui/serve.py``), so the first ask is the right one."""
    page, requests = visit(page_url(base_url, url_path, "en"))
    assert_clean(page, requests)
    asked = [r for r in requests if "/_stcore/health" in r or "/_stcore/host-config" in r]
    assert asked and all(r.startswith(f"{base_url}/_stcore/") for r in asked), asked


def test_under_a_base_path_every_page_url_and_the_root_work(browser, e2e_db):
    """Behind a proxy at ``/gs`` (Streamlit's ``server.baseUrlPath``) the hint keeps the base path."""
    from scripts.browser import start_app, stop_app

    process, url = start_app(e2e_db, base_path="gs")
    try:
        assert url.endswith("/gs")
        for target, title in ((page_url(url, "profile", "en"), "page.profile"), (f"{url}/?lang=en", "page.overview")):
            requests: list[str] = []
            page = open_page(browser, target, requests=requests)
            assert assert_clean(page, requests) == catalog("en")[title]
            asked = [r for r in requests if "/_stcore/health" in r]
            assert asked and all(r.startswith(f"{url}/_stcore/") for r in asked), asked
            page.close()
    finally:
        stop_app(process)
