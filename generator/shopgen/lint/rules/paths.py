"""House rules: paths name versioned, plural, kebab-case resources, with declared parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from shopgen.contract import Contract, Operation, PathItem

from .._rule import Problem, rule
from ._naming import is_plural, kebab, plural, singulars, words

__all__ = ["RULES"]

_VERSION_PREFIX = re.compile(r"^/api/v[0-9]+(/|$)")
_VERSION = re.compile(r"^v[0-9]+$")
_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_TEMPLATE_EXPR = re.compile(r"\{[^{}]*\}")
_PARAM_SEGMENT = re.compile(r"^\{[^{}]+\}$")

VERBS = frozenset(
    "get list fetch find create add make new update edit modify change set delete remove destroy"
    " do perform execute run cancel submit send save process register login logout signin signup"
    " checkout pay".split()
)
"""Words that make a segment an action; `refresh` and `search` are accepted as nouns."""


def _path_items(contract: Contract) -> Iterator[PathItem]:
    """Path items, without `x-` extension keys of the Paths object."""
    return (item for item in contract.paths if not item.template.startswith("x-"))


@rule(
    "path-version-prefix",
    default="error",
    good="""
    paths:
      /api/v2/gift-cards:
        get: {operationId: listGiftCards, responses: {'200': {description: OK}}}
    """,
    bad="""
    paths:
      /gift-cards:
        get: {operationId: listGiftCards, responses: {'200': {description: OK}}}
    """,
    at="/paths/~1gift-cards",
)
def path_version_prefix(contract: Contract) -> Iterator[Problem]:
    """Every path starts with `/api/v<N>`.

    A shop API outlives its first clients: mobile apps in the stores, mini-programs and partner
    integrations cannot all upgrade on the day a breaking change ships. A major version in the
    path lets `/api/v2` run beside `/api/v1`, and the `/api` prefix lets one host serve the API,
    the storefront and the admin without the gateway guessing. The version is a bare integer
    (`v1`, `v2`): minor versions are additive and never appear in URLs. The finding suggests
    where an unprefixed path would go.
    """
    for item in _path_items(contract):
        template = item.template
        if _VERSION_PREFIX.match(template):
            continue
        if template == "/":
            suggestion = "/api/v1"
        elif re.match(r"^/v[0-9]+(/|$)", template):
            suggestion = "/api" + template
        elif template == "/api" or template.startswith("/api/"):
            suggestion = "/api/v1" + template[4:]
        else:
            suggestion = "/api/v1" + (template if template.startswith("/") else "/" + template)
        yield Problem(
            item.pointer,
            f"path `{template}` does not start with `/api/v<N>`; use e.g. `{suggestion}`",
        )


@rule(
    "path-no-verbs",
    default="error",
    good="""
    paths:
      /api/v1/orders/{order_id}/cancellation:
        post: {operationId: cancelOrder, responses: {'200': {description: OK}}}
    """,
    bad="""
    paths:
      /api/v1/orders/{order_id}/cancel:
        post: {operationId: cancelOrder, responses: {'200': {description: OK}}}
    """,
    at="/paths/~1api~1v1~1orders~1{order_id}~1cancel",
)
def path_no_verbs(contract: Contract) -> Iterator[Problem]:
    """Path segments name resources; the HTTP method is the verb.

    `POST /orders/{id}/cancel` and `GET /getProducts` hide what a request does from caches,
    gateways, audit logs and the generator, which all read the method. An action on an order
    is a sub-resource it creates: `POST /orders/{order_id}/cancellation`, `POST /payments`,
    `POST /auth/tokens` for a login. A segment fires when its first word is a verb from the
    house list; words are cut at `-`, `_` and camelCase, so `getProducts` and `add_item` fire,
    and the first two words are also read joined, so `sign-in`, `log-out` and `check-out`
    fire like `signin`, `logout` and `checkout`. A verb inside a word (`settings`, `addresses`,
    `runs`) is a noun and passes; `refresh` and `search` are accepted as nouns.
    """
    for item in _path_items(contract):
        for segment in item.literal_segments:
            parts = words(_TEMPLATE_EXPR.sub(" ", segment))
            if not parts:
                continue
            if parts[0] in VERBS:
                verb, rest = parts[0], parts[1:]
            elif len(parts) > 1 and parts[0] + parts[1] in VERBS:
                verb, rest = parts[0] + parts[1], parts[2:]
            else:
                continue
            what = "starts with" if rest else "is"
            yield Problem(
                item.pointer,
                f"segment `{segment}` {what} the verb `{verb}`; name a resource and let the "
                "HTTP method act on it (`POST .../cancellation`, not `POST .../cancel`)",
            )


@rule(
    "path-kebab-case",
    default="warn",
    good="""
    paths:
      /api/v1/gift-cards/{giftCardId}:
        get: {operationId: getGiftCard, responses: {'200': {description: OK}}}
    """,
    bad="""
    paths:
      /api/v1/giftCards:
        get: {operationId: listGiftCards, responses: {'200': {description: OK}}}
    """,
    at="/paths/~1api~1v1~1giftCards",
)
def path_kebab_case(contract: Contract) -> Iterator[Problem]:
    """Literal path segments are kebab-case: lower-case words and digits joined by `-`.

    Clients type, log and grep these URLs; one casing means nobody guesses between `giftCards`,
    `gift_cards` and `GiftCards`, and some proxies and CDNs treat paths case-insensitively while
    the service does not. `{param}` segments are not checked (their names are code, not URL
    text); in a segment that mixes text and a parameter (`{sku}-images`) only the text is, and
    dots count as not kebab-case, so `openapi.json` or `{id}.pdf` fire: formats are negotiated
    with `Accept`, not spelled in the path.
    """
    for item in _path_items(contract):
        for segment in item.literal_segments:
            if _KEBAB.fullmatch(_TEMPLATE_EXPR.sub("p", segment)):
                continue
            if "{" in segment or not words(segment):
                hint = "use lower-case words and digits joined by `-`"
            else:
                hint = f"use `{kebab(segment)}`"
            yield Problem(item.pointer, f"segment `{segment}` is not kebab-case; {hint}")


@rule(
    "path-plural-collections",
    default="warn",
    good="""
    paths:
      /api/v1/categories/{category_id}:
        get: {operationId: getCategory, responses: {'200': {description: OK}}}
    """,
    bad="""
    paths:
      /api/v1/category/{category_id}:
        get: {operationId: getCategory, responses: {'200': {description: OK}}}
    """,
    at="/paths/~1api~1v1~1category~1{category_id}",
)
def path_plural_collections(contract: Contract) -> Iterator[Problem]:
    """A segment followed by a `{param}` names a collection, so it is plural.

    `/products/{product_id}` reads as "the product with this id, out of products", and the
    same segment serves the list at `/products`; mixing `/product/{id}` with `/products` gives
    two URL families for one resource. Plural means the segment's last word ends in `s`, or is
    one of the house mass nouns (data, media, people, children, inventory, stock, health,
    metadata, series, news, feedback, info), so `gift-cards/{id}` and `product-media/{id}` pass;
    in `x-of-y` the head `x` is judged (`codes-of-conduct/{key}` passes).
    The `/api/v<N>` prefix is not a collection and is not checked (`/api/v1/{tenant}` passes
    this rule); the suggestion is a regular English plural.
    """
    for item in _path_items(contract):
        segments = item.segments
        prefix = 0
        if segments and segments[0] == "api":
            prefix = 2 if len(segments) > 1 and _VERSION.match(segments[1]) else 1
        for index in range(prefix, len(segments) - 1):
            segment, following = segments[index], segments[index + 1]
            if "{" in segment or not _PARAM_SEGMENT.match(following):
                continue
            parts = words(segment)
            # The head of `codes-of-conduct` is `codes`, not `conduct`.
            head = parts.index("of", 1) - 1 if "of" in parts[1:] else len(parts) - 1
            if not parts or is_plural(parts[head]):
                continue
            suggestion = "-".join([*parts[:head], plural(parts[head]), *parts[head + 1 :]])
            yield Problem(
                item.pointer,
                f"segment `{segment}` before `{following}` names a collection but is not "
                f"plural; use `{suggestion}`",
            )


@rule(
    "path-no-trailing-slash",
    default="error",
    good="""
    paths:
      /api/v1/carts:
        post: {operationId: createCart, responses: {'201': {description: Created}}}
    """,
    bad="""
    paths:
      /api/v1/carts/:
        post: {operationId: createCart, responses: {'201': {description: Created}}}
    """,
    at="/paths/~1api~1v1~1carts~1",
)
def path_no_trailing_slash(contract: Contract) -> Iterator[Problem]:
    """No path ends with `/` (the root `/` itself excepted).

    `/carts/` and `/carts` are different URLs: servers answer one with a redirect, and a
    redirected `POST` turns into a `GET` or loses its body in many clients, so a checkout
    fails far from the cause. Generated routes, gateway rules and signed URLs must agree on
    one spelling, and the house spelling has no trailing slash.
    """
    for item in _path_items(contract):
        template = item.template
        if template != "/" and template.endswith("/"):
            fixed = template.rstrip("/") or "/"
            yield Problem(item.pointer, f"path `{template}` ends with `/`; use `{fixed}`")


def _parameters_in(
    contract: Contract, operation: Operation, location: str
) -> dict[str, tuple[dict[str, Any], str, str]]:
    """Parameters `in: location` by name, the operation's winning over the path item's.

    Each comes with where it is used (the `parameters/<i>` entry) and where it is defined
    (the component a `$ref` names, else the same place).
    """
    found: dict[str, tuple[dict[str, Any], str, str]] = {}
    for owner, owner_pointer in (
        (operation.path.node, operation.path.pointer),
        (operation.node, operation.pointer),
    ):
        params = owner.get("parameters")
        for index, raw in enumerate(params if isinstance(params, list) else []):
            used = f"{owner_pointer}/parameters/{index}"
            node, defined = contract.deref_pointer(raw, used)
            if not isinstance(node, dict) or node.get("in") != location:
                continue
            name = node.get("name")
            if isinstance(name, str):
                found[name] = (node, used, defined)
    return found


@rule(
    "path-params-declared",
    default="error",
    good="""
    paths:
      /api/v1/orders/{order_id}/items/{item_id}:
        parameters:
          - {name: order_id, in: path, required: true, schema: {type: integer}}
        get:
          operationId: getOrderItem
          parameters:
            - {name: item_id, in: path, required: true, schema: {type: integer}}
          responses: {'200': {description: OK}}
    """,
    bad="""
    paths:
      /api/v1/orders/{order_id}/items/{item_id}:
        get:
          operationId: getOrderItem
          parameters:
            - {name: order_id, in: path, required: true, schema: {type: integer}}
            - {name: item_id, in: path, required: true, schema: {type: integer}}
          responses: {'200': {description: OK}}
        delete:
          operationId: deleteOrderItem
          parameters:
            - {name: order_id, in: path, required: true, schema: {type: integer}}
          responses: {'200': {description: OK}}
    """,
    at="/paths/~1api~1v1~1orders~1{order_id}~1items~1{item_id}/delete",
)
def path_params_declared(contract: Contract) -> Iterator[Problem]:
    """Every `{name}` in a path has a required `in: path` parameter, and nothing else does.

    The generator builds each handler's signature from the declared parameters: an
    undeclared `{order_id}` becomes an untyped string nobody validates, and a declared path
    parameter that is not in the template can never be sent. Declarations on the path item
    count for all its operations, and an operation's own declaration of the same name wins.
    A name missing from every operation of a path is reported once, at the path; missing from
    some, at each operation that lacks it. A declaration without `required: true` is reported
    where it is defined (a shared component once); a stray one where it is used.
    """
    seen: set[tuple[str, str]] = set()

    def report(pointer: str, message: str) -> Iterator[Problem]:
        if (pointer, message) not in seen:
            seen.add((pointer, message))
            yield Problem(pointer, message)

    by_path: dict[str, list[Operation]] = {}
    for operation in contract.operations:
        by_path.setdefault(operation.path.pointer, []).append(operation)
    for operations in by_path.values():
        item = operations[0].path
        in_template = item.template_params
        names = set(in_template)
        missing: dict[str, list[Operation]] = {}
        for operation in operations:
            declared = _parameters_in(contract, operation, "path")
            for name in in_template:
                if name not in declared:
                    missing.setdefault(name, []).append(operation)
            for name, (node, used, defined) in declared.items():
                if name not in names:
                    allowed = ", ".join(f"`{n}`" for n in in_template) or "none"
                    yield from report(
                        used,
                        f"path parameter `{name}` is not in `{item.template}`; "
                        f"its template parameters are {allowed}",
                    )
                elif node.get("required") is not True:
                    yield from report(
                        defined,
                        f"path parameter `{name}` is not `required: true`; "
                        "path parameters are always required",
                    )
        for name, lacking in missing.items():
            declaration = f"`{{name: {name}, in: path, required: true}}`"
            if len(lacking) == len(operations):
                yield from report(
                    item.pointer,
                    f"`{{{name}}}` has no `in: path` parameter; declare {declaration} "
                    "on the path item",
                )
            else:
                for operation in lacking:
                    yield from report(
                        operation.pointer,
                        f"`{{{name}}}` has no `in: path` parameter in `{operation.name}`; "
                        f"declare {declaration}",
                    )


@rule(
    "no-id-query-param",
    default="warn",
    good="""
    paths:
      /api/v1/orders:
        get:
          operationId: listOrders
          parameters:
            - {name: user_id, in: query, schema: {type: integer}}
          responses: {'200': {description: OK}}
    """,
    bad="""
    paths:
      /api/v1/orders:
        get:
          operationId: listOrders
          parameters:
            - {name: order_id, in: query, schema: {type: integer}}
          responses: {'200': {description: OK}}
    """,
    at="/paths/~1api~1v1~1orders/get/parameters/0",
)
def no_id_query_param(contract: Contract) -> Iterator[Problem]:
    """One resource is addressed by its path, not by an id in the query.

    `GET /products?product_id=7` is `GET /products/7` in disguise: it returns a list or a
    single item depending on the query, caches and logs cannot tell resources apart, and the
    generator cannot give it a `404`. The rule fires on a query parameter named `id`, or named
    after the path's own resource: `<singular of the last literal segment>_id` in any casing
    (`product_id`, `productId`, `ProductID`, `product-id`). Foreign keys used as filters
    (`GET /orders?user_id=`) and batch lookups (`ids`) pass. Shared parameters are reported
    where they are used.
    """
    seen: set[str] = set()
    for operation in contract.operations:
        literals = operation.path.literal_segments
        if not literals:
            continue
        last = literals[-1]
        resource = "".join(words(last))
        candidates = {"id"} | {f"{singular}id" for singular in singulars(resource)}
        for name, (_, used, _) in _parameters_in(contract, operation, "query").items():
            if used in seen or "".join(words(name)) not in candidates:
                continue
            seen.add(used)
            base = operation.path.template.rsplit(last, 1)[0] + last
            yield Problem(
                used,
                f"query parameter `{name}` picks one resource by id; address it in the path "
                f"instead (`{base}/{{{name}}}`)",
            )


RULES = (
    path_version_prefix,
    path_no_verbs,
    path_kebab_case,
    path_plural_collections,
    path_no_trailing_slash,
    path_params_declared,
    no_id_query_param,
)
