"""Request bodies: presence, `required`, media types, and each common media type's schema."""

from __future__ import annotations

from collections.abc import Iterator

from shopgen.contract import Operation

from ._collect import Found
from ._media import compare_media
from ._schemas import SchemaDiffer
from ._shared import places

__all__ = ["compare_request_body"]


def compare_request_body(old: Operation, new: Operation, schemas: SchemaDiffer) -> Iterator[Found]:
    old_body, new_body = old.request_body, new.request_body
    where = "request body"
    old_at, new_at = f"{old.pointer}/requestBody", f"{new.pointer}/requestBody"
    if old_body is None and new_body is None:
        return
    if old_body is None:
        required = new_body is not None and new_body.get("required") is True
        kind = "request-body-added-required" if required else "request-body-added"
        detail = "added (required)" if required else "added (optional)"
        yield Found(kind, where, detail, old.pointer, new_at)
        return
    if new_body is None:
        yield Found("request-body-removed", where, "removed", old_at, new.pointer)
        return
    before, after = places(
        old.contract,
        old.node.get("requestBody"),
        old_at,
        new.contract,
        new.node.get("requestBody"),
        new_at,
        "requestBodies",
    )
    where = after.label(where, "request body")
    was, now = old_body.get("required") is True, new_body.get("required") is True
    if was != now:
        state = "required" if now else "optional"
        yield Found(
            f"request-body-became-{state}", where, f"became {state}", before.pointer, after.pointer
        )
    yield from compare_media(
        old.contract.media_types(before.node, before.pointer),
        new.contract.media_types(after.node, after.pointer),
        "request",
        where,
        before.pointer,
        after.pointer,
        schemas,
    )
