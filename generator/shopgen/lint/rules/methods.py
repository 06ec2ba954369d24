"""House rules: each HTTP method keeps its meaning, so clients, caches and retries can trust it."""

from __future__ import annotations

from collections.abc import Iterator

from shopgen.contract import Contract, MediaType, Operation

from .._rule import Problem, rule
from ._naming import words

__all__ = ["RULES"]


def _schema_pointer(media: MediaType) -> str:
    return f"{media.pointer}/schema" if "schema" in media.node else media.pointer


def _object_bodies(
    contract: Contract, operation: Operation
) -> Iterator[tuple[MediaType, set[str]]]:
    """Request media types whose schema is an object, with its required properties.

    Binary uploads, JSON Patch arrays and `oneOf` choices without a common object shape are
    not objects here, so the field-by-field method rules do not judge them.
    """
    for media in operation.request_media:
        if media.schema is None:
            continue
        _, required, types = contract.schema_view(media.schema)
        if "object" in types:
            yield media, required


@rule(
    "put-full-replacement",
    default="error",
    good="""
    paths:
      /api/v1/carts/{cart_id}:
        put:
          operationId: replaceCart
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [lines]
                  properties: {lines: {type: array, items: {type: integer}}, note: {type: string}}
          responses: {'200': {description: OK}}
    """,
    bad="""
    paths:
      /api/v1/carts/{cart_id}:
        put:
          operationId: replaceCart
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties: {lines: {type: array, items: {type: integer}}, note: {type: string}}
          responses: {'200': {description: OK}}
    """,
    at="/paths/~1api~1v1~1carts~1{cart_id}/put/requestBody/content/application~1json/schema",
)
def put_full_replacement(contract: Contract) -> Iterator[Problem]:
    """A PUT replaces one addressed resource with a complete, required body.

    Clients and proxies retry PUT freely because it is idempotent: sending the same full
    representation twice leaves the same product. That only holds if the body is required and
    its schema requires the resource's fields (a `ProductReplace`, not the all-optional
    `ProductUpdate`), and if the path names one resource (ends in a `{param}`); a PUT on a
    collection or with optional fields is a PATCH or a POST in disguise, and an omitted field
    would silently be wiped or kept depending on the server. Only object bodies are judged
    field by field: a binary upload is a complete representation by nature.
    """
    for operation in contract.operations:
        if operation.method != "put":
            continue
        name = operation.name
        if not operation.path.ends_with_param:
            yield Problem(
                operation.pointer,
                f"PUT `{name}` is on `{operation.path.template}`, which does not end in a "
                "`{param}`; PUT replaces one addressed resource (use POST or PATCH here)",
            )
        body = operation.request_body
        if body is None:
            yield Problem(
                operation.pointer,
                f"PUT `{name}` has no `requestBody`; a replacement sends the whole resource",
            )
            continue
        if body.get("required") is not True:
            yield Problem(
                f"{operation.pointer}/requestBody",
                f"the request body of PUT `{name}` is not `required: true`; "
                "a replacement always sends the whole resource",
            )
        for media, required in _object_bodies(contract, operation):
            if not required:
                yield Problem(
                    _schema_pointer(media),
                    f"the `{media.media_type}` body of PUT `{name}` requires no property; "
                    "require every writable field (a `...Replace` schema), or use PATCH",
                )


@rule(
    "patch-partial-update",
    default="error",
    good="""
    paths:
      /api/v1/carts/{cart_id}:
        patch:
          operationId: updateCart
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  minProperties: 1
                  properties: {note: {type: string}}
          responses: {'200': {description: OK}}
    """,
    bad="""
    paths:
      /api/v1/carts/{cart_id}:
        patch:
          operationId: updateCart
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [note]
                  properties: {note: {type: string}}
          responses: {'200': {description: OK}}
    """,
    at="/paths/~1api~1v1~1carts~1{cart_id}/patch/requestBody/content/application~1json/schema",
)
def patch_partial_update(contract: Contract) -> Iterator[Problem]:
    """A PATCH sends a partial update: a body whose properties are all optional.

    PATCH exists so a client can change one field (a price, a status) without sending, or
    racing on, the rest of the resource. A required property turns it into a PUT with a
    different name, and reusing the create schema this way is the usual cause; use an
    all-optional `...Update` schema (`minProperties: 1` to refuse empty updates is fine).
    Required properties merged in from `allOf` members count. JSON Patch bodies
    (`application/json-patch+json`, an array of operations) are not objects and pass.
    """
    for operation in contract.operations:
        if operation.method != "patch":
            continue
        if operation.request_body is None:
            yield Problem(
                operation.pointer,
                f"PATCH `{operation.name}` has no `requestBody`; send the fields to change",
            )
            continue
        for media, required in _object_bodies(contract, operation):
            if required:
                listed = ", ".join(f"`{name}`" for name in sorted(required)[:5])
                more = ", …" if len(required) > 5 else ""
                yield Problem(
                    _schema_pointer(media),
                    f"the `{media.media_type}` body of PATCH `{operation.name}` requires "
                    f"{listed}{more}; make every property optional (a `...Update` schema)",
                )


