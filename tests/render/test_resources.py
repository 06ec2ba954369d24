"""`RESOURCES` against the SQLAlchemy models of a baked project: the same tables, both ways.

The models are read from SQLAlchemy's registry in the baked project's own interpreter, so a
table a later change adds to the template fails here until it has its entry (and an entry
whose model went away fails too).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from shopgen import modules, render
from shopgen.render._resources import RESOURCES, contract_resources

# Imports every models module and the app, then describes each mapped class.
_DESCRIBE = """
import importlib, json, pathlib
for path in sorted(pathlib.Path("app").glob("**/models.py")):
    importlib.import_module(".".join(path.with_suffix("").parts))
importlib.import_module("app.main")
from app.core.db import Base
found = {}
for mapper in Base.registry.mappers:
    cls = mapper.class_
    found[mapper.local_table.name] = {
        "model": cls.__name__,
        "module": cls.__module__,
        "attributes": sorted(mapper.attrs.keys()),
        "bases": [f"{b.__module__}.{b.__name__}" for b in cls.__mro__[1:]],
    }
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every mapped table of the canonical project with every optional package and module."""
    project = render.new(
        None,
        output_dir=tmp_path_factory.mktemp("models"),
        no_input=True,
        overrides={"shopify_sync": "true", "modules": ",".join(modules.names())},
        force=False,
        skip_lint=False,
    )
    result = subprocess.run(
        [sys.executable, "-c", _DESCRIBE],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return found


def test_every_model_has_an_entry_and_every_entry_a_model(
    models: dict[str, dict[str, Any]],
) -> None:
    tables = [r.table for r in RESOURCES]
    assert len(tables) == len(set(tables))
    assert set(models) - set(tables) == set(), "models without an entry in RESOURCES"
    assert set(tables) - set(models) == set(), "entries in RESOURCES without a model"


@pytest.mark.parametrize("entry", RESOURCES, ids=lambda r: r.table)
def test_entry_names_its_model_and_package(
    models: dict[str, dict[str, Any]], entry: render.TableResource
) -> None:
    model = models[entry.table]
    assert model["model"] == entry.model
    assert model["module"] == f"app.{entry.domain}.models"


@pytest.mark.parametrize("entry", contract_resources(), ids=lambda r: r.table)
def test_a_described_table_inherits_its_mixin_and_knows_its_attributes(
    models: dict[str, dict[str, Any]], entry: render.TableResource
) -> None:
    model = models[entry.table]
    module = entry.mixin_path.removesuffix(".py").replace("/", ".")
    assert f"{module}.{entry.mixin}" in model["bases"]
    assert entry.contract is not None
    # The canonical contract adds no field, so every attribute is the template's own: a
    # property of that name in a contract must never become a second column.
    assert set(model["attributes"]) <= entry.contract.known


def test_mixin_modules_are_distinct() -> None:
    paths = [r.mixin_path for r in contract_resources()]
    assert len(paths) == len(set(paths))
    assert set(paths) <= set(render.GENERATED_FILES)
