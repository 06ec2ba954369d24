"""House rules: operations are named, summarised and tagged so code and docs can be built."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from shopgen.contract import HTTP_METHODS, Contract, Operation, join_pointer, json_text

from .._rule import Problem, rule
from ._naming import camel, pascal, singular, words

__all__ = ["RULES"]

_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
_VERSION = re.compile(r"^v[0-9]+$")
MAX_SUMMARY = 120


def _suggested_id(contract: Contract, operation: Operation) -> str:
    """An operationId in the house style, for the finding to show (`listProducts`)."""
    literals = [s for s in operation.path.literal_segments if s != "api" and not _VERSION.match(s)]
    noun = "-".join(words(literals[-1])) if literals else "root"
    one = pascal("-".join([*noun.split("-")[:-1], singular(noun.split("-")[-1])]))
    method = operation.method
    if method == "get" and contract.is_collection(operation.path):
        return "list" + pascal(noun)
    verbs = {"get": "get", "post": "create", "put": "replace", "patch": "update"}
    return verbs.get(method, method) + one


@rule(
    "operation-id-required",
    default="error",
    good="""
    paths:
      /api/v1/carts:
        post: {operationId: createCart, responses: {'201': {description: Created}}}
    """,
    bad="""
    paths:
      /api/v1/carts:
        post: {responses: {'201': {description: Created}}}
    """,
    at="/paths/~1api~1v1~1carts/post",
)
def operation_id_required(contract: Contract) -> Iterator[Problem]:
    """Every operation has an `operationId`.

    The operationId is the name of the generated handler, service method and client SDK call,
    and the anchor of the operation in the docs; without it each tool invents one from the
    method and path, and the names change when a path is renamed. A blank or non-string value
    counts as missing. The finding proposes a name in the house style (`listProducts`,
    `getProduct`, `createProduct`, `replaceProduct`, `updateProduct`, `deleteProduct`).
    """
    for operation in contract.operations:
        value = operation.node.get("operationId")
        if isinstance(value, str) and value.strip():
            continue
        suggestion = _suggested_id(contract, operation)
        where = f"{operation.method.upper()} {operation.path.template}"
        if value is None:
            yield Problem(
                operation.pointer,
                f"`{where}` has no `operationId`; add a unique camelCase one, e.g. `{suggestion}`",
            )
        else:
            yield Problem(
                f"{operation.pointer}/operationId",
                f"operationId `{json_text(value, quoted=True)}` of `{where}` is "
                f"{'blank' if isinstance(value, str) else 'not a string'}; use e.g. `{suggestion}`",
            )


@rule(
    "operation-id-unique",
    default="error",
    good="""
    paths:
      /api/v1/carts:
        post: {operationId: createCart, responses: {'201': {description: Created}}}
    """,
    bad="""
    paths:
      /api/v1/carts:
        post: {operationId: createProduct, responses: {'201': {description: Created}}}
    """,
    at="/paths/~1api~1v1~1carts/post/operationId",
)
def operation_id_unique(contract: Contract) -> Iterator[Problem]:
    """No two operations share an `operationId`, even once cased for code.

    Handlers, service methods and SDK calls are named after operationIds: two operations
    with one id overwrite each other in the generated router, and links in the docs go to
    the wrong one. Since the generator turns ids into snake_case Python names, `getProduct`,
    `get_product` and `GetProduct` are the same name and collide too. Every operation after
    the first with a name is reported, at its `operationId`, naming the one it collides with.
    """
    first: dict[str, Operation] = {}
    for operation in contract.operations:
        value = operation.operation_id
        if not value or not words(value):
            continue
        key = "".join(words(value))
        owner = first.setdefault(key, operation)
        if owner is operation:
            continue
        where = f"`{owner.method.upper()} {owner.path.template}`"
        if owner.operation_id == value:
            message = f"operationId `{value}` is already used by {where}; make it unique"
        else:
            message = (
                f"operationId `{value}` collides with `{owner.operation_id}` ({where}) "
                "once cased for code; rename one"
            )
        yield Problem(f"{operation.pointer}/operationId", message)


@rule(
    "operation-id-camel-case",
    default="warn",
    good="""
    paths:
      /api/v1/gift-cards:
        get: {operationId: listGiftCards, responses: {'200': {description: OK}}}
    """,
    bad="""
    paths:
      /api/v1/gift-cards:
        get: {operationId: list_gift_cards, responses: {'200': {description: OK}}}
    """,
    at="/paths/~1api~1v1~1gift-cards/get/operationId",
)
def operation_id_camel_case(contract: Contract) -> Iterator[Problem]:
    """An `operationId` is lower camelCase: a letter, then letters and digits.

    One casing lets the generator derive every other name mechanically (`list_gift_cards` in
    Python, `ListGiftCards` in Go, `listGiftCards` in TypeScript) and keeps ids usable as URL
    fragments in the docs; `list-gift-cards` or `GiftCards.List` need quoting somewhere.
    Acronyms may stay upper-case (`getOrderByID` passes the pattern), and missing or blank ids
    are left to `operation-id-required`.
    """
    for operation in contract.operations:
        value = operation.operation_id
        if not value or not value.strip() or _CAMEL.fullmatch(value):
            continue
        suggestion = camel(value)
        hint = (
            f"use `{suggestion}`"
            if _CAMEL.fullmatch(suggestion)
            else "use a letter, then letters and digits"
        )
        yield Problem(
            f"{operation.pointer}/operationId", f"operationId `{value}` is not camelCase; {hint}"
        )


@rule(
    "operation-summary",
    default="warn",
    good="""
    paths:
      /api/v1/carts:
        post:
          operationId: createCart
          summary: Create a cart
          responses: {'201': {description: Created}}
    """,
    bad="""
    paths:
      /api/v1/carts:
        post:
          operationId: createCart
          summary: '  '
          responses: {'201': {description: Created}}
    """,
    at="/paths/~1api~1v1~1carts/post/summary",
)
def operation_summary(contract: Contract) -> Iterator[Problem]:
    """Every operation has a `summary` of at most 120 characters.

    The summary is the operation's title in the docs sidebar, the generated handler's
    docstring and the line a changelog shows; without one readers get `POST /api/v1/carts`.
    Longer text belongs in `description`: sidebars truncate, and a paragraph in a title is
    unreadable. Length is counted after trimming; a missing summary is reported at the
    operation, a blank, non-string or long one at `summary`.
    """
    for operation in contract.operations:
        if "summary" not in operation.node:
            yield Problem(
                operation.pointer,
                f"`{operation.name}` has no `summary`; add a short title "
                f"(at most {MAX_SUMMARY} characters)",
            )
            continue
        value = operation.node["summary"]
        pointer = f"{operation.pointer}/summary"
        if not isinstance(value, str) or not value.strip():
            what = "blank" if isinstance(value, str) else "not text"
            yield Problem(
                pointer,
                f"summary `{json_text(value, quoted=True)}` of `{operation.name}` is {what}; "
                "add a short title",
            )
        elif len(value.strip()) > MAX_SUMMARY:
            shown = value.strip()[:40] + "…"
            yield Problem(
                pointer,
                f"summary `{shown}` is {len(value.strip())} characters; keep it to "
                f"{MAX_SUMMARY} and move the rest to `description`",
            )


def _declared_tags(contract: Contract) -> list[tuple[int, dict[str, Any]]]:
    tags = contract.document.get("tags")
    if not isinstance(tags, list):
        return []
    return [
        (index, tag)
        for index, tag in enumerate(tags)
        if isinstance(tag, dict) and isinstance(tag.get("name"), str)
    ]


@rule(
    "operation-tags",
    default="warn",
    good="""
    paths:
      /api/v1/carts:
        post:
          operationId: createCart
          tags: [products]
          responses: {'201': {description: Created}}
    """,
    bad="""
    paths:
      /api/v1/carts:
        post:
          operationId: createCart
          responses: {'201': {description: Created}}
    """,
    at="/paths/~1api~1v1~1carts/post",
)
def operation_tags(contract: Contract) -> Iterator[Problem]:
    """Every operation has at least one tag.

    Tags group operations into the docs' sections and the generated service into domain
    packages (`products/`, `orders/`); an untagged operation lands in a catch-all nobody owns.
    A missing `tags` is reported at the operation, an empty list (or one without a single
    string) at `tags`.
    """
    declared = [tag["name"] for _, tag in _declared_tags(contract)]
    example = f" (e.g. `{declared[0]}`)" if declared else ""
    for operation in contract.operations:
        if operation.tags:
            continue
        pointer = operation.pointer if "tags" not in operation.node else f"{operation.pointer}/tags"
        yield Problem(
            pointer,
            f"`{operation.name}` has no tags; tag it with one declared in root `tags`{example}",
        )


def _tagged_nodes(contract: Contract) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every operation object with its pointer, including OpenAPI 3.1 `webhooks`."""
    for operation in contract.operations:
        yield operation.pointer, operation.node
    webhooks = contract.document.get("webhooks")
    for name, item in webhooks.items() if isinstance(webhooks, dict) else ():
        item = contract.deref(item)
        for method in HTTP_METHODS if isinstance(item, dict) else ():
            if isinstance(item.get(method), dict):
                yield join_pointer(["webhooks", str(name), method]), item[method]


