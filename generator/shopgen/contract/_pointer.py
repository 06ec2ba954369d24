"""JSON pointers (RFC 6901), the one way shopgen names a place in a document."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["join_pointer", "split_pointer"]


def split_pointer(pointer: str) -> list[str]:
    """`/paths/~1products/get` → `["paths", "/products", "get"]`."""
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer `{pointer}` does not start with `/`")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def join_pointer(parts: Iterable[str | int]) -> str:
    """`["paths", "/products", "get"]` → `/paths/~1products/get`."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)
