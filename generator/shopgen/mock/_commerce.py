"""What a stateful mock knows about shops, by the field names the house rules make common.

    `<name>_id`            links to the resource of the collection whose item parameter is
                           `<name>_id` (`product_id` → `/products/{product_id}`); an unknown id
                           is refused, and the linked resource's descriptive fields (`sku`,
                           `title`, `currency`, ...) are copied, from the links the request
                           names where it names any
    `unit_<f>`             the linked resource's `<f>` (`unit_price_cents` ← `price_cents`)
    `amount_<f>`           the linked resource's `total_<f>` (`amount_cents` ← `total_cents`)
    `line_total_<f>`       `unit_<f>` (or the one `unit_<name>_<f>`) × `quantity`; a parent's
                           `total_<f>` sums its lines
    `quantity` / `stock`   a line takes `quantity` from the linked resource's `stock` (409 out
                           of stock when short) and a cancelled, expired or refunded parent
                           gives it back
    `channel: mock`        a created resource linked to one whose `status` can be `paid`
                           settles at once after the answer: it becomes `succeeded`, the linked
                           resource `paid`, as the service's development channel does

Nothing here names an operation: any contract using these names gets the behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Linker",
    "OutOfStock",
    "UnknownLink",
    "restock",
    "settle",
    "take_stock",
]

_NOT_COPIED = frozenset({"id", "status", "stock", "quantity"})
_CLOSED = frozenset({"cancelled", "canceled", "expired", "refunded"})
_SUCCEEDED = ("succeeded", "success", "paid", "completed")


class UnknownLink(Exception):
    def __init__(self, field: str, value: Any) -> None:
        super().__init__(f"{field} {value} does not exist")
        self.field = field
        self.value = value


class OutOfStock(Exception):
    def __init__(self, field: str, available: int) -> None:
        super().__init__(f"Only {available} left in stock")
        self.field = field
        self.available = available


Lookup = Callable[[str, Any], "dict[str, Any] | None"]
"""(link field, id) → the stored resource, None when unknown, for known link fields."""


@dataclass(frozen=True)
class Line:
    line: dict[str, Any]
    path: str
    target: dict[str, Any]


class Linker:
    def __init__(self, link_fields: frozenset[str], lookup: Lookup) -> None:
        self._fields = link_fields
        self._lookup = lookup

    def lines(self, resource: Any, path: str = "") -> Iterator[Line]:
        """Every object inside `resource` that links to a stored resource, with its path."""
        if isinstance(resource, list):
            for index, item in enumerate(resource):
                yield from self.lines(item, f"{path}.{index}" if path else str(index))
            return
        if not isinstance(resource, dict):
            return
        for key, value in resource.items():
            where = f"{path}.{key}" if path else key
            if key in self._fields:
                target = self._lookup(key, value)
                if target is not None:
                    yield Line(resource, where, target)
            if isinstance(value, list | dict):
                yield from self.lines(value, where)

    def fill(self, resource: dict[str, Any], given: Any) -> None:
        """Copy linked fields into every linking object, then add up money; raise
        `UnknownLink` for an id that names nothing."""
        self._check(given, "")
        self._fill(resource, given)

    def _check(self, given: Any, path: str) -> None:
        if isinstance(given, list):
            for index, item in enumerate(given):
                self._check(item, f"{path}.{index}" if path else str(index))
        elif isinstance(given, dict):
            for key, value in given.items():
                where = f"{path}.{key}" if path else key
                if key in self._fields and self._lookup(key, value) is None:
                    raise UnknownLink(where, value)
                self._check(value, where)

    def _fill(self, node: Any, given: Any) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                sent = given[index] if isinstance(given, list) and index < len(given) else None
                self._fill(item, sent)
            return
        if not isinstance(node, dict):
            return
        sent = given if isinstance(given, dict) else {}
        # A line that names what it links to (`product_id`) takes its fields from that alone,
        # not from another link the example answer happens to carry (`variant_id`).
        named = {key for key in sent if key in self._fields}
        for key in list(node):
            if key in self._fields and (not named or key in named):
                target = self._lookup(key, node[key])
                if target is not None:
                    _copy_from(node, target, sent)
        for key, value in node.items():
            if isinstance(value, list | dict):
                self._fill(value, sent.get(key))
        _add_up(node)


def _copy_from(node: dict[str, Any], target: dict[str, Any], sent: dict[str, Any]) -> None:
    for key in node:
        if key in sent or key in _NOT_COPIED or key.endswith(("_at", "_id")):
            continue
        if key in target and _same_kind(node[key], target[key]):
            node[key] = target[key]
        elif key.startswith("unit_") and key[5:] in target:
            node[key] = target[key[5:]]
        elif key.startswith("amount_") and f"total_{key[7:]}" in target:
            node[key] = target[f"total_{key[7:]}"]


def _same_kind(ours: Any, theirs: Any) -> bool:
    if ours is None or theirs is None:
        return True
    return type(ours) is type(theirs)


def _add_up(node: dict[str, Any]) -> None:
    quantity = node.get("quantity")
    for key in list(node):
        if key.startswith("line_total_") and isinstance(quantity, int):
            unit = _unit_of(node, key[11:])
            if isinstance(unit, int):
                node[key] = unit * quantity
    for key in list(node):
        if not key.startswith("total_"):
            continue
        line_key = f"line_{key}"
        for value in node.values():
            if (
                isinstance(value, list)
                and value
                and all(isinstance(v, dict) and isinstance(v.get(line_key), int) for v in value)
            ):
                node[key] = sum(v[line_key] for v in value)
                currencies = {v.get("currency") for v in value} - {None}
                if len(currencies) == 1 and "currency" in node:
                    node["currency"] = currencies.pop()
                break


def _unit_of(node: dict[str, Any], suffix: str) -> Any:
    """`unit_<suffix>`, else the one `unit_<name>_<suffix>` (`unit_price_cents`)."""
    if f"unit_{suffix}" in node:
        return node[f"unit_{suffix}"]
    found = [k for k in node if k.startswith("unit_") and k.endswith(f"_{suffix}")]
    return node[found[0]] if len(found) == 1 else None


def take_stock(linker: Linker, resource: dict[str, Any]) -> None:
    """Check every line has stock, then take it; `OutOfStock` changes nothing."""
    lines = [
        line
        for line in linker.lines(resource)
        if isinstance(line.line.get("quantity"), int) and isinstance(line.target.get("stock"), int)
    ]
    needed: dict[int, int] = {}
    for line in lines:
        needed[id(line.target)] = needed.get(id(line.target), 0) + line.line["quantity"]
        if line.target["stock"] < needed[id(line.target)]:
            field = ".".join([*line.path.split(".")[:-1], "quantity"])
            raise OutOfStock(field, line.target["stock"])
    for line in lines:
        line.target["stock"] -= line.line["quantity"]


def restock(linker: Linker, before: str | None, resource: dict[str, Any]) -> None:
    """Give the lines' units back when a resource moves into a closed state."""
    after = resource.get("status")
    if before in _CLOSED or after not in _CLOSED:
        return
    for line in linker.lines(resource):
        if isinstance(line.line.get("quantity"), int) and isinstance(line.target.get("stock"), int):
            line.target["stock"] += line.line["quantity"]


def settle(
    linker: Linker,
    resource: dict[str, Any],
    status_values: Callable[[dict[str, Any]], list[str]],
    now: str,
) -> bool:
    """The development payment channel: mark `resource` succeeded and what it pays paid."""
    if resource.get("channel") != "mock":
        return False
    paid = [line.target for line in linker.lines(resource) if "paid" in status_values(line.target)]
    if not paid:
        return False
    own = status_values(resource)
    success = next((value for value in _SUCCEEDED if value in own), None)
    if success is not None:
        resource["status"] = success
    for key, value in (("paid_at", now), ("transaction_id", f"MOCK{resource.get('id', '')}")):
        if key in resource and resource[key] is None:
            resource[key] = value
    for target in paid:
        target["status"] = "paid"
        for key in ("paid_at", "updated_at"):
            if key in target:
                target[key] = now
    return True
