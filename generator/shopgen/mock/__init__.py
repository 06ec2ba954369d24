"""A mock server from the contract alone, for front ends that cannot wait for the backend.

    mock = load_mock(Path("specs/shop.openapi.yaml"), MockOptions(stateful=True))
    response = mock.handle(MockRequest("GET", "/api/v1/products"))
    serve(Path("specs/shop.openapi.yaml"), MockOptions(seed=7), port=4010)

Every operation answers from its examples (or a body generated from its schema, the same for
the same seed), requests are checked against the contract and refused in the generated
service's `{code, data, msg}` envelope, `Prefer: code=NNN` / `example=NAME` / `dynamic=true`
choose the answer, `--stateful` keeps created resources in memory, CORS is open, and the
contract is served at `/openapi.json` and reloaded when it changes.
"""

from __future__ import annotations

from ._app import Mock, MockOptions
from ._exchange import Code, FieldError, MockRequest, MockResponse
from ._serve import load_mock, serve

__all__ = [
    "Code",
    "FieldError",
    "Mock",
    "MockOptions",
    "MockRequest",
    "MockResponse",
    "load_mock",
    "serve",
]
