"""Media types of a request body or a response: added, removed, and each common one's schema."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from shopgen.contract import MediaType

from ._collect import Found, code
from ._schemas import Direction, SchemaDiffer

__all__ = ["compare_media"]


def compare_media(
    old: Sequence[MediaType],
    new: Sequence[MediaType],
    direction: Direction,
    where: str,
    old_at: str,
    new_at: str,
    schemas: SchemaDiffer,
) -> Iterator[Found]:
    old_media = {m.media_type: m for m in old}
    new_media = {m.media_type: m for m in new}
    for name, media in old_media.items():
        if name not in new_media:
            detail = f"media type {code(name)} removed"
            yield Found(f"{direction}-media-type-removed", where, detail, media.pointer, new_at)
    for name, media in new_media.items():
        if name not in old_media:
            detail = f"media type {code(name)} added"
            yield Found(f"{direction}-media-type-added", where, detail, old_at, media.pointer)
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
            direction,
            label,
        )
