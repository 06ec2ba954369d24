"""`compare(old, new)`: load both contracts, match operations, compare each area, report."""

from __future__ import annotations

from pathlib import Path

from shopgen.contract import Contract, join_pointer, load_contract
from shopgen.errors import UserError

from ._bodies import compare_request_body
from ._collect import Collector, Found, Side, code, operation_label
from ._operations import compare_operation, match_operations, normalise_template, removed_paths
from ._parameters import compare_parameters
from ._report import DiffReport
from ._responses import compare_responses
from ._schemas import SchemaDiffer
from ._security import compare_security

__all__ = ["compare", "compare_contracts"]


def compare(old: str | Path, new: str | Path) -> DiffReport:
    """The changes from the contract clients use (`old`) to `new`; `UserError` on bad input."""
    old_contract = _load(Path(old))
    new_contract = _load(Path(new))
    return compare_contracts(old_contract, new_contract)


def _load(path: Path) -> Contract:
    contract = load_contract(path)
    document = contract.document
    version = document.get("openapi")
    if version is None:
        contract.refuse_swagger()
        raise UserError(
            "no `openapi` field; expected an OpenAPI 3.0 or 3.1 document", path=path, line=1
        )
    if isinstance(version, (int, float)):
        line, column = contract.source.locate("/openapi")
        raise UserError(
            f'`openapi: {version}` is a number; quote the version: `openapi: "3.0.3"`',
            path=path,
            line=line,
            column=column,
        )
    if not isinstance(version, str) or not version.startswith(("3.0", "3.1")):
        line, column = contract.source.locate("/openapi")
        raise UserError(
            f"`openapi: {version}` is not supported; expected 3.0.x or 3.1.x",
            path=path,
            line=line,
            column=column,
        )
    paths = document.get("paths", {})
    if not isinstance(paths, dict):
        line, column = contract.source.locate("/paths")
        raise UserError(
            f"`paths` is a {type(paths).__name__}; expected a mapping of path templates",
            path=path,
            line=line,
            column=column,
        )
    return contract


def compare_contracts(old: Contract, new: Contract) -> DiffReport:
    side = Side(old, new)
    collector = Collector()
    schemas = SchemaDiffer(side)
    pairs, removed, added = match_operations(old, new)
    gone = removed_paths(old, new)
    for op in removed:
        label = operation_label(op)
        template = normalise_template(op.path.template)
        if template in gone:
            found = Found(
                "path-removed",
                "",
                f"path {code(op.path.template)} removed",
                op.path.pointer,
                "/paths",
            )
        else:
            kept = next(p for p in new.paths if normalise_template(p.template) == template)
            found = Found("operation-removed", "", "removed", op.pointer, kept.pointer)
        collector.add(found, label)
    for op in added:
        holder = join_pointer(["paths"])
        collector.add(
            Found("operation-added", "", "added", holder, op.pointer), operation_label(op)
        )
    for before, after in pairs:
        label = operation_label(after)
        areas = (
            compare_operation(before, after),
            compare_security(before, after),
            compare_parameters(before, after, schemas),
            compare_request_body(before, after, schemas),
            compare_responses(before, after, schemas),
        )
        for area in areas:
            for found in area:
                collector.add(found, label)
    return DiffReport(old=old.path, new=new.path, changes=tuple(collector.changes(side)))
