"""The compliance pages in Debian's Chromium over the demo data: the dashboard's figures are the
API's, a filter narrows a table and its CSV, charts draw from the JSON API, suggestions appear
as one types, a phone-sized viewport works, and axe-core (served by the registry) finds no
accessibility violation on any page, new or old."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.browser.conftest import PHONE
from tests.browser.demo_registry import DemoServer, built_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

JABAR = "Jawa Barat"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, chromium: Path) -> Iterator[DemoServer]:
    server = DemoServer.start(
        tmp_path_factory.mktemp("dashboard-browser"), built_demo(tmp_path_factory)
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(demo: DemoServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.url, timeout=60) as client:
        yield client


def open_page(browser: Browser, url: str, viewport: dict[str, int] = DESKTOP) -> Page:
    context = browser.new_context(viewport=viewport, locale="id-ID")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector("body[data-charts-ready]")
    assert not errors, f"JavaScript errors on the page: {errors}"
    return page


def national(api: httpx.Client, **params: str) -> dict[str, Any]:
    response = api.get("/api/compliance/national", params=params)
    response.raise_for_status()
    return {k: v for k, v in response.json().items() if isinstance(v, dict)}


def test_the_dashboard_shows_the_compliance_api_national_figures(
    browser: Browser, demo: DemoServer, api: httpx.Client
) -> None:
    page = open_page(browser, f"{demo.url}/dashboard?lang=en")
    shown = page.eval_on_selector_all(
        "#national li",
        "items => Object.fromEntries(items.map(li => "
        "[li.dataset.name, li.querySelector('.fig-value').textContent.trim()]))",
    )
    expected = national(api)
    assert set(shown) == set(expected)
    for name, figure in expected.items():
        value = figure["value"]
        if isinstance(value, float):
            text = f"{value * 100:.1f} %" if name.endswith("rate") else f"{value:g}"
        else:
            text = f"{value:,}"
        assert shown[name] == text, name
    elections = api.get("/api/compliance/elections").json()["items"]
    total = sum(row["recommendations"]["value"] for row in elections)
    assert shown["recommendations"] == f"{total:,}"  # every election's, seed 2020's among them
    root = api.get("/checkpoint").text.split("\n")[2]
    assert root in page.text_content("#as-of")
    page.context.close()


def test_charts_are_drawn_from_the_json_api(browser: Browser, demo: DemoServer) -> None:
    page = open_page(browser, f"{demo.url}/dashboard")
    for chart in ("chart-months", "chart-provinces"):
        drawn = page.evaluate(f"() => !!Chart.getChart(document.getElementById('{chart}'))")
        assert drawn, chart
    labels = page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-months')).data.labels"
    )
    assert "2020-12" in labels
    page.context.close()


def test_a_province_filter_narrows_the_table_and_its_csv(
    browser: Browser, demo: DemoServer, api: httpx.Client
) -> None:
    page = open_page(browser, f"{demo.url}/dashboard")
    before = page.locator("#table-provinces tbody tr").count()
    page.select_option("#f-province", JABAR)
    page.click("#filters button[type=submit]")
    page.wait_for_selector("body[data-charts-ready]")
    assert "province=Jawa+Barat" in page.url
    rows = page.locator("#table-provinces tbody tr")
    assert before > 30
    assert rows.count() == 1
    assert rows.first.locator("th").text_content().strip() == JABAR
    expected = national(api)  # unfiltered, to show the filter changed the figures
    narrowed = page.text_content("#national li[data-name=recommendations] .fig-value").strip()
    assert narrowed != f"{expected['recommendations']['value']:,}".replace(",", ".")
    href = page.get_attribute("#section-provinces a.csv", "href")
    assert href is not None
    body = page.request.get(demo.url + href).body()
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(body[3:].decode()), delimiter=";"))
    assert [r["province"] for r in table] == [JABAR]
    page.context.close()


def test_an_invalid_filter_shows_why(browser: Browser, demo: DemoServer) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="id-ID")
    page = context.new_page()
    response = page.goto(f"{demo.url}/dashboard?since=2021-01-01&until=2020-01-01")
    assert response is not None
    assert response.status == 400
    assert "sebelum dimulai" in page.text_content("#filter-error")
    assert page.locator("table.data").count() == 0
    context.close()


def test_suggestions_appear_as_one_types(browser: Browser, demo: DemoServer) -> None:
    page = open_page(browser, f"{demo.url}/")
    page.fill("#b-instansi", "jawa bar")
    page.wait_for_selector("#suggestions li a")
    labels = page.locator("#suggestions li a").all_text_contents()
    assert "Pemerintah Provinsi Jawa Barat" in labels
    page.click("#suggestions li a >> text=Pemerintah Provinsi Jawa Barat")
    page.wait_for_selector("#profile-name")
    assert page.text_content("#profile-name") == "Pemerintah Provinsi Jawa Barat"
    page.context.close()


def test_pages_work_on_a_phone(browser: Browser, demo: DemoServer, api: httpx.Client) -> None:
    signer = api.get("/api/compliance/pact-signers-with-overdue").json()["items"][0]["kid"]
    paths = ("/dashboard", f"/signers/{signer}", "/instansi/pemerintah-provinsi-jawa-barat", "/")
    for path in paths:
        page = open_page(browser, demo.url + path, PHONE)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways ({width}px)"
        assert page.locator("header.site nav.site-nav a").first.is_visible()
        page.context.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(url="/static/vendor/axe.min.js")
    result: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target)}))"
    )
    return result


def test_axe_finds_no_violation_on_any_page(
    browser: Browser, demo: DemoServer, api: httpx.Client
) -> None:
    signer = api.get("/api/compliance/pact-signers-with-overdue").json()["items"][0]["kid"]
    paths = [
        "/",
        "/?name=ab&type=pact",
        "/dashboard",
        f"/dashboard?province={JABAR}&lang=en",
        "/dashboard?province=Atlantis",
        "/dashboard/national/entries?figure=overdue",
        f"/signers/{signer}",
        "/instansi/pemerintah-provinsi-jawa-barat",
        "/verify",
        "/v/5",
        "/v/999999",
    ]
    found = {}
    for path in paths:
        for viewport in (DESKTOP, PHONE):
            context = browser.new_context(viewport=viewport, locale="id-ID")
            page = context.new_page()
            page.goto(demo.url + path)
            page.wait_for_load_state("load")
            if page.locator("script[src='/static/dashboard.js']").count():
                page.wait_for_selector("body[data-charts-ready]")
            violations = axe_violations(page)
            if violations:
                found[f"{path} {viewport['width']}px"] = violations
            context.close()
    assert not found, found


def test_axe_reports_a_violation_when_there_is_one(browser: Browser, demo: DemoServer) -> None:
    """The checker above is live: an image without a text alternative is caught."""
    page = open_page(browser, f"{demo.url}/dashboard")
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    assert "image-alt" in {v["id"] for v in axe_violations(page)}
    page.context.close()
