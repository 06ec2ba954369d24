from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from shopgen.contract import Contract, MediaType, Operation, load_contract
from shopgen.mock import Mock, MockOptions, MockRequest, MockResponse
from shopgen.resources import bundled_contract, specs_dir

CONTRACTS = [bundled_contract(), *sorted((specs_dir() / "examples").glob("*.yaml"))]


def contract_id(path: Path) -> str:
    return path.name.removesuffix(".openapi.yaml")


@pytest.fixture(scope="session")
def shop() -> Contract:
    return load_contract(bundled_contract())


def call(
    mock: Mock,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    raw: bytes | None = None,
) -> MockResponse:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    sent = {name.lower(): value for name, value in (headers or {}).items()}
    if data and "content-type" not in sent:
        sent["content-type"] = "application/json"
    return mock.handle(MockRequest(method, path, query or {}, sent, data))


class Judge:
    """Checks bodies against a contract with plain jsonschema, apart from the mock's own
    validators: a schema is checked inside a copy of the document so its `$ref`s resolve."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        document = contract.bundled()
        self._root = {k: document[k] for k in ("components", "paths") if k in document}

    def problems(self, schema: Any, instance: Any) -> list[str]:
        validator = jsonschema.Draft202012Validator(
            {**self._root, "allOf": [schema]},
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(instance)
        ]

    def response_media(self, operation: Operation, status: int) -> MediaType | None:
        """The JSON media of the status's response, else its only one (a CSV download)."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            media = operation.response_media(key)
            if key in operation.responses:
                return next((m for m in media if m.is_json), media[0] if media else None)
        return None


def statuses(operation: Operation) -> Iterator[int]:
    for key in operation.responses:
        if key.isdigit():
            yield int(key)


def mock_for(contract: Contract, **options: Any) -> Mock:
    return Mock(contract, MockOptions(**options))
