"""The table of change kinds: one small shop contract, one edit per case, the expected changes.

Shared by `test_kinds.py` and `reference_run.py`, which runs the reference tool on the same pairs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

BASE_YAML = """\
openapi: 3.0.3
info: {title: Shop, version: "1.0"}
paths:
  /products:
    get:
      operationId: listProducts
      security: []
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 100}}
        - {name: X-Request-Id, in: header, schema: {type: string}}
        - {name: currency, in: query, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          headers:
            X-Total-Count: {schema: {type: integer}}
          content:
            application/json:
              schema:
                type: array
                items: {$ref: "#/components/schemas/Product"}
  /categories:
    get:
      operationId: listCategories
      security: []
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Category"}
  /orders:
    post:
      operationId: createOrder
      security: [{bearer: ["orders:write"]}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/OrderCreate"}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Order"}
        "422": {description: invalid}
  /orders/{order_id}:
    parameters:
      - {name: order_id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getOrder
      security: [{bearer: ["orders:read"]}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Order"}
        "404": {description: not found}
    patch:
      operationId: updateOrder
      security: [{bearer: ["orders:write"]}]
      requestBody:
        content:
          application/json:
            schema:
              oneOf:
                - {type: object, required: [note], properties: {note: {type: string}}}
                - {type: object, required: [address], properties: {address: {type: string}}}
      responses:
        "200":
          description: updated
          content:
            application/json:
              schema:
                oneOf:
                  - {type: object, properties: {id: {type: string}}}
                  - {type: object, properties: {queued: {type: boolean}}}
    delete:
      operationId: cancelOrder
      security: [{bearer: ["orders:write"]}]
      responses:
        "204": {description: cancelled}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Product:
      type: object
      required: [id, name, price_cents]
      properties:
        id: {type: string}
        name: {type: string, maxLength: 200}
        price_cents: {type: integer}
        rating: {type: number}
    Category:
      type: object
      required: [name]
      properties:
        name: {type: string}
        children: {type: array, items: {$ref: "#/components/schemas/Category"}}
    OrderCreate:
      type: object
      required: [lines]
      properties:
        lines: {type: array, items: {$ref: "#/components/schemas/OrderLine"}}
        note: {type: string, maxLength: 500}
        channel: {type: string, enum: [web, app]}
    OrderLine:
      type: object
      required: [sku, quantity]
      properties:
        sku: {type: string}
        quantity: {type: integer, minimum: 1}
    OrderBase:
      type: object
      required: [id]
      properties:
        id: {type: string}
        lines: {type: array, items: {$ref: "#/components/schemas/OrderLine"}}
    Order:
      allOf:
        - $ref: "#/components/schemas/OrderBase"
        - type: object
          required: [status, total_cents]
          properties:
            status: {type: string, enum: [pending, paid, shipped]}
            total_cents: {type: integer}
            tracking: {type: string}
"""

Document = dict[str, Any]
Expected = frozenset[tuple[str, bool]]


@dataclass(frozen=True)
class Case:
    id: str
    edit: Callable[[Document], None]
    expected: Expected

    def documents(self) -> tuple[Document, Document]:
        old = base()
        new = copy.deepcopy(old)
        self.edit(new)
        return old, new


def base() -> Document:
    document: Document = yaml.safe_load(BASE_YAML)
    return document


def _schema(d: Document, name: str) -> Document:
    schema: Document = d["components"]["schemas"][name]
    return schema


def _op(d: Document, path: str, method: str) -> Document:
    op: Document = d["paths"][path][method]
    return op


def _order_extra(d: Document) -> Document:
    member: Document = _schema(d, "Order")["allOf"][1]
    return member


def _patch_body(d: Document) -> Document:
    schema: Document = _op(d, "/orders/{order_id}", "patch")["requestBody"]["content"][
        "application/json"
    ]["schema"]
    return schema


def _rename_path_param(d: Document) -> None:
    item = d["paths"].pop("/orders/{order_id}")
    item["parameters"][0]["name"] = "id"
    d["paths"]["/orders/{id}"] = item


def _set(
    target: Callable[[Document], Document], key: str, value: Any
) -> Callable[[Document], None]:
    def edit(d: Document) -> None:
        target(d)[key] = value

    return edit


def _do(*steps: Callable[[Document], Any]) -> Callable[[Document], None]:
    def edit(d: Document) -> None:
        for step in steps:
            step(d)

    return edit


def _props(name: str) -> Callable[[Document], Document]:
    return lambda d: _schema(d, name)["properties"]


def _kinds(*pairs: tuple[str, bool]) -> Expected:
    return frozenset(pairs)


B, OK = True, False

CASES: tuple[Case, ...] = (
    Case("no-change", lambda d: None, _kinds()),
    Case(
        "operation-removed",
        lambda d: d["paths"]["/orders/{order_id}"].pop("delete"),
        _kinds(("operation-removed", B)),
    ),
    Case("path-removed", lambda d: d["paths"].pop("/products"), _kinds(("path-removed", B))),
    Case(
        "operation-added",
        _set(
            lambda d: d["paths"]["/orders/{order_id}"],
            "put",
            {"operationId": "replaceOrder", "responses": {"200": {"description": "ok"}}},
        ),
        _kinds(("operation-added", OK)),
    ),
    Case("path-param-renamed", _rename_path_param, _kinds()),
    Case(
        "operation-id-changed",
        _set(lambda d: _op(d, "/orders", "post"), "operationId", "placeOrder"),
        _kinds(("operation-id-changed", B)),
    ),
    Case(
        "operation-deprecated",
        _set(lambda d: _op(d, "/orders", "post"), "deprecated", True),
        _kinds(("operation-deprecated", OK)),
    ),
    Case(
        "response-status-removed",
        lambda d: _op(d, "/orders/{order_id}", "get")["responses"].pop("200"),
        _kinds(("response-status-removed", B)),
    ),
    Case(
        "error-response-status-removed",
        lambda d: _op(d, "/orders/{order_id}", "get")["responses"].pop("404"),
        _kinds(("error-response-status-removed", OK)),
    ),
    Case(
        "response-status-added",
        _set(lambda d: _op(d, "/orders", "post")["responses"], "409", {"description": "dup"}),
        _kinds(("response-status-added", OK)),
    ),
    Case(
        "response-media-type-removed",
        lambda d: _op(d, "/products", "get")["responses"]["200"].update(
            content={"text/csv": {"schema": {"type": "string"}}}
        ),
        _kinds(("response-media-type-removed", B), ("response-media-type-added", OK)),
    ),
    Case(
        "response-property-removed-allof",
        lambda d: _order_extra(d)["properties"].pop("tracking"),
        _kinds(("response-property-removed", B)),
    ),
    Case(
        "response-property-renamed",
        lambda d: _props("Product")(d).update(
            title=_props("Product")(d).pop("rating"),
        ),
        _kinds(("response-property-renamed", B)),
    ),
    Case(
        "response-property-added",
        _set(_props("Product"), "description", {"type": "string"}),
        _kinds(("response-property-added", OK)),
    ),
    Case(
        "response-property-became-optional",
        _set(lambda d: _schema(d, "Product"), "required", ["id", "name"]),
        _kinds(("response-property-became-optional", B)),
    ),
    Case(
        "response-property-became-required",
        _set(lambda d: _schema(d, "Product"), "required", ["id", "name", "price_cents", "rating"]),
        _kinds(("response-property-became-required", OK)),
    ),
    Case(
        "response-property-became-nullable",
        lambda d: _props("Product")(d)["name"].update(nullable=True),
        _kinds(("response-property-became-nullable", B)),
    ),
    Case(
        "response-type-widened",
        _set(_props("Product"), "price_cents", {"type": "string"}),
        _kinds(("response-type-widened", B)),
    ),
    Case(
        "response-type-narrowed",
        _set(_props("Product"), "rating", {"type": "integer"}),
        _kinds(("response-type-narrowed", OK)),
    ),
    Case(
        "response-enum-value-added",
        lambda d: _order_extra(d)["properties"]["status"]["enum"].append("refunded"),
        _kinds(("enum-value-added-response", B)),
    ),
    Case(
        "response-enum-value-removed",
        lambda d: _order_extra(d)["properties"]["status"]["enum"].remove("shipped"),
        _kinds(("enum-value-removed-response", OK)),
    ),
    Case(
        "response-constraint-loosened",
        lambda d: _props("Product")(d)["name"].update(maxLength=500),
        _kinds(("response-constraint-loosened", B)),
    ),
    Case(
        "request-enum-value-added",
        lambda d: _props("OrderCreate")(d)["channel"]["enum"].append("pos"),
        _kinds(("enum-value-added-request", OK)),
    ),
    Case(
        "request-enum-value-removed",
        lambda d: _props("OrderCreate")(d)["channel"]["enum"].remove("app"),
        _kinds(("enum-value-removed-request", B)),
    ),
    Case(
        "request-property-added-required",
        _do(
            _set(_props("OrderCreate"), "currency", {"type": "string"}),
            _set(lambda d: _schema(d, "OrderCreate"), "required", ["lines", "currency"]),
        ),
        _kinds(("request-property-added-required", B)),
    ),
    Case(
        "request-property-added",
        _set(_props("OrderCreate"), "coupon", {"type": "string"}),
        _kinds(("request-property-added", OK)),
    ),
    Case(
        "request-property-removed",
        lambda d: _props("OrderCreate")(d).pop("note"),
        _kinds(("request-property-removed", B)),
    ),
    Case(
        "request-property-became-required",
        _set(lambda d: _schema(d, "OrderCreate"), "required", ["lines", "note"]),
        _kinds(("request-property-became-required", B)),
    ),
    Case(
        "request-property-became-optional",
        lambda d: _schema(d, "OrderCreate").pop("required"),
        _kinds(("request-property-became-optional", OK)),
    ),
    Case(
        "request-type-narrowed",
        _set(_props("OrderCreate"), "note", {"type": "integer"}),
        _kinds(("request-type-narrowed", B)),
    ),
    Case(
        "request-type-widened-nullable",
        lambda d: _props("OrderCreate")(d)["note"].update(nullable=True),
        _kinds(("request-type-widened", OK)),
    ),
    Case(
        "request-constraint-tightened",
        lambda d: _props("OrderCreate")(d)["note"].update(maxLength=100),
        _kinds(("request-constraint-tightened", B)),
    ),
    Case(
        "request-constraint-loosened",
        lambda d: _props("OrderCreate")(d)["note"].update(maxLength=1000),
        _kinds(("request-constraint-loosened", OK)),
    ),
    Case(
        "shared-component-both-directions",
        lambda d: _props("OrderLine")(d)["quantity"].pop("minimum"),
        _kinds(("request-constraint-loosened", OK), ("response-constraint-loosened", B)),
    ),
    Case(
        "cyclic-schema-property-added",
        _set(_props("Category"), "slug", {"type": "string"}),
        _kinds(("response-property-added", OK)),
    ),
    Case(
        "query-parameter-added-required",
        lambda d: _op(d, "/products", "get")["parameters"].append(
            {"name": "category", "in": "query", "required": True, "schema": {"type": "string"}}
        ),
        _kinds(("parameter-added-required", B)),
    ),
    Case(
        "query-parameter-added",
        lambda d: _op(d, "/products", "get")["parameters"].append(
            {"name": "cursor", "in": "query", "schema": {"type": "string"}}
        ),
        _kinds(("parameter-added", OK)),
    ),
    Case(
        "query-parameter-became-required",
        lambda d: _op(d, "/products", "get")["parameters"][0].update(required=True),
        _kinds(("parameter-became-required", B)),
    ),
    Case(
        "query-parameter-maximum-lowered",
        lambda d: _op(d, "/products", "get")["parameters"][0]["schema"].update(maximum=50),
        _kinds(("request-constraint-tightened", B)),
    ),
    Case(
        "header-parameter-removed",
        lambda d: _op(d, "/products", "get")["parameters"].pop(1),
        _kinds(("parameter-removed", B)),
    ),
    Case(
        "path-parameter-type-narrowed",
        lambda d: d["paths"]["/orders/{order_id}"]["parameters"][0].update(
            schema={"type": "integer"}
        ),
        _kinds(("request-type-narrowed", B)),
    ),
    Case(
        "request-body-became-optional",
        lambda d: _op(d, "/orders", "post")["requestBody"].update(required=False),
        _kinds(("request-body-became-optional", OK)),
    ),
    Case(
        "request-body-added-required",
        _set(
            lambda d: _op(d, "/orders/{order_id}", "delete"),
            "requestBody",
            {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
        ),
        _kinds(("request-body-added-required", B)),
    ),
    Case(
        "request-media-type-replaced",
        lambda d: _op(d, "/orders", "post")["requestBody"].update(
            content={"application/xml": {"schema": {"type": "object"}}}
        ),
        _kinds(("request-media-type-removed", B), ("request-media-type-added", OK)),
    ),
    Case(
        "security-added-on-public",
        _set(lambda d: _op(d, "/products", "get"), "security", [{"bearer": []}]),
        _kinds(("security-added", B)),
    ),
    Case(
        "security-scopes-added",
        _set(
            lambda d: _op(d, "/orders", "post"),
            "security",
            [{"bearer": ["orders:write", "orders:admin"]}],
        ),
        _kinds(("security-scopes-added", B)),
    ),
    Case(
        "security-removed",
        _set(lambda d: _op(d, "/orders/{order_id}", "get"), "security", []),
        _kinds(("security-removed", OK)),
    ),
    Case(
        "security-alternative-added",
        _do(
            _set(
                lambda d: d["components"]["securitySchemes"],
                "apiKey",
                {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            ),
            _set(
                lambda d: _op(d, "/orders/{order_id}", "get"),
                "security",
                [{"bearer": ["orders:read"]}, {"apiKey": []}],
            ),
        ),
        _kinds(("security-loosened", OK)),
    ),
    Case(
        "security-requirement-changed",
        _do(
            _set(
                lambda d: d["components"]["securitySchemes"],
                "apiKey",
                {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            ),
            _set(lambda d: _op(d, "/orders", "post"), "security", [{"apiKey": []}]),
        ),
        _kinds(("security-requirement-changed", B)),
    ),
    Case(
        "security-scheme-changed",
        _set(
            lambda d: d["components"]["securitySchemes"],
            "bearer",
            {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
        ),
        _kinds(("security-scheme-changed", B)),
    ),
    Case(
        "response-variant-added",
        _set(
            lambda d: _op(d, "/products", "get")["responses"]["200"]["content"]["application/json"][
                "schema"
            ],
            "items",
            {
                "oneOf": [
                    {"$ref": "#/components/schemas/Product"},
                    {"$ref": "#/components/schemas/OrderLine"},
                ]
            },
        ),
        _kinds(("response-variant-added", B)),
    ),
    Case(
        "query-parameter-became-optional",
        lambda d: _op(d, "/products", "get")["parameters"][2].update(required=False),
        _kinds(("parameter-became-optional", OK)),
    ),
    Case(
        "request-body-added",
        _set(
            lambda d: _op(d, "/orders/{order_id}", "delete"),
            "requestBody",
            {"content": {"application/json": {"schema": {"type": "object"}}}},
        ),
        _kinds(("request-body-added", OK)),
    ),
    Case(
        "request-body-became-required",
        lambda d: _op(d, "/orders/{order_id}", "patch")["requestBody"].update(required=True),
        _kinds(("request-body-became-required", B)),
    ),
    Case(
        "request-body-removed",
        lambda d: _op(d, "/orders/{order_id}", "patch").pop("requestBody"),
        _kinds(("request-body-removed", B)),
    ),
    Case(
        "request-variant-removed",
        lambda d: _patch_body(d)["oneOf"].pop(1),
        _kinds(("request-variant-removed", B)),
    ),
    Case(
        "request-variant-added",
        lambda d: _patch_body(d)["oneOf"].append(
            {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}
        ),
        _kinds(("request-variant-added", OK)),
    ),
    Case(
        "response-variant-removed",
        lambda d: _op(d, "/orders/{order_id}", "patch")["responses"]["200"]["content"][
            "application/json"
        ]["schema"]["oneOf"].pop(1),
        _kinds(("response-variant-removed", OK)),
    ),
    Case(
        "response-constraint-tightened",
        lambda d: _props("Product")(d)["name"].update(maxLength=100),
        _kinds(("response-constraint-tightened", OK)),
    ),
    Case(
        "response-header-removed",
        lambda d: _op(d, "/products", "get")["responses"]["200"].pop("headers"),
        _kinds(("response-header-removed", B)),
    ),
)
