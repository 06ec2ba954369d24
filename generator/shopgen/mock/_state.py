"""`--stateful`: resources kept in memory, so a front end can click through a purchase.

Operations are read by the shape of their paths, not by name. A *collection* is a path `P`
with an item path `P/{param}` beside it (`/products` and `/products/{product_id}`):

    POST P              create: the success example, the body laid over it, a new `id`,
                        links and money filled in (see `_commerce`), timestamps of now
    GET P               list, newest first, filtered by query parameters named like fields
                        (`?status=paid`), paged by `page` and `limit`
    GET/PUT/PATCH/DELETE P/{param}     read, replace, update, delete; 404 when unknown
    POST P/{param}/verb an action: the stored resource takes the enum fields (`status`) of
                        the action's example and stamps the `*_at` fields it sets; only a
                        resource still in its created state may change state (else 409)

Every collection starts with the resources of its list and read examples. Operations that
return a token pair issue real (opaque) tokens with a lifetime, secured operations then need
a live one, refresh operations spend a refresh token once; an operation with a required
`Idempotency-Key` replays its first answer for the same key and body. Everything else answers
as the stateless mock does.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from shopgen.contract import Contract, Operation

from ._commerce import Linker, OutOfStock, UnknownLink, restock, settle, take_stock
from ._exchange import Code, FieldError, MockRequest, MockResponse, envelope_error
from ._responses import Preferences, Responder, is_envelope
from ._tokens import TokenBook, TokenPair
from ._validate import CheckedRequest

__all__ = ["Kind", "Store"]


class Kind(Enum):
    create = "create"
    list_ = "list"
    read = "read"
    replace = "replace"
    update = "update"
    delete = "delete"
    action = "action"
    login = "login"
    refresh = "refresh"


@dataclass
class Collection:
    template: str
    item_template: str
    param: str
    schema: Any = None
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    created_status: Any = None
    statuses: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Route:
    kind: Kind
    collection: Collection | None = None


class Store:
    def __init__(
        self,
        contract: Contract,
        responder: Responder,
        *,
        token_ttl: int | None,
        clock: Callable[[], float],
    ) -> None:
        self._contract = contract
        self._responder = responder
        self._clock = clock
        self._lock = threading.RLock()
        self._collections: dict[str, Collection] = {}
        self._routes: dict[tuple[str, str], Route] = {}
        self._idempotency: dict[str, tuple[str, MockResponse]] = {}
        self._plan()
        self.tokens = TokenBook(token_ttl or self._example_ttl(), clock)
        self._linker = Linker(frozenset(c.param for c in self._collections.values()), self._lookup)
        self._seed()

    # -- reading the contract ----------------------------------------------------------------

    def _plan(self) -> None:
        contract = self._contract
        for item in contract.paths:
            if not contract.is_collection(item):
                continue
            base = item.template.rstrip("/")
            for other in contract.paths:
                if other.template.startswith(base + "/{") and other.ends_with_param:
                    tail = other.template[len(base) + 1 :]
                    if "/" not in tail:
                        param = tail[1:-1]
                        self._collections[base] = Collection(base, other.template, param)
                        break
        for operation in contract.operations:
            route = self._route_of(operation)
            if route is not None:
                self._routes[(operation.path.template, operation.method)] = route
        for collection in self._collections.values():
            self._describe(collection)

    def _route_of(self, operation: Operation) -> Route | None:
        success = self._responder.status_key(operation, None)
        data = self._responder.data_schema(operation, success) if success else None
        returned = self._contract.schema_view(data)[0] if data is not None else {}
        sent: dict[str, Any] = {}
        for media in operation.request_media:
            if media.is_json:
                sent = self._contract.schema_view(media.schema)[0]
        if "refresh_token" in sent and "access_token" in returned:
            return Route(Kind.refresh)
        if {"access_token", "refresh_token"} <= returned.keys():
            return Route(Kind.login)
        template, method = operation.path.template.rstrip("/"), operation.method
        for collection in self._collections.values():
            if template == collection.template:
                kinds = {"post": Kind.create, "get": Kind.list_}
            elif template == collection.item_template:
                kinds = {
                    "get": Kind.read,
                    "put": Kind.replace,
                    "patch": Kind.update,
                    "delete": Kind.delete,
                }
            elif (
                template.startswith(collection.item_template + "/")
                and "{" not in template[len(collection.item_template) :]
                and template not in self._collections
            ):
                kinds = {"post": Kind.action, "put": Kind.action, "patch": Kind.action}
            else:
                continue
            kind = kinds.get(method)
            return Route(kind, collection) if kind is not None else None
        return None

    def _describe(self, collection: Collection) -> None:
        for (template, method), route in self._routes.items():
            if route.collection is not collection:
                continue
            operation = self._operation(template, method)
            key = self._responder.status_key(operation, None)
            if key is None:
                continue
            if route.kind in (Kind.read, Kind.create) and collection.schema is None:
                collection.schema = self._responder.data_schema(operation, key)
            if route.kind is Kind.create:
                created = self._example_data(operation, key, None)
                if isinstance(created, dict):
                    collection.created_status = created.get("status")
        if collection.schema is not None:
            status = self._contract.schema_view(collection.schema)[0].get("status")
            enum = self._contract.deref(status).get("enum") if status is not None else None
            collection.statuses = [str(v) for v in enum] if isinstance(enum, list) else []

    def _operation(self, template: str, method: str) -> Operation:
        return next(
            op
            for op in self._contract.operations
            if op.path.template == template and op.method == method
        )

    def _example_ttl(self) -> int:
        for (template, method), route in self._routes.items():
            if route.kind is Kind.login:
                operation = self._operation(template, method)
                key = self._responder.status_key(operation, None)
                data = self._example_data(operation, key, None) if key else None
                if isinstance(data, dict) and isinstance(data.get("expires_in"), int):
                    return int(data["expires_in"])
        return 900

    def _seed(self) -> None:
        for (template, method), route in self._routes.items():
            if route.kind not in (Kind.list_, Kind.read) or route.collection is None:
                continue
            operation = self._operation(template, method)
            key = self._responder.status_key(operation, None)
            data = self._example_data(operation, key, None) if key else None
            listed = (
                data.get("items") if isinstance(data, dict) and route.kind is Kind.list_ else data
            )
            for resource in listed if isinstance(listed, list) else [listed]:
                if isinstance(resource, dict) and "id" in resource:
                    self._keep(route.collection, copy.deepcopy(resource))

    def _keep(self, collection: Collection, resource: dict[str, Any]) -> None:
        collection.items[str(resource["id"])] = resource
        if isinstance(resource["id"], int):
            collection.next_id = max(collection.next_id, resource["id"] + 1)

    def _lookup(self, link: str, value: Any) -> dict[str, Any] | None:
        for collection in self._collections.values():
            if collection.param == link:
                return collection.items.get(str(value))
        return None

    def _example_data(self, operation: Operation, key: str | None, body: Any) -> Any:
        if key is None:
            return None
        chosen = self._responder.closest_example(operation, key, body)
        answer = self._responder.answer(
            operation, Preferences(example=chosen), status=_status_int(key)
        )
        return self._data_of(operation, key, answer.body)

    def _data_of(self, operation: Operation, key: str, body: Any) -> Any:
        media = self._responder.media(operation, key)
        if media is not None and is_envelope(self._contract, media.schema):
            return body.get("data") if isinstance(body, dict) else None
        return body

    # -- answering ---------------------------------------------------------------------------

    def handles(self, operation: Operation) -> bool:
        return (operation.path.template, operation.method) in self._routes

    def answer(
        self, operation: Operation, checked: CheckedRequest, request: MockRequest
    ) -> MockResponse | None:
        route = self._routes.get((operation.path.template, operation.method))
        if route is None:
            return None
        with self._lock:
            replay_key = self._idempotency_key(operation, checked, request)
            if replay_key is not None:
                key, fingerprint = replay_key
                stored = self._idempotency.get(key)
                if stored is not None:
                    if stored[0] != fingerprint:
                        return envelope_error(
                            422,
                            Code.IDEMPOTENCY_KEY_REUSED,
                            "Idempotency-Key reused with a different request body",
                            note="idempotency key reused",
                        )
                    replayed = copy.deepcopy(stored[1])
                    replayed.note = "replayed for the same Idempotency-Key"
                    return replayed
            response = self._answer(route, operation, checked)
            if replay_key is not None and response.status < 500:
                self._idempotency[replay_key[0]] = (replay_key[1], copy.deepcopy(response))
            return response

    def _idempotency_key(
        self, operation: Operation, checked: CheckedRequest, request: MockRequest
    ) -> tuple[str, str] | None:
        for param in operation.parameters:
            if param.location == "header" and param.name.lower() == "idempotency-key":
                key = checked.headers.get(param.name)
                if param.required and isinstance(key, str):
                    canonical = json.dumps(checked.body, sort_keys=True, separators=(",", ":"))
                    text = f"{request.method}\n{request.path}\n{canonical}"
                    fingerprint = hashlib.sha256(text.encode()).hexdigest()
                    scope = request.header("authorization") or ""
                    return f"{scope}\n{operation.name}\n{key}", fingerprint
        return None

    def _answer(self, route: Route, operation: Operation, checked: CheckedRequest) -> MockResponse:
        if route.kind is Kind.login:
            return self._login(operation, self.tokens.issue())
        if route.kind is Kind.refresh:
            return self._refresh(operation, checked)
        collection = route.collection
        assert collection is not None
        if route.kind is Kind.list_:
            return self._list(operation, collection, checked)
        if route.kind is Kind.create:
            return self._create(operation, collection, checked)
        resource = collection.items.get(str(checked.path.get(collection.param)))
        if resource is None:
            return envelope_error(404, Code.NOT_FOUND, "Not found", note="stateful: unknown id")
        if route.kind is Kind.read:
            return self._reply(operation, resource, "stateful read")
        if route.kind is Kind.delete:
            del collection.items[str(resource["id"])]
            key = self._responder.status_key(operation, None)
            return self._responder.answer(operation, Preferences(), status=_status_int(key))
        if route.kind in (Kind.replace, Kind.update):
            return self._change(operation, collection, resource, checked, route.kind)
        return self._act(operation, collection, resource)

    def _reply(self, operation: Operation, data: Any, note: str) -> MockResponse:
        key = self._responder.status_key(operation, None)
        assert key is not None
        answer = self._responder.answer(operation, Preferences(), status=_status_int(key))
        media = self._responder.media(operation, key)
        if media is not None and is_envelope(self._contract, media.schema):
            answer.body = {**(answer.body or {}), "data": copy.deepcopy(data)}
        else:
            answer.body = copy.deepcopy(data)
        answer.note = note
        answer.raw = None
        return answer

    def _now(self) -> str:
        moment = datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds")
        return moment.replace("+00:00", "Z")

    # -- tokens ------------------------------------------------------------------------------

    def _login(self, operation: Operation, pair: TokenPair) -> MockResponse:
        key = self._responder.status_key(operation, None)
        data = self._example_data(operation, key, None)
        data = dict(data) if isinstance(data, dict) else {}
        data.update(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )
        if "token_type" in data or not data:
            data["token_type"] = "bearer"
        return self._reply(operation, data, "stateful: tokens issued")

    def _refresh(self, operation: Operation, checked: CheckedRequest) -> MockResponse:
        token = checked.body.get("refresh_token") if isinstance(checked.body, dict) else None
        result = self.tokens.refresh(str(token))
        if result == "reused":
            return envelope_error(
                401,
                Code.REFRESH_TOKEN_REUSED,
                "Refresh token reused; please log in again",
                note="stateful: refresh token spent twice",
            )
        if not isinstance(result, TokenPair):
            return envelope_error(
                401, Code.UNAUTHORIZED, "Invalid refresh token", note="stateful: unknown token"
            )
        return self._login(operation, result)

    # -- collections -------------------------------------------------------------------------

    def _list(
        self, operation: Operation, collection: Collection, checked: CheckedRequest
    ) -> MockResponse:
        items = list(collection.items.values())
        for name, value in checked.query.items():
            if name in ("page", "limit", "sort", "cursor", "q"):
                continue
            if items and all(name in item for item in items):
                items = [item for item in items if item.get(name) == value]
        items.sort(key=_newest_first)
        key = self._responder.status_key(operation, None)
        assert key is not None
        schema = self._responder.data_schema(operation, key)
        properties = self._contract.schema_view(schema)[0] if schema is not None else {}
        if "items" not in properties:
            return self._reply(operation, items, "stateful list")
        page = checked.query.get("page", _default(self._contract, operation, "page", 1))
        limit = checked.query.get("limit", _default(self._contract, operation, "limit", 20))
        start = (page - 1) * limit
        data: dict[str, Any] = {"items": items[start : start + limit]}
        for name, value in (("total", len(items)), ("page", page), ("limit", limit)):
            if name in properties:
                data[name] = value
        if "next_cursor" in properties:
            data["next_cursor"] = None
        return self._reply(operation, data, "stateful list")

    def _create(
        self, operation: Operation, collection: Collection, checked: CheckedRequest
    ) -> MockResponse:
        key = self._responder.status_key(operation, None)
        template = self._example_data(operation, key, checked.body)
        resource = copy.deepcopy(template) if isinstance(template, dict) else {}
        schema = self._responder.data_schema(operation, key) if key else None
        now = self._now()
        _shift_times(resource, now)
        sent = checked.body if isinstance(checked.body, dict) else {}
        given = {**self._request_defaults(operation), **sent}
        _overlay(self._contract, resource, given, schema)
        resource["id"] = collection.next_id
        for stamp in ("created_at", "updated_at"):
            if stamp in resource:
                resource[stamp] = now
        try:
            self._linker.fill(resource, checked.body)
            take_stock(self._linker, resource)
        except UnknownLink as missing:
            return self._refused(
                operation,
                404,
                Code.NOT_FOUND,
                f"{missing.field.rsplit('.', 1)[-1]} {missing.value} not found",
                FieldError(missing.field, f"No such resource: {missing.value}", "not_found"),
            )
        except OutOfStock as short:
            return self._refused(
                operation,
                409,
                Code.OUT_OF_STOCK,
                "Out of stock",
                FieldError(short.field, str(short), "out_of_stock"),
            )
        self._keep(collection, resource)
        answer = self._reply(operation, resource, "stateful create")
        settle(self._linker, resource, self._statuses_of, now)
        return answer

    def _request_defaults(self, operation: Operation) -> dict[str, Any]:
        """What the request schema says a field is when it is left out."""
        defaults: dict[str, Any] = {}
        for media in operation.request_media:
            if not media.is_json:
                continue
            for name, written in self._contract.schema_view(media.schema)[0].items():
                for node in (written, self._contract.deref(written)):
                    if isinstance(node, dict) and "default" in node:
                        defaults[str(name)] = copy.deepcopy(node["default"])
                        break
        return defaults

    def _refused(
        self, operation: Operation, status: int, code: int, msg: str, problem: FieldError
    ) -> MockResponse:
        if str(status) not in operation.responses:
            status, code = 422, Code.VALIDATION_FAILED
        return envelope_error(
            status, code, msg, {"errors": [problem.as_json()]}, note="stateful: refused"
        )

    def _statuses_of(self, resource: dict[str, Any]) -> list[str]:
        for collection in self._collections.values():
            if any(item is resource for item in collection.items.values()):
                return collection.statuses
        return []

    def _change(
        self,
        operation: Operation,
        collection: Collection,
        resource: dict[str, Any],
        checked: CheckedRequest,
        kind: Kind,
    ) -> MockResponse:
        before = resource.get("status")
        changed = copy.deepcopy(resource)
        _overlay(self._contract, changed, checked.body, collection.schema)
        if "updated_at" in changed:
            changed["updated_at"] = self._now()
        resource.clear()
        resource.update(changed)
        restock(self._linker, before if isinstance(before, str) else None, resource)
        return self._reply(operation, resource, f"stateful {kind.value}")

    def _act(
        self, operation: Operation, collection: Collection, resource: dict[str, Any]
    ) -> MockResponse:
        key = self._responder.status_key(operation, None)
        example = self._example_data(operation, key, None)
        if not isinstance(example, dict):
            return self._reply(operation, resource, "stateful action")
        properties = self._contract.schema_view(collection.schema)[0]
        before = resource.get("status")
        wanted = example.get("status")
        if (
            "status" in resource
            and wanted is not None
            and wanted != before
            and collection.created_status is not None
            and before != collection.created_status
        ):
            return self._refused(
                operation,
                409,
                Code.ILLEGAL_TRANSITION,
                f"Cannot go from {before} to {wanted}",
                FieldError("status", f"The resource is {before}", "illegal_transition"),
            )
        now = self._now()
        for name, value in example.items():
            if name not in resource or name == "id":
                continue
            schema = self._contract.deref(properties.get(name))
            if isinstance(schema, dict) and "enum" in schema and value != resource[name]:
                resource[name] = value
            elif name.endswith("_at") and value is not None and resource[name] is None:
                resource[name] = now
        if "updated_at" in resource:
            resource["updated_at"] = now
        restock(self._linker, before if isinstance(before, str) else None, resource)
        return self._reply(operation, resource, "stateful action")


def _status_int(key: str | None) -> int | None:
    return int(key) if key is not None and key.isdigit() else None


def _newest_first(item: dict[str, Any]) -> tuple[float, float]:
    stamp = item.get("created_at")
    moment = _parse_time(stamp) if isinstance(stamp, str) else None
    ident = item.get("id")
    number = float(ident) if isinstance(ident, int | float) else 0.0
    return (-(moment.timestamp() if moment else 0.0), -number)


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _shift_times(resource: dict[str, Any], now: str) -> None:
    """Move the example's timestamps so that it was created now, keeping their spacing."""
    created = resource.get("created_at")
    anchor = _parse_time(created) if isinstance(created, str) else None
    current = _parse_time(now)
    if anchor is None or current is None:
        return
    delta = current - anchor
    for name, value in resource.items():
        if name.endswith("_at") and isinstance(value, str):
            moment = _parse_time(value)
            if moment is not None:
                resource[name] = (moment + delta).isoformat(timespec="seconds")


def _overlay(contract: Contract, target: dict[str, Any], given: Any, schema: Any) -> None:
    """Lay the request's fields over a resource, keeping only fields its schema names."""
    if not isinstance(given, dict):
        return
    properties = contract.schema_view(schema)[0] if schema is not None else {}
    for name, value in given.items():
        if properties and name not in properties:
            continue
        current = target.get(name)
        item_schema = contract.deref(properties.get(name, {})).get("items")
        if isinstance(value, list) and isinstance(current, list) and current:
            shape = current[0]
            merged = []
            for item in value:
                if isinstance(item, dict) and isinstance(shape, dict):
                    base = copy.deepcopy(shape)
                    _overlay(contract, base, item, item_schema)
                    merged.append(base)
                else:
                    merged.append(item)
            target[name] = merged
        elif isinstance(value, dict) and isinstance(current, dict):
            _overlay(contract, current, value, properties.get(name))
        else:
            target[name] = copy.deepcopy(value)


def _default(contract: Contract, operation: Operation, name: str, fallback: int) -> int:
    param = operation.parameter(name, "query")
    schema = contract.deref(param.schema) if param is not None else None
    value = schema.get("default") if isinstance(schema, dict) else None
    return value if isinstance(value, int) else fallback
