from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from shopgen.docs._internal import strip_internal
from shopgen.errors import UserError

from .conftest import SHOP


def shop() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SHOP)
    return document


def test_marked_operations_and_paths_are_left_out() -> None:
    stripped, removal = strip_internal(shop())
    assert list(stripped["paths"]) == ["/products", "/coupons"]
    assert list(stripped["paths"]["/coupons"]) == ["get"]
    assert removal.operations == ("POST /coupons",)
    assert removal.paths == ("/admin/reindex",)


def test_components_only_internal_parts_used_go_too() -> None:
    stripped, removal = strip_internal(shop())
    schemas = stripped["components"]["schemas"]
    assert "CouponBatch" not in schemas
    assert "BatchRule" not in schemas  # used only through CouponBatch
    assert set(schemas) == {"ProductPage", "Product", "Coupon", "Unused"}
    assert "staffToken" not in stripped["components"]["securitySchemes"]
    assert set(removal.unused) == {
        "schemas/CouponBatch",
        "schemas/BatchRule",
        "securitySchemes/staffToken",
        "tag admin",
    }


def test_tags_only_internal_operations_had_go() -> None:
    stripped, _ = strip_internal(shop())
    assert [tag["name"] for tag in stripped["tags"]] == ["products", "coupons"]


def test_marked_properties_leave_the_schema_and_its_required_list() -> None:
    stripped, removal = strip_internal(shop())
    product = stripped["components"]["schemas"]["Product"]
    assert set(product["properties"]) == {"id", "name"}
    assert product["required"] == ["id", "name"]
    assert removal.other == ("#/components/schemas/Product/properties/costCents",)


def test_the_input_document_is_not_changed() -> None:
    document = shop()
    before = copy.deepcopy(document)
    strip_internal(document)
    assert document == before


def test_nothing_marked_returns_the_same_object() -> None:
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    stripped, removal = strip_internal(document)
    assert stripped is document
    assert not removal
    assert removal.messages() == []


def test_a_marker_inside_an_example_is_data() -> None:
    document = shop()
    schema = document["components"]["schemas"]["Coupon"]
    schema["example"] = {"code": "X", "x-internal-only": True}
    schema["properties"]["code"]["default"] = {"x-internal-only": True}
    stripped, _ = strip_internal(document)
    assert stripped["components"]["schemas"]["Coupon"]["example"]["x-internal-only"] is True


def test_a_property_named_like_a_keyword_is_still_walked() -> None:
    document = shop()
    document["components"]["schemas"]["Coupon"]["properties"]["example"] = {
        "type": "object",
        "properties": {"secret": {"type": "string", "x-internal-only": True}},
    }
    stripped, _ = strip_internal(document)
    example = stripped["components"]["schemas"]["Coupon"]["properties"]["example"]
    assert example["properties"] == {}


def test_a_public_reference_to_an_internal_schema_is_an_error() -> None:
    document = shop()
    document["components"]["schemas"]["Coupon"]["properties"]["batch"] = {
        "$ref": "#/components/schemas/CouponBatch"
    }
    document["components"]["schemas"]["CouponBatch"]["x-internal-only"] = True
    with pytest.raises(UserError) as caught:
        strip_internal(document)
    message = str(caught.value)
    assert "#/components/schemas/Coupon/properties/batch" in message
    assert "`#/components/schemas/CouponBatch`" in message
    assert "--include-internal" in message


def test_reference_cycles_do_not_hang() -> None:
    document = shop()
    schemas = document["components"]["schemas"]
    schemas["Category"] = {
        "type": "object",
        "properties": {
            "parent": {"$ref": "#/components/schemas/Category"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}},
        },
    }
    schemas["BatchRule"]["properties"]["next"] = {"$ref": "#/components/schemas/BatchRule"}
    schemas["Product"]["properties"]["category"] = {"$ref": "#/components/schemas/Category"}
    stripped, removal = strip_internal(document)
    assert "Category" in stripped["components"]["schemas"]
    assert "schemas/BatchRule" in removal.unused


def test_shared_nodes_from_yaml_aliases_are_handled() -> None:
    document = yaml.safe_load(
        """
        openapi: 3.1.0
        info: {title: t, version: "1"}
        paths:
          /a:
            get: &op
              summary: shared
              responses: {"200": {description: ok}}
          /b:
            get: *op
            post:
              x-internal-only: true
              responses: {"200": {description: ok}}
        """
    )
    stripped, removal = strip_internal(document)
    assert stripped["paths"]["/a"]["get"] is stripped["paths"]["/b"]["get"]
    assert removal.operations == ("POST /b",)


def test_webhooks_are_stripped_like_paths() -> None:
    document = shop()
    document["webhooks"] = {
        "orderPaid": {"post": {"summary": "public", "responses": {"200": {"description": "ok"}}}},
        "stockAudit": {
            "post": {
                "x-internal-only": True,
                "responses": {"200": {"description": "ok"}},
            }
        },
    }
    stripped, removal = strip_internal(document)
    assert list(stripped["webhooks"]) == ["orderPaid"]
    assert "POST webhooks stockAudit" in removal.operations


def test_messages_name_what_was_left_out() -> None:
    _, removal = strip_internal(shop())
    lines = removal.messages()
    assert "left out 1 internal path: /admin/reindex" in lines
    assert "left out 1 internal operation: POST /coupons" in lines
    assert any(line.startswith("left out 4 parts used only by internal ones:") for line in lines)
