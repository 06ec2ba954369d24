"""A real headless Chromium renders the offline page: ReDoc ran, public parts show, internal don't.

One browser for the module, a page per contract; every page is loaded from a file:// URL with
the network emulated offline and DNS resolving nothing, and a screenshot is kept under
test-artifacts/docs/ for a person to look at.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopgen import docs, render

from .chromium import Browser
from .conftest import (
    ARTIFACTS,
    INTERNAL_SUMMARIES,
    PUBLIC_SUMMARIES,
    REPO,
    SHOP,
    clean_linter,
)
from .site_repo import git
from .test_page import HOSTILE, hostile_contract

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# ReDoc has rendered once the operations' content column exists and holds text.
RENDERED = (
    "document.querySelector('#redoc .api-content') && "
    "document.querySelector('#redoc .api-content').textContent.length > 50"
)


def summaries(document: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Summaries of the public and of the internal operations of a contract."""
    public, internal = [], []
    for item in document.get("paths", {}).values():
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and operation.get("summary"):
                hidden = (
                    item.get("x-internal-only") is True or operation.get("x-internal-only") is True
                )
                (internal if hidden else public).append(operation["summary"])
    return public, internal


def render_offline(browser: Browser, page: Path, name: str) -> str:
    """Load `page`, wait for ReDoc, save a screenshot; the rendered text of the container."""
    browser.open(page.as_uri())
    browser.wait_for(RENDERED)
    browser.screenshot(ARTIFACTS / f"{name}.png")
    outside = [url for url in browser.requests() if not url.startswith(("file:", "data:", "blob:"))]
    assert outside == [], "the offline page made a network request"
    # ReDoc's sidebar always asks for a Redocly logo; the page's image policy refuses it.
    redocly_logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert set(browser.blocked()) <= {redocly_logo}
    assert [event for event in browser.events() if event != f"csp img-src {redocly_logo}"] == []
    return browser.text("#redoc")


def assert_rendered(text: str, title: str, public: list[str], internal: list[str]) -> None:
    assert title in text
    assert public, "the contract has public operations"
    for summary in public:
        assert summary in text, f"public operation `{summary}` is not on the page"
    for summary in internal:
        assert summary not in text, f"internal operation `{summary}` leaked onto the page"


def test_inline_contract_renders_public_operations_only(
    browser: Browser, redoc_js: Path, tmp_path: Path
) -> None:
    contract = tmp_path / "openapi.yaml"
    contract.write_text(SHOP, encoding="utf-8")
    output = tmp_path / "site" / "index.html"
    docs.build(contract, output, docs.DocsOptions(linter=clean_linter, redoc_js=redoc_js))
    text = render_offline(browser, output, "corner-shop")
    assert_rendered(text, "Corner Shop API", list(PUBLIC_SUMMARIES), list(INTERNAL_SUMMARIES))
    assert "costCents" not in text


@pytest.mark.parametrize(
    "contract", ["specs/shop.openapi.yaml", "specs/examples/coupons.openapi.yaml"]
)
def test_bundled_contracts_render_with_the_real_lint(
    browser: Browser, redoc_js: Path, tmp_path: Path, contract: str
) -> None:
    path = REPO / contract
    output = tmp_path / "site" / "index.html"
    docs.build(path, output, docs.DocsOptions(redoc_js=redoc_js))
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = render_offline(browser, output, Path(contract).name.removesuffix(".openapi.yaml"))
    assert_rendered(text, document["info"]["title"], *summaries(document))


def test_the_generated_projects_page_renders(
    browser: Browser, redoc_js: Path, tmp_path: Path
) -> None:
    """Build the site the way the project's docs workflow does, in the generated project,
    committed and tagged as its first release."""
    project = render.new(
        REPO / "specs" / "examples" / "coupons.openapi.yaml",
        output_dir=tmp_path,
        no_input=True,
        overrides={},
        force=False,
        skip_lint=False,
        format_code=False,
    )
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Generate the shop", date="2025-01-10")
    git(project, "tag", "v0.1.0")
    workflow = yaml.safe_load((project / ".github/workflows/docs.yml").read_text(encoding="utf-8"))
    (line,) = [
        line.strip()
        for step in workflow["jobs"]["build"]["steps"]
        for line in step.get("run", "").splitlines()
        if line.strip().startswith("shopgen docs ")
    ]
    command = shlex.split(line)[1:] + ["--redoc-js", str(redoc_js)]
    shopgen = str(Path(sys.executable).with_name("shopgen"))
    subprocess.run([shopgen, *command], cwd=project, check=True, capture_output=True)
    document = yaml.safe_load((project / "contract/openapi.yaml").read_text(encoding="utf-8"))
    text = render_offline(browser, project / "site" / "index.html", "generated-project")
    assert "Version latest" in browser.text("#shopgen-header")
    public, internal = summaries(document)
    assert internal, "the coupons example has an internal operation"
    released = (project / "site" / "v0.1.0" / "index.html").read_text(encoding="utf-8")
    assert public[0] in released and internal[0] not in released
    assert_rendered(text, document["info"]["title"], public, internal)


def test_hostile_text_renders_as_text_and_runs_nothing(
    browser: Browser, redoc_js: Path, tmp_path: Path
) -> None:
    document = hostile_contract()
    document["info"]["description"] += (
        '\n\n<img src="x" onerror="window.__pwned = 3">'
        '<a href="javascript:window.__pwned = 4" id="evil">click</a>'
        "<script>window.__pwned = 5</script>"
    )
    contract = tmp_path / "openapi.json"
    contract.write_text(json.dumps(document), encoding="utf-8")
    output = tmp_path / "index.html"
    docs.build(contract, output, docs.DocsOptions(linter=clean_linter, redoc_js=redoc_js))
    browser.open(output.as_uri())
    browser.wait_for(RENDERED)
    browser.screenshot(ARTIFACTS / "hostile.png")
    browser.evaluate("var a = document.getElementById('evil'); if (a) { a.click(); }")
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.title") == HOSTILE
    heading = browser.evaluate("document.querySelector('#redoc h1').textContent")
    assert HOSTILE.replace("\u2028", "").replace("\u2029", "")[:40] in heading.replace(
        "\u2028", ""
    ).replace("\u2029", "")


def test_a_cdn_page_offline_says_why_it_is_empty(browser: Browser, tmp_path: Path) -> None:
    contract = tmp_path / "openapi.yaml"
    contract.write_text(SHOP, encoding="utf-8")
    output = tmp_path / "index.html"
    docs.build(contract, output, docs.DocsOptions(linter=clean_linter))
    browser.open(output.as_uri())
    browser.wait_for("document.getElementById('redoc').textContent.includes('did not load')")
    assert "--redoc-js" in browser.text("#redoc")
