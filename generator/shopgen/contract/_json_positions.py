"""Line and column of JSON pointers in JSON text, found without a second full parse.

The walk descends only into the members that lead to a wanted pointer and skips every other
value with the C decoder (`raw_decode`), so finding a thousand positions in GitHub's 13 MB
description costs about one `json.loads`.
"""

from __future__ import annotations

import json
import re

__all__ = ["json_positions"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def json_positions(
    text: str, wanted: set[tuple[str, ...]]
) -> dict[tuple[str, ...], tuple[int, int]]:
    """Offsets of wanted paths (keys and indexes as strings) → 1-based (line, column)."""
    prefixes = {path[:i] for path in wanted for i in range(len(path) + 1)}
    offsets: dict[tuple[str, ...], int] = {}
    start = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
    if () in wanted:
        offsets[()] = start
    _walk(text, start, (), prefixes, wanted, offsets)
    line_starts = _LineIndex(text)
    return {path: line_starts.position(offset) for path, offset in offsets.items()}


def _walk(
    text: str,
    index: int,
    path: tuple[str, ...],
    prefixes: set[tuple[str, ...]],
    wanted: set[tuple[str, ...]],
    offsets: dict[tuple[str, ...], int],
) -> int:
    """Walk the value at `index`; return the index just past it."""
    char = text[index : index + 1]
    if char == "{":
        index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]
        if text[index] == "}":
            return index + 1
        while True:
            key_start = index
            key, index = json.decoder.scanstring(text, index + 1)  # type: ignore[attr-defined]
            index = _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]
            index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]  # ':'
            child = (*path, key)
            if child in wanted:
                offsets[child] = key_start
            if child in prefixes:
                index = _walk(text, index, child, prefixes, wanted, offsets)
            else:
                index = _DECODER.raw_decode(text, index)[1]
            index = _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]
            if text[index] == "}":
                return index + 1
            index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]  # ','
    if char == "[":
        index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]
        if text[index] == "]":
            return index + 1
        position = 0
        while True:
            child = (*path, str(position))
            if child in wanted:
                offsets[child] = index
            if child in prefixes:
                index = _walk(text, index, child, prefixes, wanted, offsets)
            else:
                index = _DECODER.raw_decode(text, index)[1]
            index = _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]
            if text[index] == "]":
                return index + 1
            index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]
            position += 1
    return _DECODER.raw_decode(text, index)[1]


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        from bisect import bisect_right

        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1
