"""The ReDoc page of a contract with both modules shows the modules' operations."""

from __future__ import annotations

from pathlib import Path

import yaml

from shopgen import docs, modules
from shopgen.resources import bundled_contract, template_dir

from .chromium import Browser
from .test_browser import render_offline, summaries


def test_module_operations_show_on_the_page(
    browser: Browser, redoc_js: Path, tmp_path: Path
) -> None:
    fragments = {
        name: modules.load_fragment(
            name, modules.module_dir(template_dir(), name) / "contract.yaml"
        )
        for name in modules.names()
    }
    text = modules.compose_contract(
        bundled_contract().read_text(encoding="utf-8"),
        selected=modules.names(),
        known=modules.names(),
        fragments=fragments,
        source="shop.openapi.yaml",
    )
    contract = tmp_path / "shop.openapi.yaml"
    contract.write_text(text, encoding="utf-8")
    output = tmp_path / "site" / "index.html"
    docs.build(contract, output, docs.DocsOptions(redoc_js=redoc_js))
    page = render_offline(browser, output, "modules")
    document = yaml.safe_load(text)
    operations = [
        op
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("x-shopgen-module")
    ]
    # Every module brings operations of its own, and each one is on the page.
    assert {op["x-shopgen-module"] for op in operations} == set(modules.names())
    marked = [op["summary"] for op in operations]
    public, _ = summaries(document)
    for summary in marked:
        assert summary in public and summary in page, summary
