"""Merge bases: each generated and template file as shopgen last wrote it into a project.

`.shopgen/base.tar` keeps them (`.shopgen/base/` in projects of earlier releases). What it
lacks is rebuilt by rendering again what wrote it: the template of the release that made
the project (shipped with shopgen, see `_history`) with the recorded answers and the
contract as last rendered. That covers projects from releases that kept no base for
template files. A project that keeps no base at all is rendered whole again, which is exact
only with the same shopgen and an unchanged contract copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from shopgen import __version__
from shopgen.contract import load_contract
from shopgen.errors import UserError
from shopgen.resources import template_dir

from ._answers import read_questions
from ._bake import bake, render_template
from ._context import build_context
from ._history import release_template
from ._manifest import BASE_ARCHIVE, CONTRACT_COPY
from ._record import ProjectRecord

__all__ = ["merge_bases"]


def merge_bases(
    project: Path,
    record: ProjectRecord,
    names: Iterable[str],
    *,
    kept: Mapping[str, bytes] | None,
    scratch: Path,
) -> dict[str, bytes]:
    """The base of each of `names` (and of every file the record lists) that can be had;
    `kept` is what the project keeps (`kept_bases`), None when it keeps none."""
    wanted = set(names) | set(record.generated) | set(record.template)
    if kept is None:
        return _rendered_again(project, record, wanted, scratch)
    bases = {n: kept[n] for n in wanted if n in kept}
    # Files shopgen wrote whose base was never kept (template files of older releases).
    missing = {n for n in wanted - set(bases) if n in record.files and (project / n).is_file()}
    if missing:
        contract = bases.get(CONTRACT_COPY) or _unchanged_copy(project, record)
        if contract is not None:
            bases.update(_release_files(record, contract, missing, scratch))
    return bases


def _unchanged_copy(project: Path, record: ProjectRecord) -> bytes | None:
    copy = project / CONTRACT_COPY
    if not copy.is_file():
        return None
    content = copy.read_bytes()
    return content if hashlib.sha256(content).hexdigest() == record.contract_sha256 else None


@contextmanager
def _template_of(version: str) -> Iterator[Path | None]:
    if version == __version__:
        yield template_dir()
        return
    with release_template(version) as template:
        yield template


def _release_files(
    record: ProjectRecord, contract: bytes, names: set[str], scratch: Path
) -> dict[str, bytes]:
    """`names` as the release that made the project rendered them from its template."""
    with _template_of(record.shopgen_version) as template:
        if template is None:
            return {}
        path = scratch / "release-contract" / "openapi.yaml"
        path.parent.mkdir(parents=True)
        path.write_bytes(contract)
        context = build_context(
            load_contract(path), record.reanswer({}), shopgen_version=record.shopgen_version
        )
        rendered = render_template(
            template, read_questions(template), context, into=scratch / "release"
        )
        return {n: (rendered / n).read_bytes() for n in names if (rendered / n).is_file()}


def _rendered_again(
    project: Path, record: ProjectRecord, names: set[str], scratch: Path
) -> dict[str, bytes]:
    contract = _unchanged_copy(project, record)
    if record.shopgen_version != __version__ or contract is None:
        state = "unchanged" if contract is not None else "changed"
        raise UserError(
            f"`{BASE_ARCHIVE}` is missing and the project cannot be rendered as it was (made by "
            f"shopgen {record.shopgen_version}, contract copy {state}); restore "
            f"`{CONTRACT_COPY}` as generated, pass the new contract with --contract, and use "
            "the recorded shopgen",
            path=project,
        )
    old = load_contract(project / CONTRACT_COPY)
    template = template_dir()
    rendered = bake(
        template,
        read_questions(template),
        build_context(old, record.reanswer({})),
        contract_bytes=contract,
        contract_sha256=old.sha256,
        into=scratch / "again",
    )
    return {n: (rendered / n).read_bytes() for n in names if (rendered / n).is_file()}
