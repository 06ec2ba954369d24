"""Edge cases of the schema rules: names, status enums, and examples against their schemas."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule


def check(rule_id: str, text: str, version: str = "3.1.0") -> list[tuple[str, str]]:
    rule = get_rule(rule_id)
    assert rule is not None
    document = {"openapi": version, "info": {"title": "Shop", "version": "1"}, "paths": {}}
    document.update(yaml.safe_load(text))
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


def schemas(text: str) -> str:
    return f"components: {{schemas: {text}}}"


NAMES = [
    ("snake", schemas("{A: {properties: {created_at: {}, line_1: {}}}}"), []),
    (
        "camel",
        schemas("{A: {properties: {createdAt: {}}}}"),
        ["/components/schemas/A/properties/createdAt"],
    ),
    (
        "nested in items",
        schemas("{A: {items: {properties: {Sku: {}}}}}"),
        ["/components/schemas/A/items/properties/Sku"],
    ),
    (
        "double underscore",
        schemas("{A: {properties: {a__b: {}}}}"),
        ["/components/schemas/A/properties/a__b"],
    ),
    (
        "leading digit",
        schemas("{A: {properties: {1st: {}}}}"),
        ["/components/schemas/A/properties/1st"],
    ),
    ("a property named properties", schemas("{A: {properties: {properties: {type: object}}}}"), []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in NAMES], ids=[c[0] for c in NAMES])
def test_property_snake_case(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check("property-snake-case", text)] == expected


def test_snake_case_suggestion() -> None:
    assert check("property-snake-case", schemas("{A: {properties: {HTTPStatusCode: {}}}}")) == [
        (
            "/components/schemas/A/properties/HTTPStatusCode",
            "property `HTTPStatusCode` is not snake_case; use `http_status_code`",
        )
    ]


STATUS = [
    (
        "enum",
        schemas("{A: {properties: {status: {type: string, enum: [pending_payment, paid]}}}}"),
        [],
    ),
    (
        "enum through a ref",
        schemas(
            "{S: {type: string, enum: [ok]}, A: {properties: {status: {$ref: '#/components/schemas/S'}}}}"
        ),
        [],
    ),
    (
        "nullable enum (3.1)",
        schemas("{A: {properties: {payment_state: {type: [string, 'null'], enum: [open, null]}}}}"),
        [],
    ),
    (
        "nullable via anyOf",
        schemas(
            "{S: {type: string, enum: [ok]}, A: {properties: {status: {anyOf: [{$ref: '#/components/schemas/S'}, {type: 'null'}]}}}}"
        ),
        [],
    ),
    ("const", schemas("{A: {properties: {state: {type: string, const: done}}}}"), []),
    (
        "free string",
        schemas("{A: {properties: {order_status: {type: string}}}}"),
        ["/components/schemas/A/properties/order_status"],
    ),
    (
        "integer status",
        schemas("{A: {properties: {status: {type: integer, enum: [1, 2]}}}}"),
        ["/components/schemas/A/properties/status"],
    ),
    (
        "upper case value",
        schemas("{A: {properties: {status: {type: string, enum: [PAID]}}}}"),
        ["/components/schemas/A/properties/status"],
    ),
    ("statuses is not a status", schemas("{A: {properties: {statuses: {type: array}}}}"), []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in STATUS], ids=[c[0] for c in STATUS])
def test_status_enum(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check("status-enum", text)] == expected


def test_status_message_names_the_value() -> None:
    found = check(
        "status-enum",
        schemas("{A: {properties: {status: {type: string, enum: [paid, PartiallyRefunded]}}}}"),
    )
    assert [m for _, m in found] == [
        "`status` value `PartiallyRefunded` is not snake_case; use `partially_refunded`"
    ]


PRODUCT = "{type: object, required: [price_cents], properties: {price_cents: {type: integer}, created_at: {type: string, format: date-time}}}"
MEDIA = "/paths/~1api~1v1~1p/get/responses/200/content/application~1json"


def media(example: str, components: str = "{}") -> str:
    return f"""
paths:
  /api/v1/p:
    get:
      responses:
        '200':
          description: x
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/P'}}
              {example}
components: {{schemas: {{P: {PRODUCT}}}, {components[1:-1]}}}
"""


EXAMPLES = [
    ("valid media example", media("example: {price_cents: 100}"), []),
    ("invalid media example", media("example: {price_cents: '1.00'}"), [f"{MEDIA}/example"]),
    (
        "named examples",
        media("examples: {a: {value: {price_cents: 1}}, b: {value: {}}}"),
        [f"{MEDIA}/examples/b/value"],
    ),
    (
        "example via $ref reported where used",
        media(
            "examples: {a: {$ref: '#/components/examples/A'}}",
            "{examples: {A: {value: {price_cents: x}}}}",
        ),
        [f"{MEDIA}/examples/a"],
    ),
    (
        "format asserted",
        media("example: {price_cents: 1, created_at: yesterday}"),
        [f"{MEDIA}/example"],
    ),
    (
        "externalValue not fetched",
        media("examples: {a: {externalValue: 'https://example.com/a.json'}}"),
        [],
    ),
    (
        "schema example",
        schemas("{P: {type: integer, minimum: 0, example: -1}}"),
        ["/components/schemas/P/example"],
    ),
    (
        "schema examples list (3.1)",
        schemas("{P: {type: string, examples: [a, 1]}}"),
        ["/components/schemas/P/examples/1"],
    ),
    (
        "parameter example",
        "paths: {/api/v1/p: {get: {parameters: [{name: limit, in: query, schema: {type: integer, maximum: 100}, example: 500}], responses: {}}}}",
        ["/paths/~1api~1v1~1p/get/parameters/0/example"],
    ),
    (
        "header example",
        "components: {headers: {Retry-After: {schema: {type: integer}, example: soon}}}",
        ["/components/headers/Retry-After/example"],
    ),
    (
        "cyclic schema",
        schemas(
            "{Node: {type: object, properties: {name: {type: string}, children: {type: array, items: {$ref: '#/components/schemas/Node'}}}, example: {name: a, children: [{name: b, children: [{name: 3}]}]}}}"
        ),
        ["/components/schemas/Node/example"],
    ),
    (
        "unresolvable ref is skipped",
        schemas("{P: {$ref: '#/components/schemas/Missing', example: 1}}"),
        [],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in EXAMPLES], ids=[c[0] for c in EXAMPLES]
)
def test_examples_valid(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check("examples-valid", text)] == expected


def test_example_message_has_the_path_inside_the_example() -> None:
    found = check("examples-valid", media("example: {price_cents: '1.00'}"))
    assert found == [
        (
            f"{MEDIA}/example",
            'example is invalid at `/price_cents`: `"1.00"` is not of type `integer`',
        )
    ]


def test_openapi_30_nullable_and_int32() -> None:
    text = schemas(
        "{P: {type: object, properties: {a: {type: integer, nullable: true}, b: {type: integer, format: int32}}, example: {a: null, b: 1}}, Q: {type: integer, format: int32, example: 4294967296}}"
    )
    assert [pointer for pointer, _ in check("examples-valid", text, "3.0.3")] == [
        "/components/schemas/Q/example"
    ]
