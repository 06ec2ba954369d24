from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shopgen import docs
from shopgen.docs._theme import DEFAULT_OPTIONS, load_theme
from shopgen.errors import UserError

from .conftest import SHOP, clean_linter
from .test_page import parse


def page_options(path: Path) -> Any:
    (text,) = [t for attrs, t in parse(path).scripts if attrs.get("id") == "shopgen-redoc-options"]
    return json.loads(text)


def test_shop_defaults_apply_without_a_theme_file(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    docs.build(write_contract(SHOP), tmp_path / "i.html", docs.DocsOptions(linter=clean_linter))
    options = page_options(tmp_path / "i.html")
    assert options["untrustedSpec"] is True
    assert options["expandResponses"] == "200,201"
    assert options["theme"]["colors"]["primary"]["main"] == "#0f766e"
    assert "googleapis" not in json.dumps(options)


def test_a_theme_file_sets_options_colours_and_logo(
    tmp_path: Path, write_contract: Callable[..., Path]
) -> None:
    theme = tmp_path / "theme.yaml"
    theme.write_text(
        """\
logo:
  url: https://assets.shop.example/logo.svg
  altText: Corner Shop
options:
  hideDownloadButton: true
  expandResponses: all
theme:
  colors:
    primary:
      main: "#b91c1c"
""",
        encoding="utf-8",
    )
    output = tmp_path / "i.html"
    docs.build(write_contract(SHOP), output, docs.DocsOptions(linter=clean_linter, theme=theme))
    options = page_options(output)
    assert options["hideDownloadButton"] is True
    assert options["expandResponses"] == "all"
    assert options["theme"]["colors"]["primary"]["main"] == "#b91c1c"
    assert options["theme"]["typography"]["fontFamily"].startswith("system-ui")  # kept default
    from .test_page import embedded_spec

    logo = embedded_spec(parse(output))["info"]["x-logo"]
    assert logo == {"url": "https://assets.shop.example/logo.svg", "altText": "Corner Shop"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colours: {}\n", "unknown key `colours`; a theme file has logo, options, theme"),
        ("options:\n  hideEverything: true\n", "`options.hideEverything` is not a ReDoc option"),
        ("options:\n  theme: {}\n", "put `theme` at the top level"),
        ("theme: [1]\n", "`theme` must be a mapping"),
        ("options:\n  scrollYOffset: 2024-01-01\n", "`options.scrollYOffset` is a date"),
        ("logo:\n  url: javascript:alert(1)\n", "scheme `javascript:`"),
        ("logo:\n  src: x.png\n", "unknown key `logo.src`"),
        ("options: {\n", "invalid YAML"),
        ("- a\n", "must be a mapping"),
    ],
)
def test_theme_mistakes_are_user_errors(tmp_path: Path, text: str, message: str) -> None:
    theme = tmp_path / "theme.yaml"
    theme.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace("[", r"\[")) as caught:
        load_theme(theme)
    assert str(theme) in str(caught.value)


def test_defaults_are_not_shared_between_builds(tmp_path: Path) -> None:
    theme = tmp_path / "theme.yaml"
    theme.write_text("theme:\n  colors:\n    primary:\n      main: red\n", encoding="utf-8")
    load_theme(theme)
    assert load_theme(None).options["theme"]["colors"]["primary"]["main"] == "#0f766e"
    assert load_theme(None).options["untrustedSpec"] is DEFAULT_OPTIONS["untrustedSpec"]
