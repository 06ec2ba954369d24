"""Responses: statuses, media types, headers, and each common media type's schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shopgen.contract import Operation, join_pointer, split_pointer

from ._collect import Found, code
from ._media import compare_media
from ._schemas import SchemaDiffer
from ._shared import places

__all__ = ["compare_responses"]


def _is_error(status: str) -> bool:
    """4xx, 5xx, `4XX` and `default`: clients keep handling them when they go undocumented."""
    return status[:1] in ("4", "5") or status == "default"


def _headers(response: Any) -> dict[str, Any]:
    headers = response.get("headers") if isinstance(response, dict) else None
    return {str(k).lower(): v for k, v in headers.items()} if isinstance(headers, dict) else {}


def compare_responses(old: Operation, new: Operation, schemas: SchemaDiffer) -> Iterator[Found]:
    old_statuses, new_statuses = old.responses, new.responses
    holder = f"{new.pointer}/responses"
    for status in old_statuses:
        if status not in new_statuses:
            kind = (
                "error-response-status-removed" if _is_error(status) else "response-status-removed"
            )
            yield Found(
                kind, f"response {status}", "removed", f"{old.pointer}/responses/{status}", holder
            )
    for status in new_statuses:
        at = join_pointer([*split_pointer(new.pointer), "responses", status])
        if status not in old_statuses:
            yield Found("response-status-added", f"response {status}", "added", holder, at)
            continue
        yield from _compare_response(old, new, status, schemas)


def _compare_response(
    old: Operation, new: Operation, status: str, schemas: SchemaDiffer
) -> Iterator[Found]:
    """One status of a matched operation; a shared `components/responses` entry is compared
    as the component, so a change in it is one change listing every operation."""
    before, after = places(
        old.contract,
        old.responses.get(status),
        join_pointer([*split_pointer(old.pointer), "responses", status]),
        new.contract,
        new.responses.get(status),
        join_pointer([*split_pointer(new.pointer), "responses", status]),
        "responses",
    )
    where = after.label(f"response {status}", "response")
    new_headers = _headers(after.node)
    for name in _headers(before.node):
        if name not in new_headers:
            detail = f"header {code(name)} removed"
            yield Found(
                "response-header-removed", where, detail, f"{before.pointer}/headers", after.pointer
            )
    yield from compare_media(
        old.contract.media_types(before.node, before.pointer),
        new.contract.media_types(after.node, after.pointer),
        "response",
        where,
        before.pointer,
        after.pointer,
        schemas,
    )
