"""Every operation of every bundled contract, walked through the mock: each documented answer
validates against its schema, and a request that breaks the contract is refused in the
envelope. Nothing here names an operation: the walk follows whatever the contracts hold."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from shopgen.contract import Contract, Operation, load_contract
from shopgen.mock import Mock, MockOptions

from .conftest import CONTRACTS, Judge, call, contract_id, statuses

SEEDS = (0, 7)
INT_PARSING = "Input should be a valid integer, unable to parse string as an integer"


@pytest.fixture(scope="module", params=CONTRACTS, ids=contract_id)
def contract(request: pytest.FixtureRequest) -> Contract:
    path: Path = request.param
    return load_contract(path)


def _example(contract: Contract, node: Any) -> Any:
    node = contract.deref(node)
    if not isinstance(node, dict):
        return None
    if "example" in node:
        return node["example"]
    examples = node.get("examples")
    if isinstance(examples, dict) and examples:
        first = contract.deref(next(iter(examples.values())))
        return first.get("value") if isinstance(first, dict) else None
    schema = contract.deref(node.get("schema"))
    if isinstance(schema, dict) and "example" in schema:
        return schema["example"]
    return None


def valid_request(contract: Contract, operation: Operation) -> dict[str, Any]:
    """A request the contract accepts, from the examples it documents."""
    path = operation.path.template
    headers = {"Authorization": "Bearer a-token"}
    query: dict[str, list[str]] = {}
    for param in operation.parameters:
        value = _example(contract, param.node)
        if value is None:
            assert not param.required, f"{operation.name}: {param.name} has no example"
            continue
        if param.location == "path":
            path = path.replace("{" + param.name + "}", str(value))
        elif param.location == "header":
            headers[param.name] = str(value)
        elif param.location == "query" and param.required:
            query[param.name] = [str(value).lower() if isinstance(value, bool) else str(value)]
    body = None
    for media in operation.request_media:
        if media.is_json:
            body = _example(contract, media.node)
    return {
        "method": operation.method.upper(),
        "path": path,
        "headers": headers,
        "query": query,
        "body": body,
    }


def _check(judge: Judge, operation: Operation, status: int, body: Any) -> None:
    media = judge.response_media(operation, status)
    if media is None:
        assert body is None, f"{operation.name} {status}: a body where none is documented"
        return
    assert media.schema is not None
    if not media.is_json and body is None:
        return  # a text download's example goes out as its bytes (`raw`), not as data
    problems = judge.problems(media.schema, body)
    assert not problems, f"{operation.name} {status}: {problems}"


def test_every_operation_answers_its_success_from_a_valid_request(contract: Contract) -> None:
    judge = Judge(contract)
    mock = Mock(contract)
    for operation in contract.operations:
        request = valid_request(contract, operation)
        response = call(
            mock,
            request["method"],
            request["path"],
            request["body"],
            headers=request["headers"],
            query=request["query"],
        )
        assert 200 <= response.status < 300, (operation.name, response.status, response.body)
        _check(judge, operation, response.status, response.body)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_documented_status_validates_as_example_and_generated(
    contract: Contract, seed: int
) -> None:
    judge = Judge(contract)
    mock = Mock(contract, MockOptions(seed=seed))
    checked = 0
    for operation in contract.operations:
        path = re.sub(r"\{[^}]+\}", "1", operation.path.template)
        for status in statuses(operation):
            for prefer in (f"code={status}", f"code={status}, dynamic=true"):
                response = call(mock, operation.method.upper(), path, headers={"Prefer": prefer})
                assert response.status == status, (operation.name, prefer, response.body)
                _check(judge, operation, status, response.body)
                checked += 1
    assert checked >= 2 * len(contract.operations)


def test_every_named_example_is_served(contract: Contract) -> None:
    judge = Judge(contract)
    mock = Mock(contract)
    served = 0
    for operation in contract.operations:
        path = re.sub(r"\{[^}]+\}", "1", operation.path.template)
        for status in statuses(operation):
            for media in operation.response_media(str(status)):
                examples = media.node.get("examples")
                for name in examples if isinstance(examples, dict) else {}:
                    response = call(
                        mock,
                        operation.method.upper(),
                        path,
                        headers={"Prefer": f"code={status}, example={name}"},
                    )
                    expected = contract.deref(examples[name])["value"]
                    assert response.body == expected, (operation.name, status, name)
                    _check(judge, operation, status, response.body)
                    served += 1
    if contract.path.name == "shop.openapi.yaml":
        assert served >= 5


def test_generated_answers_depend_on_the_seed_only(contract: Contract) -> None:
    def answers(seed: int) -> list[Any]:
        mock = Mock(contract, MockOptions(seed=seed))
        found = []
        for operation in contract.operations:
            path = re.sub(r"\{[^}]+\}", "1", operation.path.template)
            status = next(statuses(operation))
            prefer = f"code={status}, dynamic=true"
            found.append(
                call(mock, operation.method.upper(), path, headers={"Prefer": prefer}).body
            )
        return found

    assert answers(3) == answers(3)
    assert answers(3) != answers(4)


def _breaking_bodies(contract: Contract, schema: Any) -> list[Any]:
    """Bodies the schema refuses: the wrong type, then an empty object when fields are required."""
    properties, required, types = contract.schema_view(schema)
    bodies: list[Any] = ["not an object"] if "string" not in types else [123]
    if required:
        bodies.append({})
    return bodies


def test_requests_that_break_the_contract_get_the_envelope(contract: Contract) -> None:
    judge = Judge(contract)
    mock = Mock(contract)
    refused = 0
    for operation in contract.operations:
        request = valid_request(contract, operation)
        media = next((m for m in operation.request_media if m.is_json), None)
        if media is not None and media.schema is not None:
            for body in _breaking_bodies(contract, media.schema):
                response = call(
                    mock,
                    request["method"],
                    request["path"],
                    body,
                    headers=request["headers"],
                    query=request["query"],
                )
                _assert_refused(judge, operation, response.status, response.body, 422)
                refused += 1
        for param in operation.parameters:
            if param.required and param.location == "header":
                headers = {k: v for k, v in request["headers"].items() if k != param.name}
                response = call(
                    mock,
                    request["method"],
                    request["path"],
                    request["body"],
                    headers=headers,
                    query=request["query"],
                )
                _assert_refused(judge, operation, response.status, response.body, 400)
                if _is_envelope(response.body):
                    fields = [e["field"] for e in response.body["data"]["errors"]]
                    assert fields == [f"header.{param.name}"]
                refused += 1
            if param.location == "path":
                schema = contract.deref(param.schema)
                if schema.get("type") == "integer":
                    path = operation.path.template.replace("{" + param.name + "}", "abc")
                    path = re.sub(r"\{[^}]+\}", "1", path)
                    response = call(
                        mock,
                        request["method"],
                        path,
                        request["body"],
                        headers=request["headers"],
                        query=request["query"],
                    )
                    _assert_refused(judge, operation, response.status, response.body, 422)
                    assert response.body["data"]["errors"][0] == {
                        "field": f"path.{param.name}",
                        "message": INT_PARSING,
                        "type": "int_parsing",
                    }
                    refused += 1
    assert refused > 0


def _is_envelope(body: Any) -> bool:
    return isinstance(body, dict) and {"code", "data", "msg"} <= body.keys()


def _assert_refused(
    judge: Judge, operation: Operation, status: int, body: Any, expected: int
) -> None:
    assert status == expected, (operation.name, status, body)
    documented = judge.response_media(operation, status)
    if documented is not None and not _is_envelope(body):
        _check(judge, operation, status, body)  # a webhook's own failure shape
        return
    assert _is_envelope(body), (operation.name, body)
    assert body["code"] == expected * 100 + 1
    for error in body["data"]["errors"]:
        assert set(error) == {"field", "message", "type"} and all(error.values())
    if documented is not None:
        _check(judge, operation, status, body)


def test_the_example_that_matches_the_body_answers(shop: Contract) -> None:
    mock = Mock(shop)
    headers = {"Authorization": "Bearer a-token"}
    for channel in ("mock", "wechat"):
        body = {"order_id": 1, "channel": channel}
        answer = call(mock, "POST", "/api/v1/payments", body, headers=headers)
        assert answer.status == 201 and answer.body["data"]["channel"] == channel
