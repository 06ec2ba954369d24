"""Parameters of one operation: path ones matched by position, the rest by location and name."""

from __future__ import annotations

from collections.abc import Iterator

from shopgen.contract import Operation, Parameter

from ._collect import Found, code
from ._schemas import SchemaDiffer

__all__ = ["compare_parameters"]

# OpenAPI ignores these header parameters: the media types and the security scheme own them.
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}


def _keyed(operation: Operation) -> dict[tuple[str, str], Parameter]:
    """`/orders/{id}` and `/orders/{order_id}` are one path: a path parameter is its position."""
    positions = {name: index for index, name in enumerate(operation.path.template_params)}
    keyed = {}
    for param in operation.parameters:
        if param.location == "path":
            key = ("path", f"#{positions.get(param.name, param.name)}")
        elif param.location == "header":
            if param.name.lower() in _IGNORED_HEADERS:
                continue
            key = ("header", param.name.lower())
        else:
            key = (param.location, param.name)
        keyed[key] = param
    return keyed


def compare_parameters(old: Operation, new: Operation, schemas: SchemaDiffer) -> Iterator[Found]:
    old_params, new_params = _keyed(old), _keyed(new)
    holder = f"{new.pointer}/parameters"
    for key, param in old_params.items():
        if key not in new_params:
            where = f"{param.location} parameter {code(param.name)}"
            yield Found("parameter-removed", where, "removed", param.pointer, holder)
    for key, param in new_params.items():
        where = f"{param.location} parameter {code(param.name)}"
        if key not in old_params:
            kind = "parameter-added-required" if param.required else "parameter-added"
            detail = "added (required)" if param.required else "added (optional)"
            yield Found(kind, where, detail, old.pointer, param.pointer)
            continue
        before = old_params[key]
        if before.required != param.required:
            state = "required" if param.required else "optional"
            yield Found(
                f"parameter-became-{state}", where, f"became {state}", before.pointer, param.pointer
            )
        if before.schema is not None and param.schema is not None:
            yield from schemas.compare(
                before.schema,
                param.schema,
                f"{before.pointer}/schema",
                f"{param.pointer}/schema",
                "request",
                where,
            )
