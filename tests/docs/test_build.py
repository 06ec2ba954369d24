from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from shopgen import docs
from shopgen.errors import LintFailed, UserError
from shopgen.resources import bundled_contract

from .conftest import (
    INTERNAL_SUMMARIES,
    PUBLIC_SUMMARIES,
    SHOP,
    FakeFinding,
    FakeReport,
    clean_linter,
)
from .test_page import embedded_spec, parse


def options(**values: object) -> docs.DocsOptions:
    return docs.DocsOptions(linter=clean_linter, **values)  # type: ignore[arg-type]


def test_the_page_embeds_only_the_public_contract(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    output = tmp_path / "site" / "index.html"
    result = docs.build(write_contract(SHOP), output, options())
    assert result.output == output
    text = output.read_text(encoding="utf-8")
    for summary in PUBLIC_SUMMARIES:
        assert summary in text
    for summary in INTERNAL_SUMMARIES + ("CouponBatch", "costCents", "staffToken"):
        assert summary not in text
    assert "left out 1 internal operation: POST /coupons" in result.messages
    assert result.removal.paths == ("/admin/reindex",)


def test_include_internal_keeps_everything_and_says_so(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    output = tmp_path / "index.html"
    result = docs.build(write_contract(SHOP), output, options(include_internal=True))
    text = output.read_text(encoding="utf-8")
    for summary in PUBLIC_SUMMARIES + INTERNAL_SUMMARIES:
        assert summary in text
    assert not result.removal
    assert result.messages == ("kept 3 parts marked x-internal-only (--include-internal)",)


def test_by_default_redoc_comes_from_the_pinned_cdn_with_its_integrity_hash(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    docs.build(write_contract(SHOP), tmp_path / "index.html", options())
    (redoc,) = [attrs for attrs, _ in parse(tmp_path / "index.html").scripts if attrs.get("src")]
    assert redoc == {
        "src": f"https://cdn.jsdelivr.net/npm/redoc@{docs.REDOC_VERSION}/bundles/redoc.standalone.js",
        "integrity": docs.REDOC_SRI,
        "crossorigin": "anonymous",
    }


def test_the_integrity_hash_is_that_of_the_npm_bundle(redoc_js: Path) -> None:
    package = json.loads((redoc_js.parents[1] / "package.json").read_text(encoding="utf-8"))
    assert package["version"] == docs.REDOC_VERSION
    digest = hashlib.sha384(redoc_js.read_bytes()).digest()
    assert docs.REDOC_SRI == "sha384-" + base64.b64encode(digest).decode()


def test_redoc_js_is_inlined_and_the_page_makes_no_request(
    tmp_path: Path, write_contract: Callable[..., Path], redoc_js: Path
) -> None:
    output = tmp_path / "index.html"
    docs.build(write_contract(SHOP), output, options(redoc_js=redoc_js))
    page = parse(output)
    assert all("src" not in attrs for attrs, _ in page.scripts)
    assert output.stat().st_size > redoc_js.stat().st_size
    assert "https://cdn.jsdelivr.net" not in output.read_text(encoding="utf-8")


def test_a_file_that_is_not_redoc_is_refused(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    fake = tmp_path / "redoc.standalone.js"
    fake.write_text("alert(1)", encoding="utf-8")
    with pytest.raises(UserError, match="does not look like redoc.standalone.js"):
        docs.build(write_contract(SHOP), tmp_path / "index.html", options(redoc_js=fake))
    with pytest.raises(UserError, match="no such file; --redoc-js"):
        docs.build(write_contract(SHOP), tmp_path / "index.html", options(redoc_js=tmp_path / "x"))


def test_lint_errors_stop_the_build_with_exit_code_1(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    contract = write_contract(SHOP)

    def failing(_: object) -> FakeReport:
        return FakeReport(
            [
                FakeFinding(
                    "path-kebab-case", "segment `giftCards` is not kebab-case", str(contract), 12, 3
                ),
                FakeFinding("money-integer-cents", "`price` is a float", str(contract), 40, 9),
            ]
        )

    output = tmp_path / "index.html"
    with pytest.raises(LintFailed) as caught:
        docs.build(contract, output, docs.DocsOptions(linter=failing))
    assert caught.value.exit_code == 1
    assert str(caught.value).startswith(
        f"{contract}:12:3: lint error: segment `giftCards` is not kebab-case [path-kebab-case] "
        "(and 1 more); page not built: `shopgen lint` lists them"
    )
    assert "--skip-lint" in str(caught.value)
    assert not output.exists()

    docs.build(contract, output, docs.DocsOptions(linter=failing, skip_lint=True))
    assert output.exists()


def test_the_real_lint_passes_the_bundled_contract(tmp_path: Path) -> None:
    result = docs.build(None, tmp_path / "index.html", docs.DocsOptions())
    spec = embedded_spec(parse(result.output))
    assert spec["info"]["title"] == parse(result.output).title
    assert bundled_contract().is_file()


@pytest.mark.parametrize(
    "breakage",
    ["contract", "lint", "theme", "redoc_js"],
)
def test_a_failed_build_leaves_the_previous_page_untouched(
    tmp_path: Path, write_contract: Callable[..., Path], breakage: str
) -> None:
    output = tmp_path / "site" / "index.html"
    contract = write_contract(SHOP)
    docs.build(contract, output, options())
    before = output.read_bytes()

    def failing(_: object) -> FakeReport:
        return FakeReport([FakeFinding("r", "broken")])

    bad_theme = tmp_path / "theme.yaml"
    bad_theme.write_text("colours: {}\n", encoding="utf-8")
    broken = {
        "contract": (write_contract("openapi: [unclosed\n", "broken.yaml"), options()),
        "lint": (contract, docs.DocsOptions(linter=failing)),
        "theme": (contract, options(theme=bad_theme)),
        "redoc_js": (contract, options(redoc_js=tmp_path / "missing.js")),
    }[breakage]
    with pytest.raises(UserError):
        docs.build(broken[0], output, broken[1])
    assert output.read_bytes() == before
    assert sorted(p.name for p in output.parent.iterdir()) == ["index.html"]


def test_the_output_must_not_be_a_directory(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    with pytest.raises(UserError, match="is a directory"):
        docs.build(write_contract(SHOP), tmp_path, options())


def test_title_option_sets_the_page_title(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    docs.build(write_contract(SHOP), tmp_path / "i.html", options(title="Shop & <Co>"))
    assert parse(tmp_path / "i.html").title == "Shop & <Co>"
    docs.build(write_contract(SHOP), tmp_path / "j.html", options())
    assert parse(tmp_path / "j.html").title == "Corner Shop API"


def test_a_reference_to_another_file_is_bundled_or_refused(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    write_contract("Money:\n  type: integer\n", "money.yaml")
    contract = write_contract(
        SHOP.replace(
            "costCents:\n          type: integer", 'costCents:\n          $ref: "money.yaml#/Money"'
        )
    )
    try:
        docs.build(contract, tmp_path / "index.html", options(include_internal=True))
    except UserError as error:
        assert "`$ref: money.yaml#/Money` points outside the document" in str(error)
    else:
        text = (tmp_path / "index.html").read_text(encoding="utf-8")
        assert "money.yaml" not in text
