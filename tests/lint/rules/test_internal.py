"""Edge cases of internal-only-marker: internal by path or tag, and a boolean marker."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule

OP = "/paths/~1api~1v1~1internal~1reindex/post"


def check(text: str) -> list[tuple[str, str]]:
    rule = get_rule("internal-only-marker")
    assert rule is not None
    document = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}}
    document.update(yaml.safe_load(text))
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


CASES = [
    (
        "marked",
        "paths: {/api/v1/internal/reindex: {post: {x-internal-only: true, responses: {}}}}",
        [],
    ),
    (
        "marked on the path item",
        "paths: {/api/v1/internal/reindex: {x-internal-only: true, post: {responses: {}}}}",
        [],
    ),
    ("unmarked internal path", "paths: {/api/v1/internal/reindex: {post: {responses: {}}}}", [OP]),
    (
        "false is not internal-only",
        "paths: {/api/v1/internal/reindex: {post: {x-internal-only: false, responses: {}}}}",
        [OP],
    ),
    (
        "tagged Internal",
        "paths: {/api/v1/stock: {post: {tags: [Internal], responses: {}}}}",
        ["/paths/~1api~1v1~1stock/post"],
    ),
    (
        "string marker",
        "paths: {/api/v1/internal/reindex: {post: {x-internal-only: 'true', responses: {}}}}",
        [f"{OP}/x-internal-only"],
    ),
    (
        "marker on a schema property",
        "components: {schemas: {Order: {properties: {cost_cents: {type: integer, x-internal-only: 1}}}}}",
        ["/components/schemas/Order/properties/cost_cents/x-internal-only"],
    ),
    (
        "internals in a word are not internal",
        "paths: {/api/v1/internals-guide: {get: {responses: {}}}}",
        [],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_internal_cases(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check(text)] == expected


def test_messages() -> None:
    found = check(
        "paths: {/api/v1/internal/reindex: {post: {x-internal-only: 'yes', responses: {}}}}"
    )
    assert found == [
        (f"{OP}/x-internal-only", '`x-internal-only` is `"yes"`; it must be `true` or `false`')
    ]
