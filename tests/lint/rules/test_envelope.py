"""Edge cases of response-envelope: what counts as JSON, bodiless statuses, composed schemas."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule

RESPONSES = "/paths/~1api~1v1~1orders/post/responses"
ENVELOPE = "{type: object, required: [code, data, msg], properties: {code: {type: integer}, data: {}, msg: {type: string}}}"


def check(responses: str, components: str = "{}") -> list[tuple[str, str]]:
    rule = get_rule("response-envelope")
    assert rule is not None
    document = yaml.safe_load(f"""
openapi: 3.1.0
info: {{title: Shop, version: '1'}}
paths:
  /api/v1/orders:
    post:
      responses: {responses}
components: {components}
""")
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


def body(media_type: str, schema: str) -> str:
    return f"{{description: x, content: {{'{media_type}': {{schema: {schema}}}}}}}"


CASES = [
    ("envelope", f"{{'201': {body('application/json', ENVELOPE)}}}", []),
    (
        "problem+json is JSON",
        f"{{'400': {body('application/problem+json', '{type: object, properties: {title: {type: string}}}')}}}",
        [f"{RESPONSES}/400"],
    ),
    (
        "json with charset",
        f"{{'201': {body('application/json; charset=utf-8', '{type: string}')}}}",
        [f"{RESPONSES}/201"],
    ),
    ("text is not JSON", f"{{'200': {body('text/csv', '{type: string}')}}}", []),
    ("204 without body", "{'204': {description: Deleted}}", []),
    ("204 with a body", f"{{'204': {body('application/json', ENVELOPE)}}}", [f"{RESPONSES}/204"]),
    (
        "no schema",
        "{'200': {description: x, content: {application/json: {}}}}",
        [f"{RESPONSES}/200"],
    ),
    (
        "code as string",
        f"{{'200': {body('application/json', ENVELOPE.replace('code: {type: integer}', 'code: {type: string}'))}}}",
        [f"{RESPONSES}/200"],
    ),
    (
        "oneOf of envelopes",
        f"{{'200': {body('application/json', '{oneOf: [' + ENVELOPE + ', ' + ENVELOPE + ']}')}}}",
        [],
    ),
    (
        "oneOf with a bare branch",
        f"{{'200': {body('application/json', '{oneOf: [' + ENVELOPE + ', {type: object}]}')}}}",
        [f"{RESPONSES}/200"],
    ),
]


@pytest.mark.parametrize(
    ("responses", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_envelope_cases(responses: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check(responses)] == expected


def test_shared_response_is_reported_where_used() -> None:
    found = check(
        "{'409': {$ref: '#/components/responses/Conflict'}}",
        "{responses: {Conflict: {description: x, content: {application/json: {schema: {type: object}}}}}}",
    )
    assert found == [
        (
            f"{RESPONSES}/409",
            "`409` `application/json` is not the envelope: `code`, `data`, `msg` not required; "
            "JSON responses are `{code: integer, data, msg: string}`",
        )
    ]


def test_envelope_through_all_of_and_refs() -> None:
    components = f"{{schemas: {{Envelope: {ENVELOPE}, Order: {{type: object}}}}}}"
    schema = "{allOf: [{$ref: '#/components/schemas/Envelope'}, {properties: {data: {$ref: '#/components/schemas/Order'}}}]}"
    assert check(f"{{'201': {body('application/json', schema)}}}", components) == []


def test_bodiless_message() -> None:
    assert check(f"{{'204': {body('application/json', ENVELOPE)}}}") == [
        (f"{RESPONSES}/204", "`204` declares `content`; a `204` response has no body")
    ]
