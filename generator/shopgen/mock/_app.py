"""The mock as a function from a request to a response, with no socket in sight.

In order: CORS preflight, `/openapi.json`, the route (404, 405), `Prefer: code` (answered as
asked, nothing checked), credentials (401), the request against the contract (400 for a
header, 422 for the rest), then the stateful store or the contract's example.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from shopgen.contract import Contract, Operation

from ._exchange import Code, MockRequest, MockResponse, envelope_error
from ._generate import ValueGenerator
from ._responses import Preferences, Responder, UnknownPreference, is_envelope
from ._routes import Router
from ._schemas import SchemaChecker
from ._state import Store
from ._tokens import bearer_token, has_credentials
from ._validate import CheckedRequest, check_request

__all__ = ["Mock", "MockOptions"]

_EXPOSED = ("Retry-After", "WWW-Authenticate", "Location", "Content-Length")


@dataclass(frozen=True)
class MockOptions:
    seed: int = 0
    """Generated values depend on it only: the same seed gives the same answers."""
    stateful: bool = False
    token_ttl: int | None = None
    """Seconds a stateful access token lives (default: the login example's `expires_in`)."""
    cors: bool = True


class Mock:
    def __init__(
        self,
        contract: Contract,
        options: MockOptions | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.contract = contract
        self.options = options or MockOptions()
        self._router = Router(contract)
        self._schemas = SchemaChecker(contract)
        self._responder = Responder(contract, ValueGenerator(contract, self.options.seed))
        self._store = (
            Store(contract, self._responder, token_ttl=self.options.token_ttl, clock=clock)
            if self.options.stateful
            else None
        )

    @property
    def schemas(self) -> SchemaChecker:
        return self._schemas

    def handle(self, request: MockRequest) -> MockResponse:
        response = self._handle(request)
        if self.options.cors:
            _allow_origin(request, response)
        return response

    def _handle(self, request: MockRequest) -> MockResponse:
        method = request.method.upper()
        match = self._router.match(method, request.path)
        if method == "OPTIONS" and request.header("access-control-request-method"):
            return self._preflight(request, match.methods if match else ())
        if request.path == "/openapi.json" and (match is None or match.operation is None):
            if method in ("GET", "HEAD"):
                document = json.dumps(self.contract.bundled(), ensure_ascii=False).encode()
                return MockResponse(200, raw=document, note="the contract")
        if match is None:
            return envelope_error(404, Code.NOT_FOUND, "Not Found", note="no such path")
        if match.operation is None:
            allowed = ", ".join(m.upper() for m in match.methods)
            return envelope_error(
                405,
                Code.METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                headers={"Allow": allowed},
                note="no such method",
            )
        operation = match.operation
        preferences = Preferences.parse(request.header("prefer"))
        try:
            if preferences.code is not None:
                return self._responder.answer(operation, preferences)
            refused = self._credentials(operation, request)
            if refused is not None:
                return refused
            checked = check_request(
                self.contract, self._schemas, operation, request, match.path_params
            )
            if checked.header_errors or checked.errors:
                return self._invalid(operation, checked)
            if self._store is not None and preferences == Preferences():
                answered = self._store.answer(operation, checked, request)
                if answered is not None:
                    return answered
            if preferences.example is None and not preferences.dynamic:
                key = self._responder.status_key(operation, None)
                if key is not None:
                    closest = self._responder.closest_example(operation, key, checked.body)
                    preferences = Preferences(example=closest)
            return self._responder.answer(operation, preferences)
        except UnknownPreference as error:
            return envelope_error(400, Code.BAD_REQUEST, str(error), note="bad Prefer header")

    def _preflight(self, request: MockRequest, methods: tuple[str, ...]) -> MockResponse:
        wanted = request.header("access-control-request-headers") or ""
        listed = ", ".join(m.upper() for m in methods) or "GET, POST, PUT, PATCH, DELETE"
        headers = {
            "Access-Control-Allow-Methods": listed,
            "Access-Control-Max-Age": "600",
        }
        if wanted:
            headers["Access-Control-Allow-Headers"] = wanted
        return MockResponse(204, None, headers, media_type="", note="CORS preflight")

    def _credentials(self, operation: Operation, request: MockRequest) -> MockResponse | None:
        challenge = {"WWW-Authenticate": "Bearer"}
        if not has_credentials(self.contract, operation, request):
            return envelope_error(
                401, Code.UNAUTHORIZED, "Missing bearer token", headers=challenge, note="no token"
            )
        if self._store is None or not operation.security or {} in operation.security:
            return None
        token = bearer_token(request)
        if token is None:
            return None
        verdict = self._store.tokens.check(token)
        if verdict == "expired":
            return envelope_error(
                401,
                Code.TOKEN_EXPIRED,
                "Token expired",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                note="stateful: token expired",
            )
        if verdict == "unknown":
            return envelope_error(
                401,
                Code.UNAUTHORIZED,
                "Missing or invalid token",
                headers=challenge,
                note="stateful: token not issued here",
            )
        return None

    def _invalid(self, operation: Operation, checked: CheckedRequest) -> MockResponse:
        if checked.header_errors:
            status, code, problems = 400, Code.BAD_REQUEST, checked.header_errors
            msg = f"Invalid {problems[0].field.removeprefix('header.')} header"
        else:
            status, code, problems = 422, Code.VALIDATION_FAILED, checked.errors
            msg = "Validation failed"
        data = {"errors": [problem.as_json() for problem in problems]}
        media = self._responder.media(operation, str(status))
        if media is not None and media.schema is not None:
            if not is_envelope(self.contract, media.schema):
                # The operation answers this status in a shape of its own (a webhook's).
                documented = self._responder.answer(operation, Preferences(), status=status)
                documented.note = "invalid request, documented answer"
                return documented
        return envelope_error(status, code, msg, data, note="invalid request")


def _allow_origin(request: MockRequest, response: MockResponse) -> None:
    origin = request.header("origin")
    response.headers["Access-Control-Allow-Origin"] = origin or "*"
    if origin:
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    exposed = [*_EXPOSED, *(h for h in response.headers if not h.lower().startswith("access-"))]
    response.headers["Access-Control-Expose-Headers"] = ", ".join(dict.fromkeys(exposed))
