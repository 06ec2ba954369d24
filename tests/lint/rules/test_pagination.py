"""Edge cases of list-pagination: which GETs are lists, and what a page must hold."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule

OP = "/paths/~1api~1v1~1products/get"
MEDIA = f"{OP}/responses/200/content/application~1json"


def check(text: str) -> list[tuple[str, str]]:
    rule = get_rule("list-pagination")
    assert rule is not None
    document = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}}
    document.update(yaml.safe_load(text))
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


def listing(params: str, data: str, operation_id: str = "listProducts") -> str:
    return f"""
paths:
  /api/v1/products:
    get:
      operationId: {operation_id}
      parameters: {params}
      responses:
        '200':
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [code, data, msg]
                properties:
                  code: {{type: integer}}
                  msg: {{type: string}}
                  data: {data}
"""


PAGE = "[{name: page, in: query, schema: {type: integer}}, {name: limit, in: query, schema: {type: integer, maximum: 100}}]"
CURSOR = "[{name: cursor, in: query, schema: {type: string}}, {name: limit, in: query, schema: {type: integer, maximum: 50}}]"
PAGE_DATA = "{type: object, properties: {items: {type: array}, total: {type: integer}}}"
CURSOR_DATA = (
    "{type: object, properties: {items: {type: array}, next_cursor: {type: [string, 'null']}}}"
)

CASES = [
    ("page paging", listing(PAGE, PAGE_DATA), []),
    ("cursor paging", listing(CURSOR, CURSOR_DATA), []),
    ("cursor paging needs next_cursor", listing(CURSOR, PAGE_DATA), [MEDIA]),
    ("page paging needs total", listing(PAGE, CURSOR_DATA), [MEDIA]),
    (
        "nullable total is still a count",
        listing(PAGE, PAGE_DATA.replace("integer", "[integer, 'null']")),
        [],
    ),
    (
        "string total",
        listing(PAGE, PAGE_DATA.replace("{type: integer}", "{type: string}")),
        [MEDIA],
    ),
    ("items not an array", listing(PAGE, PAGE_DATA.replace("array", "object")), [MEDIA]),
    ("no limit", listing("[{name: page, in: query, schema: {type: integer}}]", PAGE_DATA), [OP]),
    (
        "limit without maximum",
        listing(
            "[{name: page, in: query}, {name: limit, in: query, schema: {type: integer}}]",
            PAGE_DATA,
        ),
        [f"{OP}/parameters/1"],
    ),
    (
        "limit as string",
        listing(
            "[{name: page, in: query}, {name: limit, in: query, schema: {type: string, maximum: 5}}]",
            PAGE_DATA,
        ),
        [f"{OP}/parameters/1"],
    ),
    (
        "exclusiveMaximum 101 allows 100",
        listing(
            "[{name: page, in: query}, {name: limit, in: query, schema: {type: integer, exclusiveMaximum: 101}}]",
            PAGE_DATA,
        ),
        [],
    ),
    (
        "neither page nor cursor",
        listing("[{name: limit, in: query, schema: {type: integer, maximum: 100}}]", PAGE_DATA),
        [OP],
    ),
    ("not a list by name, no item path", listing("[]", "{}", "searchProducts"), []),
    ("listing is not list", listing("[]", "{}", "listingsReport"), []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pagination_cases(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check(text)] == expected


def test_collection_path_is_a_list_whatever_its_operation_id() -> None:
    text = (
        listing("[]", PAGE_DATA, "browseProducts")
        + """
  /api/v1/products/{product_id}:
    get:
      responses: {'200': {description: OK}}
"""
    )
    messages = [message for _, message in check(text)]
    assert messages == [
        "list `browseProducts` has no `limit` query parameter; declare `limit: integer` with "
        "`maximum` ≤ 100",
        "list `browseProducts` takes neither `page` nor `cursor`; declare one as a query parameter",
    ]


def test_total_is_data_narrowed_through_all_of() -> None:
    text = """
paths:
  /api/v1/products:
    get:
      operationId: listProducts
      parameters:
        - {name: page, in: query, schema: {type: integer}}
        - {name: limit, in: query, schema: {type: integer, maximum: 100}}
      responses:
        '200':
          description: A page.
          content:
            application/json:
              schema:
                allOf:
                  - $ref: '#/components/schemas/Envelope'
                  - properties: {data: {$ref: '#/components/schemas/Page'}}
components:
  schemas:
    Envelope: {type: object, properties: {code: {type: integer}, data: {}, msg: {type: string}}}
    Page: {type: object, properties: {items: {type: array}, total: {type: integer}}}
"""
    assert check(text) == []


def test_limit_message_names_the_value() -> None:
    text = listing(
        "[{name: page, in: query}, {name: limit, in: query, schema: {type: integer, maximum: 500}}]",
        PAGE_DATA,
    )
    assert check(text) == [
        (f"{OP}/parameters/1", "`limit` allows `500`; the maximum is 100 or less")
    ]
