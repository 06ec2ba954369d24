"""Every catalogue entry is a complete module folder, and every folder has an entry."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shopgen import modules
from shopgen.modules import MARKER, module_dir
from shopgen.resources import template_dir

TEMPLATE = template_dir()
NAMES = modules.names()
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _project(name: str) -> Path:
    (root,) = module_dir(TEMPLATE, name).glob("{{*}}")
    return root


def test_every_folder_has_an_entry_and_every_entry_a_folder() -> None:
    folders = {path.name for path in (TEMPLATE / "modules").iterdir() if path.is_dir()}
    assert folders == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_module_folder_holds_what_a_module_needs(name: str) -> None:
    folder = module_dir(TEMPLATE, name)
    for part in ("contract.yaml", "env.example", "README.md"):
        assert (folder / part).is_file(), part
    project = _project(name)
    assert (project / "app" / name / "module.py").is_file()
    assert (project / "app" / name / "handlers.py").is_file()
    assert (project / "tests" / name / "__init__.py").is_file()
    # A module with tables brings their migrations; one without (monitoring) brings none.
    has_tables = (project / "app" / name / "models.py").is_file()
    has_migrations = bool(list((project / "alembic" / "versions").glob(f"{name}_*.py")))
    assert has_migrations == has_tables
    spec = modules.spec(name)
    assert spec.summary and "\n" not in spec.summary and len(spec.summary) <= 120
    env = (folder / "env.example").read_text(encoding="utf-8")
    for setting in spec.secrets:
        assert f"\n{setting}=\n" in env, f"{setting} is documented in env.example"


@pytest.mark.parametrize("name", NAMES)
def test_migrations_are_a_branch_labelled_with_the_module(name: str) -> None:
    if not (_project(name) / "app" / name / "models.py").is_file():
        assert not (_project(name) / "alembic").exists()
        return
    revisions = sorted((_project(name) / "alembic" / "versions").glob("*.py"))
    assert revisions and all(path.name.startswith(f"{name}_") for path in revisions)
    roots = []
    for path in revisions:
        values = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                assert node.value is not None
                values[node.target.id] = ast.literal_eval(node.value)
        assert values["revision"].startswith(f"{name}_")
        if values["down_revision"] is None:
            roots.append(values)
    # One root per module, off the shop's line: `<name>@base` removes the module alone.
    (root,) = roots
    assert root["branch_labels"] == (name,)


@pytest.mark.parametrize("name", NAMES)
def test_every_operation_and_component_of_a_fragment_is_marked(name: str) -> None:
    fragment = yaml.safe_load((module_dir(TEMPLATE, name) / "contract.yaml").read_text())
    operations = [
        op
        for item in fragment["paths"].values()
        for method, op in item.items()
        if method in METHODS
    ]
    assert operations and all(op[MARKER] == name for op in operations)
    components = [node for kind in fragment["components"].values() for node in kind.values()]
    assert components and all(node[MARKER] == name for node in components)
    assert all(tag[MARKER] == name for tag in fragment.get("tags", ()))
    handlers = (_project(name) / "app" / name / "handlers.py").read_text(encoding="utf-8")
    for op in operations:
        assert f'"{op["operationId"]}":' in handlers, f"{op['operationId']} has a handler"


def test_module_names_parse_in_catalogue_order() -> None:
    assert modules.parse_modules("erp, douyin") == ("douyin", "erp")
    assert modules.parse_modules("") == ()
    assert modules.parse_modules(["ERP"]) == ("erp",)


def test_the_readme_and_the_help_of_new_list_every_module() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "shopgen", "new", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    for entry in modules.CATALOGUE:
        assert f"| `{entry.name}` | {entry.summary} |" in readme
    for line in modules.catalogue_lines():
        assert f"  {line}" in result.stdout