@rule(
    "no-body-on-get-delete",
    default="error",
    good="""
    paths:
      /api/v1/carts/{cart_id}:
        delete: {operationId: deleteCart, responses: {'200': {description: OK}}}
    """,
    bad="""
    paths:
      /api/v1/carts/{cart_id}:
        delete:
          operationId: deleteCart
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {reason: {type: string}}}
          responses: {'200': {description: OK}}
    """,
    at="/paths/~1api~1v1~1carts~1{cart_id}/delete/requestBody",
)
def no_body_on_get_delete(contract: Contract) -> Iterator[Problem]:
    """GET, HEAD and DELETE operations have no `requestBody`.

    HTTP gives a body on these methods no meaning: CDNs, proxies, browsers' `fetch` and
    several client SDKs drop it or refuse to send it, and caches key GETs on the URL only, so
    two searches with different bodies get the same cached page. Filters go in the query; a
    deletion that needs a reason is a resource of its own (`POST .../cancellation`).
    """
    for operation in contract.operations:
        if operation.method in ("get", "head", "delete") and "requestBody" in operation.node:
            method = operation.method.upper()
            yield Problem(
                f"{operation.pointer}/requestBody",
                f"{method} `{operation.name}` has a `requestBody`; {method} carries no body, "
                "put filters in the query or model the action as a resource",
            )


@rule(
    "create-returns-201",
    default="warn",
    good="""
    paths:
      /api/v1/carts:
        post: {operationId: createCart, responses: {'201': {description: Created}}}
    """,
    bad="""
    paths:
      /api/v1/carts:
        post: {operationId: createCart, responses: {'200': {description: OK}}}
    """,
    at="/paths/~1api~1v1~1carts/post/responses",
)
def create_returns_201(contract: Contract) -> Iterator[Problem]:
    """A POST that creates a resource answers `201`, and only `201`, on success.

    `201 Created` tells clients, SDK generators and retry logic that something new exists
    (and where, with `Location`); a `200` beside it leaves every client to guess which one it
    will get, and an idempotent replay should repeat the original `201`, not switch codes.
    A POST creates when its operationId's first word is `create` (`createOrder`, not
    `createdOrdersReport`) or when it is on a collection path (`/orders` beside
    `/orders/{order_id}`). A missing `201` is reported at `responses`, a `200` beside it at
    that response. Actions that create nothing addressable (`refreshToken`) are out of scope.
    """
    for operation in contract.operations:
        if operation.method != "post":
            continue
        first = words(operation.operation_id or "")[:1]
        if first != ["create"] and not contract.is_collection(operation.path):
            continue
        responses = operation.responses
        if "201" not in responses:
            pointer = (
                f"{operation.pointer}/responses"
                if "responses" in operation.node
                else operation.pointer
            )
            declared = ", ".join(f"`{status}`" for status in responses) or "none"
            yield Problem(
                pointer,
                f"POST `{operation.name}` creates a resource but declares no `201` "
                f"(declared: {declared}); answer `201 Created`",
            )
        elif "200" in responses:
            yield Problem(
                f"{operation.pointer}/responses/200",
                f"POST `{operation.name}` declares `200` beside `201`; a create answers `201` "
                "only, replays included",
            )


RULES = (
    put_full_replacement,
    patch_partial_update,
    no_body_on_get_delete,
    create_returns_201,
)
