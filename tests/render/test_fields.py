from __future__ import annotations

from typing import Any

import pytest

from shopgen.contract import Contract, load_contract
from shopgen.errors import UserError
from shopgen.render._fields import collect_fields
from shopgen.render._payloads import payload_blocks
from shopgen.resources import bundled_contract, specs_dir


def _contract(product: dict[str, Any], create: dict[str, Any] | None = None) -> dict[str, Any]:
    """A contract whose getProduct answers `product` and whose createProduct takes `create`."""

    def envelope(schema: str) -> dict[str, Any]:
        data = {"$ref": f"#/components/schemas/{schema}"}
        return {"content": {"application/json": {"schema": {"properties": {"data": data}}}}}

    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/New"}}}}
    return {
        "paths": {
            "/products": {
                "post": {
                    "operationId": "createProduct",
                    "requestBody": body,
                    "responses": {"201": envelope("Product")},
                }
            },
            "/products/{id}": {
                "get": {"operationId": "getProduct", "responses": {"200": envelope("Product")}}
            },
        },
        "components": {
            "schemas": {
                "Product": {"type": "object", **product},
                "New": {"type": "object", **(create or {"properties": {}})},
            }
        },
    }


def test_the_canonical_contract_adds_nothing() -> None:
    fields = collect_fields(load_contract(bundled_contract()))
    assert {table: f.columns for table, f in fields.items()} == {
        "products": (),
        "users": (),
        "orders": (),
        "order_items": (),
        "payments": (),
        "shopify_deliveries": (),
        "product_variants": (),
        "addresses": (),
        "refunds": (),
        "refund_items": (),
        "shipments": (),
        "shipment_items": (),
    }


def test_coupons_adds_brand_weight_and_tags_to_products() -> None:
    contract = specs_dir() / "examples" / "coupons.openapi.yaml"
    products = collect_fields(load_contract(contract))["products"]
    assert [c.mapped_line for c in products.columns] == [
        "brand: Mapped[str | None] = mapped_column(String(100))",
        "weight_grams: Mapped[int | None] = mapped_column(BigInteger)",
        'tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")',
    ]
    assert products.writable == ("brand", "tags", "weight_grams")
    assert products.json_valued == ("tags",)
    # The replace body requires all three, and its example shows values for them.
    assert set(products.payloads["replaceProduct"]) == {"brand", "weight_grams", "tags"}


@pytest.mark.parametrize(
    ("schema", "line"),
    [
        ({"type": "string", "maxLength": 40}, "x: Mapped[str] = mapped_column(String(40), "),
        ({"type": "string"}, "x: Mapped[str] = mapped_column(Text, "),
        ({"type": "string", "maxLength": 1000}, "x: Mapped[str] = mapped_column(Text, "),
        ({"type": "string", "enum": ["a", "bbb"]}, "x: Mapped[str] = mapped_column(String(3), "),
        # The service takes any int64 where no format narrows it: only 32-bit fits Integer.
        ({"type": "integer"}, "x: Mapped[int] = mapped_column(BigInteger, "),
        ({"type": "integer", "format": "int32"}, "x: Mapped[int] = mapped_column(Integer, "),
        (
            {"type": "integer", "minimum": 0, "maximum": 99},
            "x: Mapped[int] = mapped_column(Integer, ",
        ),
        ({"type": "integer", "format": "int64"}, "x: Mapped[int] = mapped_column(BigInteger, "),
        ({"type": "integer", "maximum": 2**40}, "x: Mapped[int] = mapped_column(BigInteger, "),
        ({"type": "number"}, "x: Mapped[float] = mapped_column(Float, "),
        ({"type": "boolean"}, "x: Mapped[bool] = mapped_column(Boolean, "),
        ({"type": "string", "format": "date"}, "x: Mapped[date] = mapped_column(Date)"),
        (
            {"type": "string", "format": "date-time"},
            "x: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)",
        ),
        ({"type": "object"}, "x: Mapped[dict[str, Any]] = mapped_column(JSON, "),
        ({"type": "array", "items": {}}, "x: Mapped[list[Any]] = mapped_column(JSON, "),
        ({"type": ["string", "null"]}, "x: Mapped[str | None] = mapped_column(Text)"),
        (
            {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "x: Mapped[int | None] = mapped_column(BigInteger)",
        ),
    ],
    ids=repr,
)
def test_json_schema_types_map_to_columns(schema: dict[str, Any], line: str) -> None:
    document = _contract({"required": ["x"], "properties": {"x": schema}})
    (column,) = collect_fields(Contract.from_document(document))["products"].columns
    assert column.mapped_line.startswith(line)


def test_a_non_null_column_defaults_to_the_contract_default_or_zero() -> None:
    product = {
        "required": ["a", "b", "c"],
        "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"}, "c": {"type": "string"}},
    }
    create = {"properties": {"c": {"type": "string", "default": "tea"}}}
    columns = collect_fields(Contract.from_document(_contract(product, create)))["products"].columns
    assert [c.migration_line for c in columns] == [
        'sa.Column("a", sa.BigInteger(), server_default="0", nullable=False),',
        'sa.Column("b", sa.Boolean(), server_default=sa.text("false"), nullable=False),',
        'sa.Column("c", sa.Text(), server_default="tea", nullable=False),',
    ]
    assert [c.writable for c in columns] == [False, False, True]


def test_a_field_the_response_may_omit_is_nullable() -> None:
    document = _contract({"properties": {"x": {"type": "integer"}}})
    (column,) = collect_fields(Contract.from_document(document))["products"].columns
    assert column.nullable


def test_required_request_fields_get_test_payloads() -> None:
    product = {"required": ["grade"], "properties": {"grade": {"type": "string"}}}
    create = {
        "required": ["grade", "origin"],
        "properties": {
            "grade": {"type": "string", "enum": ["A", "B"]},
            "origin": {"type": "string", "minLength": 3},
            "note": {"type": "string"},
        },
    }
    fields = collect_fields(Contract.from_document(_contract(product, create)))
    assert fields["products"].payloads["createProduct"] == {"grade": "A", "origin": "xxx"}
    assert 'CREATE_PRODUCT: dict[str, Any] = {\n    "grade": "A",\n' in payload_blocks(fields)[0]


def test_a_field_that_cannot_be_a_column_is_refused() -> None:
    document = _contract({"properties": {"metadata": {"type": "object"}}})
    with pytest.raises(UserError, match="`metadata` of Product cannot be a column"):
        collect_fields(Contract.from_document(document))
