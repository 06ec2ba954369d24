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
            if _is_component(param):
                # One change listing every operation that stopped using the shared parameter.
                kept = new.contract.references.lookup(f"#{param.defined_at}") is not None
                at = param.defined_at if kept else "/components/parameters"
                yield Found("parameter-removed", where, "removed", param.defined_at, at)
            else:
                yield Found("parameter-removed", where, "removed", param.pointer, holder)
    for key, param in new_params.items():
        where = f"{param.location} parameter {code(param.name)}"
        if key not in old_params:
            if _in_old_template(old, key):
                # The path always had it: clients sent it before the contract declared it.
                detail = "declared (the path template always had it)"
                yield Found("parameter-added", where, detail, old.path.pointer, param.pointer)
                continue
            kind = "parameter-added-required" if param.required else "parameter-added"
            detail = "added (required)" if param.required else "added (optional)"
            yield Found(kind, where, detail, old.pointer, param.pointer)
            continue
        before = old_params[key]
        # A shared `components/parameters` entry is compared as the component: one change.
        shared = _is_component(before) and _is_component(param)
        old_at = before.defined_at if shared else before.pointer
        new_at = param.defined_at if shared else param.pointer
        if before.required != param.required:
            state = "required" if param.required else "optional"
            yield Found(f"parameter-became-{state}", where, f"became {state}", old_at, new_at)
        if before.schema is not None and param.schema is not None:
            yield from schemas.compare(
                before.schema,
                param.schema,
                f"{old_at}/schema",
                f"{new_at}/schema",
                "request",
                where,
            )


def _is_component(param: Parameter) -> bool:
    """Written as a reference to a `components/parameters` entry."""
    return param.defined_at != param.pointer and param.defined_at.startswith(
        "/components/parameters/"
    )


def _in_old_template(old: Operation, key: tuple[str, str]) -> bool:
    """A path parameter the old template has, though the old contract never declared it."""
    location, position = key
    if location != "path" or not position.startswith("#") or not position[1:].isdigit():
        return False
    return int(position[1:]) < len(old.path.template_params)
