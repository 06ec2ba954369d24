"""House rules: money is an integer of minor units, beside its currency."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from shopgen.contract import Contract

from .._rule import Problem, rule
from ._descriptions import described

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
        "quantity",
        "qty",
        "count",
    }
)
# A `format` that says what a value is, and it is not an amount: `amount_at: date-time`.
NOT_MONEY_FORMATS = frozenset(
    {
        "date",
        "date-time",
        "time",
        "duration",
        "uri",
        "uri-reference",
        "url",
        "email",
        "uuid",
        "hostname",
        "ipv4",
        "ipv6",
        "byte",
        "binary",
        "password",
        "percent",
        "percentage",
    }
)
# Units a description gives to a quantity that is not money (`the amount of time to skip in
# seconds`), in the plural: a singular is as often an adjective (`current-month`, `per day`).
_OTHER_UNIT = re.compile(
    r"\b(?:(?:milli|micro|nano)?seconds|secs|ms|minutes|hours|days|weeks|months|years"
    r"|(?:kilo|mega|giga)?bytes|pixels|px|percent(?:age)?|degrees|amount of time)\b|%",
    re.IGNORECASE,
)
_MONEY_TEXT = re.compile(
    r"\b(?:currenc(?:y|ies)|cents?|fen|minor units?|money|monetary|usd|eur|cny|gbp|jpy"
    r"|dollars?|euros?|yuan|price|paid|charged?)\b",
    re.IGNORECASE,
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
    amounts are checked where written). A money word can name something else, so the rule
    also reads the schema: a `format` that is not a number's (`date-time`, `duration`,
    `uri`, `percent`, …), or a description (the property's own, or the sentences of its
    object's description that name it) giving a unit of time, size or ratio (seconds,
    bytes, percent) and no currency word, says the property is not money (`amountToSkip`:
    "the amount of time to skip in seconds"). The object holding an amount must also have
    a `currency` property, directly or through the `allOf` it is part of: an amount
    without its currency is a number nobody can display or refund.
    """
    composed_with_currency = _composed_with_currency(contract)
    for node in contract.schemas:
        schema = node.schema
        if node.name is not None and _is_amount(contract, node.name, schema, node.holder):
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
            and _is_amount(contract, name, prop, schema)
            and not contract.schema_types(prop) & NOT_SCALAR
        ]
        if amounts and "currency" not in contract.schema_view(schema)[0]:
            yield Problem(
                node.pointer,
                f"`{amounts[0]}` has no `currency` beside it; add `currency` "
                "(ISO 4217, `^[A-Z]{3}$`) to this object",
            )


def _is_amount(contract: Contract, name: str, schema: Any, holder: Any) -> bool:
    """A money name whose schema does not say it is something else."""
    if not is_money_name(name):
        return False
    target = contract.deref(schema)
    if isinstance(target, dict) and target.get("format") in NOT_MONEY_FORMATS:
        return False
    text = described(contract, schema, holder, name)
    return not (_OTHER_UNIT.search(text) and not _MONEY_TEXT.search(text))


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
