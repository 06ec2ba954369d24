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
    return _line_columns(text, offsets)


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


def _line_columns(
    text: str, offsets: dict[tuple[str, ...], int]
) -> dict[tuple[str, ...], tuple[int, int]]:
    """Each offset's 1-based (line, column): the line breaks counted once, in offset order,
    instead of an index of every line of the text."""
    positions: dict[tuple[str, ...], tuple[int, int]] = {}
    line, counted, line_start = 1, 0, 0
    for path, offset in sorted(offsets.items(), key=lambda item: item[1]):
        breaks = text.count("\n", counted, offset)
        if breaks:
            # Searched back only as far as the last offset: a text on one line (minified
            # JSON) would otherwise be read back to its start for every offset.
            line += breaks
            line_start = text.rfind("\n", counted, offset) + 1
        counted = offset
        positions[path] = (line, offset - line_start + 1)
    return positions
