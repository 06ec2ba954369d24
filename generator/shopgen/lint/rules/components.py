"""House rules: every component is used."""

from __future__ import annotations

from collections.abc import Iterator

from shopgen.contract import Contract, join_pointer, split_pointer

from .._rule import Problem, rule

__all__ = ["RULES"]

KINDS = (
    "schemas",
    "parameters",
    "responses",
    "requestBodies",
    "headers",
    "examples",
    "securitySchemes",
)


@rule(
    "no-unused-components",
    default="warn",
    good="""
    components:
      schemas:
        Money:
          type: object
          properties:
            amount_cents: {type: integer}
            currency: {type: string}
        ProductCreate:
          properties:
            list_price:
              $ref: '#/components/schemas/Money'
    """,
    bad="""
    components:
      schemas:
        LegacyProduct:
          type: object
          properties:
            sku: {type: string}
    """,
    at="/components/schemas/LegacyProduct",
)
def no_unused_components(contract: Contract) -> Iterator[Problem]:
    """Every schema, parameter, response, body, header, example and security scheme is used.

    An unused component is a promise nobody keeps: reviewers read it as part of the API,
    generators emit models for it, and it drifts because nothing exercises it. A component
    under `components/{schemas, parameters, responses, requestBodies, headers, examples}`
    is used when some `$ref` (in this file or a file it references) points at it or inside
    it; a security scheme is used when a security requirement, at the root or on an
    operation, names it. A component referenced only by another unused component counts as
    used until that one is removed: the next run reports it.
    """
    used: set[tuple[str, str]] = set()
    for file_key, fragment in contract.references.targets:
        if file_key:
            continue
        try:
            parts = split_pointer(fragment)
        except ValueError:
            continue
        if len(parts) >= 3 and parts[0] == "components":
            used.add((parts[1], parts[2]))
    requirements = [contract.document.get("security")]
    requirements += [op.node.get("security") for op in contract.operations]
    for listed in requirements:
        for requirement in listed if isinstance(listed, list) else []:
            if isinstance(requirement, dict):
                used.update(("securitySchemes", str(name)) for name in requirement)
    for kind in KINDS:
        for name in contract.components(kind):
            if (kind, str(name)) not in used:
                how = (
                    "named by no security requirement"
                    if kind == "securitySchemes"
                    else ("never referenced")
                )
                yield Problem(
                    join_pointer(["components", kind, str(name)]),
                    f"component `{name}` in `{kind}` is {how}; use it or remove it",
                )


RULES = (no_unused_components,)
