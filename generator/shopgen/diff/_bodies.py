"""Request bodies: presence, `required`, media types, and each common media type's schema."""

from __future__ import annotations

from collections.abc import Iterator

from shopgen.contract import Operation

from ._collect import Found, code
from ._schemas import SchemaDiffer

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
    was, now = old_body.get("required") is True, new_body.get("required") is True
    if was != now:
        state = "required" if now else "optional"
        yield Found(f"request-body-became-{state}", where, f"became {state}", old_at, new_at)
    old_media = {m.media_type: m for m in old.request_media}
    new_media = {m.media_type: m for m in new.request_media}
    for name, media in old_media.items():
        if name not in new_media:
            detail = f"media type {code(name)} removed"
            yield Found("request-media-type-removed", where, detail, media.pointer, new_at)
    for name, media in new_media.items():
        if name not in old_media:
            detail = f"media type {code(name)} added"
            yield Found("request-media-type-added", where, detail, old_at, media.pointer)
            continue
        before = old_media[name]
        if before.schema is None or media.schema is None:
            continue
        label = where if len(new_media) == 1 else f"{where} {code(name)}"
        yield from schemas.compare(
            before.schema,
            media.schema,
            f"{before.pointer}/schema",
            f"{media.pointer}/schema",
            "request",
            label,
        )
