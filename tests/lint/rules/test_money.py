"""Edge cases of money-integer-minor-units: which names are money, nullable amounts, currency."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule
from shopgen.lint.rules.money import is_money_name

LINE = "/components/schemas/Line"


def check(schemas: str, version: str = "3.1.0") -> list[tuple[str, str]]:
    rule = get_rule("money-integer-minor-units")
    assert rule is not None
    document = yaml.safe_load(f"""
openapi: {version}
info: {{title: Shop, version: '1'}}
paths: {{}}
components:
  schemas: {schemas}
""")
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


@pytest.mark.parametrize(
    ("name", "money"),
    [
        ("price_cents", True),
        ("total_cents", True),
        ("total_price", True),
        ("unitPrice", True),
        ("amount_fen", True),
        ("refund_minor", True),
        ("shipping_fee", True),
        ("balance", True),
        ("total", False),
        ("tax_rate", False),
        ("discount_code", False),
        ("price_list_id", False),
        ("quantity", False),
        ("prices", False),
    ],
)
def test_money_names(name: str, money: bool) -> None:
    assert is_money_name(name) is money


CASES = [
    (
        "integer with currency",
        "{Line: {type: object, properties: {price_cents: {type: integer}, currency: {type: string}}}}",
        [],
    ),
    (
        "pagination total is not money",
        "{Page: {type: object, properties: {total: {type: integer}, items: {type: array}}}}",
        [],
    ),
    (
        "nullable integer (3.1)",
        "{Line: {type: object, properties: {fee_cents: {type: [integer, 'null']}, currency: {type: string}}}}",
        [],
    ),
    (
        "nullable via anyOf",
        "{Line: {type: object, properties: {fee_cents: {anyOf: [{type: integer}, {type: 'null'}]}, currency: {type: string}}}}",
        [],
    ),
    (
        "integer through a ref",
        "{Cents: {type: integer}, Line: {type: object, properties: {price_cents: {$ref: '#/components/schemas/Cents'}, currency: {type: string}}}}",
        [],
    ),
    (
        "number",
        "{Line: {type: object, properties: {price: {type: number}, currency: {type: string}}}}",
        [f"{LINE}/properties/price"],
    ),
    (
        "decimal string",
        "{Line: {type: object, properties: {total_price: {type: string}, currency: {type: string}}}}",
        [f"{LINE}/properties/total_price"],
    ),
    (
        "untyped",
        "{Line: {type: object, properties: {amount: {}, currency: {type: string}}}}",
        [f"{LINE}/properties/amount"],
    ),
    (
        "object holding money is skipped",
        "{Line: {type: object, properties: {price: {type: object, properties: {amount_cents: {type: integer}, currency: {type: string}}}}}}",
        [],
    ),
    ("no currency", "{Line: {type: object, properties: {price_cents: {type: integer}}}}", [LINE]),
    (
        "currency from the allOf it belongs to",
        "{Priced: {allOf: [{$ref: '#/components/schemas/Base'}, {properties: {price_cents: {type: integer}}}]}, Base: {type: object, properties: {currency: {type: string}}}}",
        [],
    ),
    (
        "cyclic schema",
        "{Line: {type: object, properties: {parent: {$ref: '#/components/schemas/Line'}, price_cents: {type: integer}, currency: {type: string}}}}",
        [],
    ),
]


@pytest.mark.parametrize(("schemas", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_money_cases(schemas: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check(schemas)] == expected


def test_nullable_integer_in_openapi_30() -> None:
    schemas = "{Line: {type: object, properties: {fee_cents: {type: integer, nullable: true}, currency: {type: string}}}}"
    assert check(schemas, "3.0.3") == []


def test_messages() -> None:
    found = check("{Line: {type: object, properties: {price: {type: number}}}}")
    assert sorted(found) == [
        (
            LINE,
            "`price` has no `currency` beside it; add `currency` (ISO 4217, `^[A-Z]{3}$`) to this object",
        ),
        (
            f"{LINE}/properties/price",
            "`price` is `number`; money is an integer of minor units (cents, fen): "
            "use `price_cents: integer`",
        ),
    ]
