"""Everything the template prints, computed from the contract and the answers."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shopgen import __version__
from shopgen.contract import Contract
from shopgen.modules import spec

from ._answers import Answers
from ._fields import ContractFields, collect_fields
from ._operations import (
    DOMAIN_OPERATIONS,
    Operation,
    collect_operations,
    inline_bodies,
    pascal_case,
)

__all__ = ["ProjectContext", "build_context"]

_LINE_LENGTH = 100

# Domain packages an answer can leave out, and the files that go with them. Their operations
# then answer 501 from the binding layer, like an operation the template has not written yet.
_OPTIONAL_DOMAINS: Mapping[str, tuple[str, ...]] = {
    "webhooks": ("app/webhooks", "tests/test_shopify.py"),
}


def _left_out(answers: Answers) -> frozenset[str]:
    return frozenset() if answers.shopify_sync else frozenset({"webhooks"})


@dataclass(frozen=True, slots=True)
class ProjectContext:
    """The typed `_shopgen` variable of the template."""

    answers: Answers
    contract: Contract
    document: Mapping[str, Any]
    operations: tuple[Operation, ...]
    domains: tuple[str, ...]
    inline_bodies: Mapping[str, Any]
    # The fields the contract adds to the template's tables, by table name.
    fields: Mapping[str, ContractFields]
    api_title: str
    api_version: str
    shopgen_version: str
    toml_description: str
    toml_author: str
    distribution: str

    @property
    def excluded_paths(self) -> tuple[str, ...]:
        """Template files of the domain packages the answers left out."""
        left_out = _left_out(self.answers)
        return tuple(p for d, paths in _OPTIONAL_DOMAINS.items() if d in left_out for p in paths)

    @property
    def payment_channels(self) -> tuple[str, ...]:
        return self.answers.payment_channels

    @property
    def modules(self) -> tuple[str, ...]:
        return self.answers.modules

    @property
    def module_imports(self) -> tuple[str, ...]:
        """The imports of app/modules.py, sorted as ruff's isort sorts them."""
        lines = {"app.core.modules": "from app.core.modules import Module"}
        for name in self.modules:
            lines[f"app.{name}.module"] = f"from app.{name}.module import MODULE as {name}"
        return tuple(lines[module] for module in sorted(lines))

    @property
    def module_dependencies(self) -> tuple[str, ...]:
        """Requirements the modules add to pyproject.toml's `dependencies`."""
        return tuple(req for name in self.modules for req in spec(name).dependencies)

    @property
    def module_test_dependencies(self) -> tuple[str, ...]:
        """Requirements the modules add to the `test` extra."""
        return tuple(req for name in self.modules for req in spec(name).test_dependencies)

    @property
    def module_extras(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Extras of the modules' own (`pdf = ["weasyprint>=62"]`)."""
        return tuple(extra for name in self.modules for extra in spec(name).extras)

    def path_of(self, operation_id: str) -> str | None:
        """The path of operation `operation_id`, as the app's routes (and the `route` label of
        its request metrics) name it; None if the contract has no such operation."""
        return next((op.path for op in self.operations if op.operation_id == operation_id), None)

    @property
    def module_tuple(self) -> str:
        """The MODULES tuple's items, as Python prints a tuple."""
        if len(self.modules) == 1:
            return f"{self.modules[0]},"
        return ", ".join(self.modules)

    @property
    def custom(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.custom)

    @property
    def with_params(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.params)

    @property
    def public_prefixes(self) -> tuple[str, ...]:
        """The first path segment of every operation (`/api`), for an ingress to route only
        the contract's paths; `/` when an operation starts with a path parameter."""
        prefixes: set[str] = set()
        for op in self.operations:
            first = op.path.strip("/").split("/", 1)[0]
            prefixes.add("/" if not first or "{" in first else f"/{first}")
        return ("/",) if "/" in prefixes else tuple(sorted(prefixes))

    @property
    def schema_imports(self) -> tuple[str, ...]:
        names = {op.body_model for op in self.operations if op.body_model}
        names |= {op.data_model for op in self.operations if op.data_model}
        return tuple(sorted(n for n in names if n))

    @property
    def raw_body_assignment(self) -> str:
        """`RAW_BODY: frozenset[str] = frozenset({...})`, wrapped as ruff format wraps it."""
        head = "RAW_BODY: frozenset[str] = frozenset("
        ids = [op.id_literal for op in self.operations if op.raw_body]
        if not ids:
            return head + ")"
        inner = "{" + ", ".join(ids) + "}"
        if len(head) + len(inner) + 1 <= _LINE_LENGTH:
            return f"{head}{inner})"
        if len(inner) + 4 <= _LINE_LENGTH:
            return f"{head}\n    {inner}\n)"
        listed = "".join(f"        {op_id},\n" for op_id in ids)
        return f"{head}\n    {{\n{listed}    }}\n)"

    @property
    def needs_literal(self) -> bool:
        return any(p.literal_alias for op in self.operations for p in op.params)

    @property
    def param_markers(self) -> tuple[str, ...]:
        kinds = {p.marker.split("(", 1)[0] for op in self.operations for p in op.params}
        return tuple(sorted(kinds))

    @property
    def handler_imports(self) -> tuple[str, ...]:
        """The first-party imports of app/api/handlers.py, sorted as ruff's isort sorts them."""
        lines = {f"app.{d}": f"from app.{d} import handlers as {d}" for d in self.domains}
        lines["app.api.binding"] = "from app.api.binding import Handler"
        names = sorted(op.function_name for op in self.custom)
        if names:
            line = f"from app.custom import {', '.join(names)}"
            if len(line) > 100:
                inner = "".join(f"    {name},\n" for name in names)
                line = f"from app.custom import (\n{inner})"
            lines["app.custom"] = line
        return tuple(lines[module] for module in sorted(lines))


def build_context(
    contract: Contract, answers: Answers, *, shopgen_version: str = __version__
) -> ProjectContext:
    """What the template prints; `shopgen_version` is the release the files say made them."""
    document = contract.document
    inline = inline_bodies(contract)
    bodies = {f"{pascal_case(op_id)}Body": schema for op_id, schema in inline.items()}
    body_names = {op_id: f"{pascal_case(op_id)}Body" for op_id in inline}
    left_out = _left_out(answers)
    operations = tuple(
        dataclasses.replace(op, domain=None, pending=True) if op.domain in left_out else op
        for op in collect_operations(contract, body_names, frozenset(answers.modules))
    )
    present = {op.domain for op in operations if op.domain}
    info = document.get("info") if isinstance(document.get("info"), Mapping) else {}
    assert isinstance(info, Mapping)
    return ProjectContext(
        answers=answers,
        contract=contract,
        document=document,
        operations=operations,
        domains=tuple(sorted(d for d in present if d in DOMAIN_OPERATIONS or d in answers.modules)),
        inline_bodies=bodies,
        fields=collect_fields(contract),
        api_title=str(info.get("title") or answers.project_name),
        api_version=str(info.get("version") or "0.1.0"),
        shopgen_version=shopgen_version,
        toml_description=json.dumps(answers.description, ensure_ascii=False),
        toml_author=json.dumps(answers.author, ensure_ascii=False),
        distribution=answers.project_slug,
    )
