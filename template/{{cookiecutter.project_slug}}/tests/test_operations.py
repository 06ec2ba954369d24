"""The contract binds the routes: every operation is served, with the contract's inputs, and
operations nobody has written yet answer 501 in the envelope."""

import json
import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.api.binding import Operation, unimplemented
from app.api.handlers import HANDLERS
from app.api.operations import OPERATIONS

UNIMPLEMENTED = unimplemented(OPERATIONS, HANDLERS)
IMPLEMENTED = [op for op in OPERATIONS if op not in UNIMPLEMENTED]


def _route(app: FastAPI, operation: Operation) -> APIRoute:
    for route in app.routes:
        if isinstance(route, APIRoute) and route.operation_id == operation.operation_id:
            return route
    raise AssertionError(f"{operation.operation_id} has no route")


def _declared_inputs(dependant: Dependant) -> set[tuple[str, str]]:
    """Every path, query and header parameter a route reads, through its dependencies."""
    found = {("path", p.alias.lower()) for p in dependant.path_params}
    found |= {("query", p.alias.lower()) for p in dependant.query_params}
    found |= {("header", p.alias.lower()) for p in dependant.header_params}
    for sub in dependant.dependencies:
        found |= _declared_inputs(sub)
    return found


def _contract_inputs(app: FastAPI, operation: Operation) -> tuple[set[tuple[str, str]], bool]:
    contract = json.loads(app.state.contract_json)
    item = contract["paths"][operation.path]
    node = item[operation.method.lower()]
    params = set()
    for raw in [*item.get("parameters", []), *node.get("parameters", [])]:
        if "$ref" in raw:
            raw = contract["components"]["parameters"][raw["$ref"].rsplit("/", 1)[1]]
        if raw["in"] in {"path", "query", "header"}:
            params.add((raw["in"], raw["name"].lower()))
    return params, "requestBody" in node


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
async def test_every_operation_is_routed(app: FastAPI, operation: Operation) -> None:
    route = _route(app, operation)
    assert route.path == operation.path
    assert route.methods == {operation.method}


@pytest.mark.parametrize("operation", IMPLEMENTED, ids=lambda op: op.operation_id)
async def test_handlers_take_the_contract_inputs(app: FastAPI, operation: Operation) -> None:
    route = _route(app, operation)
    params, has_body = _contract_inputs(app, operation)
    assert _declared_inputs(route.dependant) == params
    assert (route.body_field is not None) == has_body


@pytest.mark.parametrize("operation", UNIMPLEMENTED, ids=lambda op: op.operation_id)
async def test_unwritten_operations_answer_501(
    client: httpx.AsyncClient, operation: Operation
) -> None:
    path = re.sub(r"\{[^}]+\}", "1", operation.path)
    response = await client.request(operation.method, path)
    assert response.status_code == 501
    body = response.json()
    assert body["code"] == 50101
    assert body["data"] == {"operation_id": operation.operation_id}
