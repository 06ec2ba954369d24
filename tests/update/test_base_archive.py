"""The merge bases as one archive: the same bytes for the same files, and projects of
releases that kept them as a folder move to it on their next update."""

from __future__ import annotations

import tarfile
from pathlib import Path

from shopgen import render

from .conftest import change_contract, commit, git, read_contract, write_contract

HANDLERS = "app/api/handlers.py"
EDIT = "\n# A note of ours.\n"


def test_the_archive_holds_every_merged_file_as_written(project: Path) -> None:
    archive = project / render.BASE_ARCHIVE
    bases = render.kept_bases(project) or {}
    assert bases[HANDLERS] == (project / HANDLERS).read_bytes()
    assert bases["contract/openapi.yaml"] == (project / "contract/openapi.yaml").read_bytes()
    # Written the same way every time: no dates or owners, names in order.
    assert render.pack_bases(dict(reversed(list(bases.items())))) == archive.read_bytes()
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(bases)
    assert {(m.mtime, m.uid, m.gid, m.mode) for m in members} == {(0, 0, 0, 0o644)}


def test_an_unchanged_update_leaves_the_archive_byte_for_byte(project: Path) -> None:
    before = (project / render.BASE_ARCHIVE).read_bytes()
    plan = render.update(project, contract=None, dry_run=False, overrides={}, force=False)
    assert plan.updated == plan.merged == plan.conflicted == ()
    assert (project / render.BASE_ARCHIVE).read_bytes() == before
    assert git(project, "status", "--porcelain") == ""


def test_a_project_with_a_folder_of_bases_moves_to_the_archive(
    project: Path, tmp_path: Path
) -> None:
    # A project as releases before the archive left it: one file per base.
    bases = render.kept_bases(project) or {}
    (project / render.BASE_ARCHIVE).unlink()
    for name, content in bases.items():
        path = project / render.BASE_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    handlers = project / HANDLERS
    handlers.write_text(handlers.read_text(encoding="utf-8") + EDIT, encoding="utf-8")
    commit(project, "A project from a release with .shopgen/base/, edited")
    contract = tmp_path / "changed.yaml"
    write_contract(contract, change_contract(read_contract(project)))

    plan = render.update(project, contract=contract, dry_run=False, overrides={}, force=False)

    # The folder was the base: the edit is merged with the contract's change, not conflicted.
    assert HANDLERS in plan.merged and not plan.conflicted
    merged = handlers.read_text(encoding="utf-8")
    assert merged.endswith(EDIT) and "get_category_stats" in merged
    assert not (project / render.BASE_DIR).exists()
    after = render.kept_bases(project) or {}
    assert set(after) >= set(bases)
    assert after[HANDLERS].decode("utf-8") + EDIT == merged
    assert after["contract/openapi.yaml"] == (project / "contract/openapi.yaml").read_bytes()
