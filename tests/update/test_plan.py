"""The plan: a dry run predicts the update and writes nothing; conflicts are marked and listed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from shopgen import render

from .conftest import change_contract, commit, read_contract, shopgen, snapshot, write_contract


def test_dry_run_writes_nothing_and_predicts_the_update(project: Path, tmp_path: Path) -> None:
    contract = tmp_path / "changed.yaml"
    write_contract(contract, change_contract(read_contract(project)))
    before = snapshot(project)

    dry = render.update(project, contract=contract, dry_run=True, overrides={}, force=False)

    assert snapshot(project) == before
    record = yaml.safe_load((project / ".shopgen.yaml").read_text(encoding="utf-8"))
    merged = set(record["files"]["generated"]) | set(record["files"]["template"])
    assert dry.created == ("app/custom/get_category_stats.py",)
    assert (
        {
            "contract/openapi.yaml",
            "app/api/handlers.py",
            "app/api/operations.py",
            "app/api/schemas.py",
        }
        <= set(dry.updated)
        <= merged
    )
    # The README lists the contract's new field; the migrations, already run, stay as they are.
    assert "README.md" in dry.updated
    assert not any(name.startswith("alembic/versions/") for name in dry.updated)
    assert dry.merged == dry.conflicted == ()
    orphan = "app/custom/delete_category.py"
    assert set(record["files"]["user_owned"]) - {orphan} <= set(dry.untouched)
    listed = dry.created + dry.updated + dry.untouched
    assert len(listed) == len(set(listed))
    assert dry.orphaned_handlers == ((orphan, "deleteCategory"),)
    assert "dry run, nothing written" in dry.lines()[0]

    done = render.update(project, contract=contract, dry_run=False, overrides={}, force=False)

    assert dataclasses.replace(done, dry_run=True) == dry
    assert (project / "contract/openapi.yaml").read_bytes() == contract.read_bytes()
    commit(project, "Update")
    again = render.update(project, contract=None, dry_run=False, overrides={}, force=False)
    assert again.created == again.updated == again.merged == again.conflicted == ()


def test_dry_run_through_the_command_line(project: Path) -> None:
    before = snapshot(project)
    result = shopgen("update", str(project), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert snapshot(project) == before
    assert "dry run, nothing written" in result.stdout


def test_same_lines_changed_by_both_sides_conflict(project: Path, tmp_path: Path) -> None:
    handlers = project / "app/api/handlers.py"
    text = handlers.read_text(encoding="utf-8")
    line = '    "deleteCategory": delete_category.delete_category,\n'
    assert line in text
    handlers.write_text(
        text.replace(line, '    "deleteCategory": delete_category.soft_delete,\n'),
        encoding="utf-8",
    )
    commit(project, "Bind our own delete")
    contract = tmp_path / "changed.yaml"
    write_contract(contract, change_contract(read_contract(project)))

    result = shopgen("update", str(project), "--contract", str(contract))

    assert result.returncode == 1, result.stderr
    assert "  conflicted  generated app/api/handlers.py" in result.stdout.splitlines()
    assert "1 file(s) changed with conflicts" in result.stdout
    merged = handlers.read_text(encoding="utf-8")
    for marker in ("<<<<<<< yours", "||||||| base", "=======", ">>>>>>> shopgen"):
        assert marker in merged
    assert "delete_category.soft_delete" in merged
    assert "get_category_stats" in merged
    # The base is the new rendering, so the next update merges against what was resolved.
    base = render.kept_bases(project)["app/api/handlers.py"].decode("utf-8")
    assert "<<<<<<<" not in base and "get_category_stats" in base


def test_without_a_kept_base_the_recorded_rendering_is_the_base(
    project: Path, tmp_path: Path
) -> None:
    (project / render.BASE_ARCHIVE).unlink()
    handlers = project / "app/api/handlers.py"
    handlers.write_text(handlers.read_text(encoding="utf-8") + "\n# ours\n", encoding="utf-8")
    commit(project, "A project from before .shopgen/base, edited")
    contract = tmp_path / "changed.yaml"
    write_contract(contract, change_contract(read_contract(project)))

    plan = render.update(project, contract=contract, dry_run=False, overrides={}, force=False)

    assert plan.merged == ("app/api/handlers.py",)
    assert handlers.read_text(encoding="utf-8").endswith("\n# ours\n")
    assert "app/api/handlers.py" in (render.kept_bases(project) or {})
