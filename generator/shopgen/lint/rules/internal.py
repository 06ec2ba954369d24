"""House rules: internal endpoints say so, in a way tools can read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shopgen.contract import Contract, join_pointer, json_text

from .._rule import Problem, rule

__all__ = ["RULES"]

MARKER = "x-internal-only"


@rule(
    "internal-only-marker",
    default="error",
    good="""
    paths:
      /api/v1/internal/reindex:
        post:
          operationId: reindexCatalogue
          summary: Rebuild the search index
          tags: [products]
          x-internal-only: true
          responses:
            '202':
              description: Started.
    """,
    bad="""
    paths:
      /api/v1/internal/reindex:
        post:
          operationId: reindexCatalogue
          summary: Rebuild the search index
          tags: [products]
          x-internal-only: 'yes'
          responses:
            '202':
              description: Started.
    """,
    at="/paths/~1api~1v1~1internal~1reindex/post/x-internal-only",
)
def internal_only_marker(contract: Contract) -> Iterator[Problem]:
    """Internal operations carry `x-internal-only: true`, and the marker is a boolean.

    The public docs, the gateway's route list and generated SDKs drop what is marked
    internal; an admin re-index or stock-sync endpoint that is internal only by its URL ends
    up in the storefront SDK. An operation is internal when its path has a literal segment
    `internal` or it is tagged `internal` (any case); it must carry `x-internal-only: true`
    itself or on its path item. Wherever the marker is written (operation, path item,
    parameter, schema, property) its value must be a boolean: `'yes'` or `1` reads as true
    to one tool and as false to the next.
    """
    for item in contract.paths:
        yield from _boolean(item.node, item.pointer)
    for op in contract.operations:
        yield from _boolean(op.node, op.pointer)
        params = op.node.get("parameters")
        for index, param in enumerate(params if isinstance(params, list) else []):
            yield from _boolean(param, f"{op.pointer}/parameters/{index}")
        internal = "internal" in op.path.literal_segments or any(
            tag.lower() == "internal" for tag in op.tags
        )
        marked = op.node.get(MARKER) is True or op.path.node.get(MARKER) is True
        misspelt = MARKER in op.node and not isinstance(op.node[MARKER], bool)
        if internal and not marked and not misspelt:
            yield Problem(
                op.pointer,
                f"`{op.name}` is internal (by its path or tag) but lacks `{MARKER}: true`",
            )
    for kind in ("parameters", "headers"):
        for name, node in contract.components(kind).items():
            yield from _boolean(node, join_pointer(["components", kind, str(name)]))
    for node in contract.schemas:
        yield from _boolean(node.schema, node.pointer)


def _boolean(node: Any, pointer: str) -> Iterator[Problem]:
    if isinstance(node, dict) and MARKER in node and not isinstance(node[MARKER], bool):
        yield Problem(
            f"{pointer}/{MARKER}",
            f"`{MARKER}` is `{json_text(node[MARKER], quoted=True)}`; it must be `true` or `false`",
        )


RULES = (internal_only_marker,)
