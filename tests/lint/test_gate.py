"""One wording for every command that stops on lint errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopgen import lint
from shopgen.contract import load_contract
from shopgen.errors import LintFailed, UserError

BAD = """\
openapi: 3.1.0
info: {title: Shop, version: '1'}
paths:
  /api/v1/getThings:
    get:
      operationId: listThings
      responses:
        '200': {description: ok}
"""


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_the_first_error_is_located_and_the_rest_counted(contract: Path) -> None:
    loaded = load_contract(contract)
    errors = lint.lint_contract(loaded).errors
    assert len(errors) > 1
    with pytest.raises(LintFailed) as caught:
        lint.require_clean(loaded, stopped="nothing generated", skip="--skip-lint generates anyway")
    first = errors[0]
    assert str(caught.value) == (
        f"{contract}:{first.line}:{first.column}: lint error: {first.message} [{first.rule}] "
        f"(and {len(errors) - 1} more); nothing generated: `shopgen lint` lists them, "
        "--skip-lint generates anyway"
    )
    assert caught.value.exit_code == 1


def test_the_error_class_and_the_skip_hint_are_the_caller_s(contract: Path) -> None:
    with pytest.raises(UserError) as caught:
        lint.require_clean(load_contract(contract), stopped="nothing updated", error=UserError)
    assert type(caught.value) is UserError
    assert str(caught.value).endswith("; nothing updated: `shopgen lint` lists them")


def test_a_clean_contract_passes(tmp_path: Path) -> None:
    lint.require_clean(
        load_contract(Path(__file__).parents[2] / "specs" / "shop.openapi.yaml"),
        stopped="nothing generated",
    )