@rule(
    "tags-declared",
    default="warn",
    good="""
    tags:
      - {name: products, description: The catalogue.}
      - {name: carts, description: Shopping carts before checkout.}
    paths:
      /api/v1/carts:
        post:
          operationId: createCart
          tags: [carts]
          responses: {'201': {description: Created}}
    """,
    bad="""
    paths:
      /api/v1/carts:
        post:
          operationId: createCart
          tags: [carts]
          responses: {'201': {description: Created}}
    """,
    at="/paths/~1api~1v1~1carts/post/tags/0",
)
def tags_declared(contract: Contract) -> Iterator[Problem]:
    """Tags used by operations are declared in root `tags`, once each, with a description.

    The root list orders the docs' sections and gives each its introduction; a tag used but
    not declared appears last, unexplained, and a typo (`Products` beside `products`) silently
    splits a domain in two, in the docs and in the generated packages. Tag names are
    case-sensitive, so a near miss is reported with the declared spelling. Operations under
    OpenAPI 3.1 `webhooks` count too. A declared tag without a non-blank `description` is
    reported at the tag, and a name declared twice at the second `name`.
    """
    declared: dict[str, int] = {}
    for index, tag in _declared_tags(contract):
        name = tag["name"]
        if name in declared:
            yield Problem(
                f"/tags/{index}/name",
                f"tag `{name}` is declared twice (also at `/tags/{declared[name]}`); "
                "declare each tag once",
            )
            continue
        declared[name] = index
        description = tag.get("description")
        if not isinstance(description, str) or not description.strip():
            yield Problem(
                f"/tags/{index}",
                f"tag `{name}` has no `description`; say what the section covers",
            )
    folded = {name.lower(): name for name in declared}
    for pointer, node in _tagged_nodes(contract):
        tags = node.get("tags")
        for index, tag in enumerate(tags if isinstance(tags, list) else []):
            if not isinstance(tag, str) or tag in declared:
                continue
            near = folded.get(tag.lower())
            hint = f"use `{near}`" if near else "declare it there with a description"
            yield Problem(
                f"{pointer}/tags/{index}", f"tag `{tag}` is not declared in root `tags`; {hint}"
            )


RULES = (
    operation_id_required,
    operation_id_unique,
    operation_id_camel_case,
    operation_summary,
    operation_tags,
    tags_declared,
)
