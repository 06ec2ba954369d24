"""Routes from the contract: every operation is bound to the handler registered for its
operationId; an operation without a written handler answers 501 in the envelope.

Handler modules use `from __future__ import annotations`: FastAPI resolves a handler's
annotations only when its operation is bound, so a contract that drops an operation (and
with it `operations.<Name>Body` and friends) still imports.
"""

import inspect
import typing
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.params import Depends

from app.api.strict import RAW_BODY_MARK, ContractRoute, checked
from app.core.errors import NotImplementedYet

Handler = Callable[..., Any]
P = TypeVar("P")
_STUB_MARK = "__shopgen_stub__"


def parameters(params: type[P]) -> Callable[..., Awaitable[P]]:
    """An operation's parameters class as a dependency FastAPI awaits.

    FastAPI builds a class dependency in a worker thread (it cannot tell that making a
    dataclass never blocks): a trip through the thread pool and back on every request. This
    coroutine takes the class's parameters, `Path`/`Query`/`Header` markers included, and
    builds it in the event loop."""
    hints = typing.get_type_hints(params, include_extras=True)
    signature = inspect.signature(params)
    fields = [
        parameter.replace(annotation=hints.get(parameter.name, parameter.annotation))
        for parameter in signature.parameters.values()
    ]

    async def build(**values: Any) -> P:
        return params(**values)

    build.__name__ = build.__qualname__ = f"{params.__name__}_dependency"
    build.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=fields, return_annotation=params
    )
    return build


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str
    status_code: int


def stub(handler: Handler) -> Handler:
    """Mark a handler as not written yet: its operation answers 501 until the mark goes."""
    setattr(handler, _STUB_MARK, True)
    return handler


def is_stub(handler: Handler) -> bool:
    return bool(getattr(handler, _STUB_MARK, False))


def not_implemented(operation: Operation) -> Handler:
    async def answer_501() -> None:
        raise NotImplementedYet(f"{operation.operation_id} is not implemented yet")

    answer_501.__name__ = f"not_implemented_{operation.operation_id}"
    return answer_501


def _route_order(operation: Operation) -> list[tuple[bool, str]]:
    # Literal segments before parameters, so /users/me is not taken for /users/{user_id}.
    return [(segment.startswith("{"), segment) for segment in operation.path.split("/")]


def bind_operations(
    router: APIRouter,
    operations: Iterable[Operation],
    handlers: Mapping[str, Handler],
    dependencies: Mapping[str, Sequence[Depends]] | None = None,
    raw_body: Collection[str] = (),
) -> None:
    """Add one route per operation to `router`, most specific paths first. `dependencies`
    run before an operation's handler (and before its body is validated), by operationId;
    the `raw_body` operations check a signature over the body before anything parses it."""
    dependencies = dependencies or {}
    for operation in sorted(operations, key=_route_order):
        handler = handlers.get(operation.operation_id)
        if handler is None or is_stub(handler):
            handler = not_implemented(operation)
        router.add_api_route(
            operation.path,
            checked(handler),
            methods=[operation.method],
            status_code=operation.status_code,
            operation_id=operation.operation_id,
            dependencies=dependencies.get(operation.operation_id),
            route_class_override=ContractRoute,
            openapi_extra={RAW_BODY_MARK: True} if operation.operation_id in raw_body else None,
        )


def unimplemented(
    operations: Iterable[Operation], handlers: Mapping[str, Handler]
) -> list[Operation]:
    """The operations that answer 501: no handler, or a stub."""
    return [
        op
        for op in operations
        if op.operation_id not in handlers or is_stub(handlers[op.operation_id])
    ]
