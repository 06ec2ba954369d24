"""Adding a module to a project, and removing it again only when the user confirms."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shopgen import render
from shopgen.errors import UserError

from .conftest import commit, git, snapshot


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = render.new(
        None,
        output_dir=tmp_path_factory.mktemp("plain"),
        no_input=True,
        overrides={},
        force=False,
        skip_lint=False,
        format_code=False,
    )
    git(project, "init", "-q")
    commit(project, "Generate the project")
    return project


@pytest.fixture
def project(plain: Path, tmp_path: Path) -> Path:
    target = tmp_path / plain.name
    shutil.copytree(plain, target, symlinks=True)
    return target


def _update(project: Path, modules: str, **flags: bool) -> render.UpdatePlan:
    return render.update(
        project, contract=None, dry_run=False, overrides={"modules": modules}, force=False, **flags
    )


def test_adding_a_module_keeps_edits_and_removing_it_gives_the_project_back(
    project: Path,
) -> None:
    contract = project / "contract/openapi.yaml"
    contract.write_text(
        contract.read_text().replace("summary: List products", "summary: List our products")
    )
    service = project / "app/products/service.py"
    service.write_text(service.read_text() + "\n\n# A note of ours.\n")
    commit(project, "Our edits")
    before = snapshot(project)

    added = _update(project, "erp")
    assert added.added_modules == ("erp",) and added.exit_code == 0
    assert "app/erp/outbox.py" in added.created and "app/modules.py" in added.updated
    assert "receiveErpUpdates" in added.added_operations
    assert "summary: List our products" in contract.read_text()
    assert service.read_text().endswith("# A note of ours.\n")
    assert "erp" in (project / "app/modules.py").read_text()
    commit(project, "Add the erp module")

    with pytest.raises(UserError, match="first run `alembic downgrade erp@base`"):
        _update(project, "")
    removed = _update(project, "", remove_modules=True)
    assert removed.removed_modules == ("erp",)
    assert "app/erp/outbox.py" in removed.deleted
    assert not (project / "app/erp").exists() and not (project / "tests/erp").exists()
    after = snapshot(project)
    changed = {name for name in after if before.get(name) != after[name]}
    changed |= {name for name in before if name not in after}
    # Only what shopgen makes from the contract moved on: its record knows the edited contract
    # as its base, and the client, regenerated with the contract, carries the edited summary.
    assert {name for name in changed if not name.startswith(".git/")} == {
        ".shopgen.yaml",
        ".shopgen/base.tar",
        "client/client.d.ts",
        "client/schema.d.ts",
    }
    assert "List our products" in (project / "client/client.d.ts").read_text()
    bases = render.kept_bases(project) or {}
    assert bases["contract/openapi.yaml"] == contract.read_bytes()
    assert bases["client/client.d.ts"] == (project / "client/client.d.ts").read_bytes()
