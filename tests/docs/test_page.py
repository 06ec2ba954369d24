"""Hostile contracts: nothing taken from the contract may change the page's structure."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopgen import docs
from shopgen.docs._page import embed_json
from shopgen.errors import UserError

from .conftest import clean_linter

HOSTILE = (
    "</script><script>window.__pwned = 1</script>"
    "</SCRIPT ><!--<script>{{ 7 * 7 }}{% raw %}${x}"
    '<img src=x onerror="window.__pwned = 2">&amp;&lt;\u2028\u2029 \'single\' "double"'
)


class _Page(HTMLParser):
    """The page as a browser's tokenizer sees it: scripts, their text, and the title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.title = ""
        self.elements: list[str] = []
        self._in: str | None = None
        self._attrs: dict[str, str | None] = {}
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(tag)
        if tag in ("script", "title"):
            self._in, self._attrs, self._text = tag, dict(attrs), []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in == "script":
            self.scripts.append((self._attrs, "".join(self._text)))
        elif tag == self._in == "title":
            self.title = "".join(self._text)
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def embedded_spec(page: _Page) -> Any:
    (spec,) = [text for attrs, text in page.scripts if attrs.get("id") == "shopgen-spec"]
    return json.loads(spec)


def hostile_contract() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": HOSTILE, "version": "1.0.0", "description": HOSTILE},
        "paths": {
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "summary": HOSTILE,
                    "description": HOSTILE,
                    "responses": {
                        "200": {
                            "description": HOSTILE,
                            "content": {
                                "application/json": {
                                    "schema": {"type": "string", "example": HOSTILE},
                                    "examples": {"evil": {"value": {HOSTILE: [HOSTILE]}}},
                                }
                            },
                        }
                    },
                }
            }
        },
    }


def build(path: Path, output: Path, **options: Any) -> docs.BuildResult:
    return docs.build(path, output, docs.DocsOptions(linter=clean_linter, **options))


@pytest.mark.parametrize("inline", [False, True], ids=["cdn", "inline"])
def test_hostile_text_stays_data(
    tmp_path: Path, write_contract: Callable[..., Path], redoc_js: Path, inline: bool
) -> None:
    contract = write_contract(json.dumps(hostile_contract()), "openapi.json")
    output = tmp_path / "site" / "index.html"
    build(contract, output, redoc_js=redoc_js if inline else None)

    page = parse(output)
    assert page.title == HOSTILE
    kinds = [attrs.get("type") or attrs.get("src") or "inline" for attrs, _ in page.scripts]
    assert kinds == [
        "application/json",
        "application/json",
        "inline" if inline else docs.REDOC_CDN_URL,
        "inline",
    ]
    assert page.elements.count("script") == 4
    assert "img" not in page.elements
    assert embedded_spec(page) == hostile_contract()
    text = output.read_text(encoding="utf-8")
    assert "\u2028" not in text and "\u2029" not in text


def test_json_escapes_every_character_that_matters_in_html() -> None:
    text = embed_json({"k": "</script><!-- & \u2028\u2029 <b>"})
    assert not set("<>&") & set(text)
    assert "\\u2028" in text and "\\u2029" in text
    assert json.loads(text) == {"k": "</script><!-- & \u2028\u2029 <b>"}


def test_a_huge_description_builds_quickly(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    document = hostile_contract()
    document["info"]["description"] = ("A long line of </script> prose. " * 60_000) + "END"
    contract = write_contract(json.dumps(document), "openapi.json")
    started = time.perf_counter()
    build(contract, tmp_path / "index.html")
    assert time.perf_counter() - started < 10
    spec = embedded_spec(parse(tmp_path / "index.html"))
    assert spec["info"]["description"].endswith("END")


def test_a_document_containing_itself_is_refused_clearly() -> None:
    loop: dict[str, Any] = {"openapi": "3.1.0"}
    loop["x-loop"] = {"again": loop}
    with pytest.raises(UserError, match="contains itself"):
        embed_json(loop)


def test_a_recursive_yaml_alias_builds_safely_or_fails_clearly(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    contract = write_contract(
        """\
        openapi: 3.1.0
        info: {title: Loop, version: "1"}
        paths: {}
        x-loop: &loop
          again: *loop
        """
    )
    try:
        build(contract, tmp_path / "index.html")
    except UserError:
        assert not (tmp_path / "index.html").exists()
    else:
        spec = embedded_spec(parse(tmp_path / "index.html"))
        assert spec["info"]["title"] == "Loop"


def test_non_finite_numbers_fail_with_a_clear_error(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    contract = write_contract(
        """\
        openapi: 3.1.0
        info: {title: Numbers, version: "1"}
        paths: {}
        components:
          schemas:
            Ratio: {type: number, example: .inf}
        """
    )
    with pytest.raises(UserError, match="NaN or infinite"):
        build(contract, tmp_path / "index.html")


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        ({"url": "javascript:alert(1)"}, "scheme `javascript:`"),
        ({"url": "https://ok.example/logo.png", "href": "javascript:alert(1)"}, "`href`"),
        ({"url": "data:text/html,<script>alert(1)</script>"}, "not an image"),
        ({"url": "https://evil.example;script-src */x.png"}, "plain host name"),
    ],
)
def test_dangerous_logo_urls_are_refused(
    tmp_path: Path, write_contract: Callable[..., Path], logo: dict[str, str], message: str
) -> None:
    document = hostile_contract()
    document["info"]["x-logo"] = logo
    contract = write_contract(yaml.safe_dump(document))
    with pytest.raises(UserError, match=message) as caught:
        build(contract, tmp_path / "index.html")
    assert "info.x-logo" in str(caught.value)


def test_the_logo_origin_is_the_only_outside_image_source(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    document = hostile_contract()
    document["info"]["x-logo"] = {"url": "https://assets.shop.example/logo.svg"}
    contract = write_contract(yaml.safe_dump(document))
    build(contract, tmp_path / "index.html")
    text = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "img-src &#x27;self&#x27; data: blob: https://assets.shop.example;" in text
