"""Loading contracts: YAML or JSON, positions for every pointer, safe `$ref` resolution.

contract = load_contract("specs/shop.openapi.yaml")
for op in contract.operations:
    print(op.operation_id, op.method, op.path.template)
"""

from __future__ import annotations

from pathlib import Path

from ._model import HTTP_METHODS, Contract, MediaType, Operation, Parameter, PathItem, SchemaNode
from ._pointer import join_pointer, split_pointer
from ._refs import References, RefProblem, RefSite
from ._show import json_text
from ._source import MAX_BYTES, MAX_DEPTH, Source, read_source

__all__ = [
    "HTTP_METHODS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "Contract",
    "MediaType",
    "Operation",
    "Parameter",
    "PathItem",
    "RefProblem",
    "RefSite",
    "References",
    "SchemaNode",
    "Source",
    "join_pointer",
    "json_text",
    "load_contract",
    "read_source",
    "split_pointer",
]


def load_contract(path: str | Path) -> Contract:
    """Read, parse and index a contract; `UserError` (file:line:col) if it cannot be read.

    A `$ref` that is remote, leaves the contract's directory or points at nothing does not stop
    loading: it is kept in `contract.references.problems` for lint to report.
    """
    source = read_source(Path(path))
    references = References(source)
    references.check_targets()
    return Contract(source, references)
