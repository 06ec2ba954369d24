from __future__ import annotations

from pathlib import Path

import pytest

from shopgen.contract import load_contract
from shopgen.render._operations import inline_bodies, pascal_case
from shopgen.render._schemas import (
    black_format,
    generate_unformatted,
    group_imports,
    models_key,
    normalise_quotes,
    shipped_models_path,
)
from shopgen.resources import bundled_contract, specs_dir

BUNDLED = [bundled_contract(), *sorted((specs_dir() / "examples").glob("*.yaml"))]


@pytest.mark.parametrize("contract", BUNDLED, ids=lambda path: path.name)
def test_shipped_models_match_fresh_generation(contract: Path) -> None:
    """If this fails, run: python -m shopgen.render._refresh_models specs/shop.openapi.yaml
    specs/examples/*.yaml"""
    loaded = load_contract(contract)
    document = loaded.document
    bodies = {f"{pascal_case(k)}Body": v for k, v in inline_bodies(loaded).items()}
    shipped = shipped_models_path(models_key(document, bodies))
    assert shipped.is_file(), f"no shipped models for {contract.name}"
    fresh = black_format(generate_unformatted(document, bodies))
    assert shipped.read_text(encoding="utf-8") == fresh


def test_quotes_become_double_where_safe() -> None:
    source = "a = 'x'\nb = 'say \"hi\"'\nc = r'\\d'\nd = '''doc'''\n"
    assert normalise_quotes(source) == "a = \"x\"\nb = 'say \"hi\"'\nc = r\"\\d\"\nd = '''doc'''\n"


def test_imports_are_grouped_like_isort() -> None:
    source = (
        "from __future__ import annotations\n"
        "from pydantic import BaseModel\n"
        "from typing import Annotated\n"
        "class A(BaseModel):\n"
        "    x: Annotated[int, 1]\n"
    )
    assert group_imports(source) == (
        "from __future__ import annotations\n\n"
        "from typing import Annotated\n\n"
        "from pydantic import BaseModel\n\n\n"
        "class A(BaseModel):\n"
        "    x: Annotated[int, 1]"
    )
