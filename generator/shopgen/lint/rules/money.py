"""House rules: money is an integer of minor units, beside its currency."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from shopgen.contract import Contract

from .._rule import Problem, rule

__all__ = ["RULES"]

MONEY_WORDS = frozenset(
    {"price", "amount", "cost", "fee", "tax", "discount", "subtotal", "balance"}
)
MINOR_UNIT_SUFFIXES = ("_cents", "_fen", "_minor")
# A last word that makes a money word a qualifier of something else: `discount_code`,
# `tax_rate`, `price_list_id` are not amounts.
NOT_AN_AMOUNT = frozenset(
    {
        "id",
        "ids",
        "code",
        "codes",
        "type",
        "kind",
        "rate",
        "percent",
        "percentage",
        "bps",
        "name",
        "label",
        "description",
        "status",
        "state",
        "reason",
        "url",
        "currency",
        "mode",
        "model",
        "plan",
        "tier",
        "tiers",
        "period",
        "interval",
        "schedule",
        "version",
        "method",
        "policy",
        "rule",
        "rules",
        "exempt",
        "included",
        "inclusive",
    }
)
# Composite or flag schemas hold or qualify money but are not an amount themselves; the
# amounts inside an object are checked where they are written.
NOT_SCALAR = frozenset({"object", "array", "boolean"})
_HINT = re.compile("|".join([*MONEY_WORDS, *MINOR_UNIT_SUFFIXES]), re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@cache
def is_money_name(name: str) -> bool:
    """`price_cents`, `total_price`, `unitPrice` are money; `total`, `tax_rate` are not."""
    if not _HINT.search(name):
        return False
    lowered = name.lower()
    if lowered.endswith(MINOR_UNIT_SUFFIXES):
        return True
    words = [w for w in re.split(r"[_\-\s]+", _CAMEL.sub("_", name).lower()) if w]
    if not words or words[-1] in NOT_AN_AMOUNT:
        return False
    return any(word in MONEY_WORDS for word in words)


@rule(
    "money-integer-minor-units",
    default="error",
    good="""
    components:
      schemas:
        Refund:
          type: object
          properties:
            amount_cents: {type: integer, minimum: 0}
            fee_cents: {type: [integer, 'null']}
            currency: {type: string, pattern: '^[A-Z]{3}$'}
            tax_rate: {type: string}
            total: {type: integer}
    """,
    bad="""
    components:
      schemas:
        Product:
          properties:
            price_cents: {type: number, format: float}
    """,
    at="/components/schemas/Product/properties/price_cents",
)
def money_integer_minor_units(contract: Contract) -> Iterator[Problem]:
    """Money is an integer of minor units (cents, fen) in an object that names its currency.

    `0.1 + 0.2 != 0.3` in every client language, and a decimal string invites each client to
    round its own way: totals then disagree by a cent between the app, the receipt and the
    ledger, and WeChat Pay and Stripe both take integer minor units anyway. A property is
    money when its name ends in `_cents`, `_fen` or `_minor`, or when one of its words
    (snake_case or camelCase) is price, amount, cost, fee, tax, discount, subtotal or
    balance — unless its last word makes it a qualifier (`discount_code`, `tax_rate`,
    `price_list_id`). Plain `total` is a count (pagination), while `total_cents` and
    `total_price` are money. A money property must be `type: integer` (nullable allowed:
    `[integer, 'null']`, `nullable: true`, or `anyOf` with `null`); an object, array or
    boolean property carrying a money word is not an amount and is skipped (its own
    amounts are checked where written). The object holding an amount must also have a
    `currency` property, directly or through the `allOf` it is part of: an amount without
    its currency is a number nobody can display or refund.
    """
    composed_with_currency = _composed_with_currency(contract)
    for node in contract.schemas:
        schema = node.schema
        if node.name is not None and is_money_name(node.name):
            types = contract.schema_types(schema)
            if not types & NOT_SCALAR and (not types or types - {"null"} != {"integer"}):
                shown = "`, `".join(sorted(types)) or "untyped"
                suggestion = (
                    node.name if node.name.endswith(MINOR_UNIT_SUFFIXES) else (f"{node.name}_cents")
                )
                yield Problem(
                    node.pointer,
                    f"`{node.name}` is `{shown}`; money is an integer of minor units "
                    f"(cents, fen): use `{suggestion}: integer`",
                )
        properties = schema.get("properties")
        if not isinstance(properties, dict) or id(schema) in composed_with_currency:
            continue
        amounts = [
            name
            for name, prop in properties.items()
            if isinstance(name, str)
            and is_money_name(name)
            and not contract.schema_types(prop) & NOT_SCALAR
        ]
        if amounts and "currency" not in contract.schema_view(schema)[0]:
            yield Problem(
                node.pointer,
                f"`{amounts[0]}` has no `currency` beside it; add `currency` "
                "(ISO 4217, `^[A-Z]{3}$`) to this object",
            )


def _composed_with_currency(contract: Contract) -> set[int]:
    """Schemas that are `allOf` members of a schema whose merged view has `currency`."""
    found: set[int] = set()
    for node in contract.schemas:
        members = node.schema.get("allOf")
        if not isinstance(members, list):
            continue
        if "currency" in contract.schema_view(node.schema)[0]:
            for member in members:
                resolved = contract.deref(member)
                found.add(id(member))
                if isinstance(resolved, dict):
                    found.add(id(resolved))
    return found


RULES = (money_integer_minor_units,)
