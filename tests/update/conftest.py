"""One baked project per test module, copied for each test: baking is the slow part.

The project is the catalogue example (custom category operations in `app/custom/`),
committed in a git repository of its own, as a user keeps it.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopgen import render
from shopgen.resources import specs_dir

CONTRACT = specs_dir() / "examples" / "catalogue.openapi.yaml"
ITEM = "/api/v1/categories/{category_id}"


def git(project: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=Shop Dev", "-c", "user.email=dev@example.com", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def commit(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", message)


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = render.new(
        CONTRACT,
        output_dir=tmp_path_factory.mktemp("baked"),
        no_input=True,
        overrides={},
        force=False,
        skip_lint=False,
    )
    git(project, "init", "-q")
    commit(project, "Generate the project")
    return project


@pytest.fixture
def project(baked: Path, tmp_path: Path) -> Path:
    target = tmp_path / baked.name
    shutil.copytree(baked, target, symlinks=True)
    return target


def snapshot(root: Path) -> dict[str, str]:
    """Every file under `root` (git's own included) and its sha256."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def read_contract(project: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(
        (project / "contract/openapi.yaml").read_text(encoding="utf-8")
    )
    return document


def write_contract(path: Path, document: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")


def change_contract(document: dict[str, Any]) -> dict[str, Any]:
    """Add `Product.origin` and `getCategoryStats`, remove `deleteCategory`."""
    changed = copy.deepcopy(document)
    changed["components"]["schemas"]["Product"]["properties"]["origin"] = {
        "type": ["string", "null"],
        "maxLength": 60,
        "description": "Where the product comes from.",
    }
    item = changed["paths"][ITEM]
    del item["delete"]
    stats = copy.deepcopy(item["get"])
    stats["operationId"] = "getCategoryStats"
    stats["summary"] = "Get the statistics of a category"
    changed["paths"][f"{ITEM}/stats"] = {"parameters": item["parameters"], "get": stats}
    return changed


def shopgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopgen", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
