"""A large YAML contract read in two processes gives every position one pass gives, and any
layout the cut at top-level keys cannot trust is read in one pass."""

from __future__ import annotations

import sys

import pytest
import yaml

from shopgen.contract import _yaml
from shopgen.contract._yaml import compose_marks, yaml_positions

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")

Path = tuple[str, ...]


def _document(operations: int) -> str:
    lines = ["openapi: 3.1.0", "info:", "  title: Shop", "  version: '1'", "paths:"]
    for n in range(operations):
        lines += [
            f"  /api/v1/things{n}:",
            "    get:",
            f"      operationId: getThing{n}",
            "      description: |",
            "        A block scalar whose lines look like keys:",
            "        components: not a key",
            "      responses:",
            "        '200':",
            f"          $ref: '#/components/responses/Thing{n}'",
        ]
    lines.append("components:")
    lines.append("  responses:")
    for n in range(operations):
        lines += [
            f"    Thing{n}:",
            "      description: ok",
            "      content:",
            "        application/json:",
            "          schema: {type: object, properties: {id: {type: integer}}}",
        ]
    return "\n".join(lines) + "\n"


def _wanted(operations: int) -> set[Path]:
    paths: set[Path] = {(), ("openapi",), ("info", "title"), ("missing", "x")}
    for n in range(0, operations, 7):
        paths |= {
            ("paths", f"/api/v1/things{n}", "get", "responses", "200"),
            ("components", "responses", f"Thing{n}", "content", "application/json", "schema"),
            ("components", "responses", f"Thing{n}", "nothing-here"),
        }
    return {path[:i] for path in paths for i in range(len(path) + 1)}


def _serial(text: str, wanted: set[Path]) -> dict[Path, tuple[int, int]]:
    return {p: (m.line + 1, m.column + 1) for p, m in compose_marks(text, wanted).items()}


@pytest.fixture(autouse=True)
def small_texts_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_yaml, "_SPLIT_ABOVE", 0)


def test_two_processes_find_what_one_pass_finds() -> None:
    text = _document(300)
    wanted = _wanted(300)
    document = yaml.safe_load(text)
    assert _yaml._top_level_parts(text, list(document)) is not None  # the cut is taken
    assert yaml_positions(text, wanted, document, parallel=True) == _serial(text, wanted)


@pytest.mark.parametrize(
    "change",
    [
        # A key written in quotes: not where a plain `key:` line is looked for.
        lambda text: text.replace("\ncomponents:", '\n"components":'),
        # An alias into another part: that part does not read on its own.
        lambda text: text.replace("  title: Shop", "  title: &name Shop").replace(
            "      description: ok", "      description: *name", 1
        ),
        # Comments before the first key.
        lambda text: "# a shop\n" + text,
    ],
    ids=["quoted-key", "alias-across-parts", "leading-comment"],
)
def test_layouts_the_cut_cannot_trust_are_read_in_one_pass(change: object) -> None:
    assert callable(change)
    text = change(_document(50))
    wanted = _wanted(50)
    document = yaml.safe_load(text)
    assert yaml_positions(text, wanted, document, parallel=True) == _serial(text, wanted)
