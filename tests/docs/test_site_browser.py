"""A real headless Chromium on a versioned site: switch versions, search across them.

The site is `site_repo`'s three tagged versions and the working copy, built offline (ReDoc
inlined) and opened from file:// URLs with the network off, as in `test_browser`. Clicks and
keys go through Chromium's input events, so a switcher hidden behind ReDoc or a result list
that never shows would fail here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shopgen import docs

from .chromium import Browser
from .conftest import ARTIFACTS, clean_linter
from .site_repo import make_repository
from .test_browser import RENDERED

REMOVED = "Withdraw a product from sale"
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, redoc_js: Path) -> Path:
    contract = make_repository(tmp_path_factory.mktemp("repo"))
    options = docs.DocsOptions(linter=clean_linter, redoc_js=redoc_js)
    return docs.build_site(contract, tmp_path_factory.mktemp("out") / "site", options).output


def open_rendered(browser: Browser, url: str) -> None:
    browser.open(url)
    browser.wait_for(RENDERED)


def assert_quiet(browser: Browser) -> None:
    """Nothing but files was asked for, and nothing broke a policy or threw."""
    outside = [url for url in browser.requests() if not url.startswith(("file:", "data:", "blob:"))]
    assert outside == []
    assert [event for event in browser.events() if event != f"csp img-src {REDOCLY_LOGO}"] == []


def test_switching_from_latest_to_the_first_version_shows_its_removed_operation(
    browser: Browser, site: Path
) -> None:
    open_rendered(browser, (site / "index.html").as_uri())
    assert REMOVED not in browser.text("#redoc")
    assert_quiet(browser)

    browser.click(".shopgen-versions > summary")
    browser.wait_for("document.querySelector('.shopgen-versions').open")
    browser.screenshot(ARTIFACTS / "site-switcher.png")
    browser.click('.shopgen-versions a[data-version="v1.0.0"]')
    browser.wait_for("location.pathname.endsWith('/v1.0.0/index.html')")
    browser.wait_for(RENDERED)
    browser.wait_for(f"document.getElementById('redoc').textContent.includes({REMOVED!r})")
    assert "an older version of this API" in browser.text(".shopgen-banner")
    assert "Version v1.0.0" in browser.text(".shopgen-versions > summary")
    browser.screenshot(ARTIFACTS / "site-v1.0.0.png")
    assert_quiet(browser)


def test_the_search_finds_an_operation_of_another_version_and_opens_it(
    browser: Browser, site: Path
) -> None:
    open_rendered(browser, (site / "index.html").as_uri())
    browser.click("#shopgen-search")
    browser.type("deleteproduct")
    browser.wait_for("!document.getElementById('shopgen-results').hidden")
    first = browser.text("#shopgen-results li")
    assert "deleteProduct" in first and "DELETE /products/{product_id}" in first
    assert first.endswith("in v1.0.0")
    browser.screenshot(ARTIFACTS / "site-search.png")

    browser.press("Enter", 13)
    browser.wait_for("location.pathname.endsWith('/v1.0.0/index.html')")
    assert browser.evaluate("decodeURIComponent(location.hash)") == "#operation/deleteProduct"
    browser.wait_for(RENDERED)
    # ReDoc scrolls the operation to the top, below the sticky header.
    browser.wait_for(
        "(() => { const op = document.getElementById('operation/deleteProduct');"
        " const header = document.getElementById('shopgen-header').getBoundingClientRect();"
        " if (!op) { return false; } const top = op.getBoundingClientRect().top;"
        " return top >= header.bottom - 5 && top < header.bottom + 120; })()"
    )
    assert REMOVED in browser.text('[id="operation/deleteProduct"]')
    browser.screenshot(ARTIFACTS / "site-search-result.png")
    assert_quiet(browser)


def test_switching_keeps_the_reader_at_the_operation(browser: Browser, site: Path) -> None:
    open_rendered(browser, (site / "v1.1.0" / "index.html").as_uri() + "#operation/getOrder")
    browser.click(".shopgen-versions > summary")
    browser.click('.shopgen-versions a[data-version="latest"]')
    browser.wait_for("location.pathname.endsWith('/site/index.html')")
    # ReDoc may have rewritten the fragment to its longer form (`#tag/orders/operation/…`).
    assert browser.evaluate("location.hash").endswith("operation/getOrder")
    browser.wait_for(RENDERED)
    assert "refunded" in browser.text('[id="operation/getOrder"]')
    assert_quiet(browser)
