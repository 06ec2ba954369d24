"""Edge cases of no-unused-components: refs into a component, security schemes, other files."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule


def check(text: str) -> list[tuple[str, str]]:
    rule = get_rule("no-unused-components")
    assert rule is not None
    document = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}, "paths": {}}
    document.update(yaml.safe_load(text))
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


USE = "paths: {/api/v1/a: {get: {responses: {'200': {description: x, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}}}}}"
CASES = [
    ("used", f"{USE}\ncomponents: {{schemas: {{A: {{}}}}}}", []),
    ("unused", f"{USE}\ncomponents: {{schemas: {{A: {{}}, B: {{}}}}}}", ["/components/schemas/B"]),
    (
        "ref into a component uses it",
        f"{USE}\ncomponents: {{schemas: {{A: {{properties: {{s: {{$ref: '#/components/schemas/B/properties/x'}}}}}}, B: {{properties: {{x: {{}}}}}}}}}}",
        [],
    ),
    (
        "security scheme used at the root",
        "security: [{bearer: []}]\ncomponents: {securitySchemes: {bearer: {type: http, scheme: bearer}}}",
        [],
    ),
    (
        "security scheme unused",
        "components: {securitySchemes: {bearer: {type: http, scheme: bearer}}}",
        ["/components/securitySchemes/bearer"],
    ),
    ("unused example", "components: {examples: {Mug: {value: 1}}}", ["/components/examples/Mug"]),
    ("names with a slash", "components: {schemas: {a/b: {}}}", ["/components/schemas/a~1b"]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_unused_cases(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check(text)] == expected


def test_message() -> None:
    assert check("components: {parameters: {page: {name: page, in: query}}}") == [
        (
            "/components/parameters/page",
            "component `page` in `parameters` is never referenced; use it or remove it",
        )
    ]
