"""Pointers to line:column, in YAML and JSON, found lazily and in one pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopgen.contract import load_contract

YAML = """\
openapi: 3.1.0
info:
  title: Shop
  version: '1'
paths:
  /api/v1/products:
    get:
      operationId: listProducts
      parameters:
        - name: page
          in: query
        - {name: limit, in: query}
  "/api/v1/odd~name":
    get: {operationId: odd}
"""


@pytest.mark.parametrize(
    ("pointer", "position"),
    [
        ("", (1, 1)),
        ("/info", (2, 1)),
        ("/info/version", (4, 3)),
        ("/paths/~1api~1v1~1products/get", (7, 5)),
        ("/paths/~1api~1v1~1products/get/parameters/0", (10, 11)),
        ("/paths/~1api~1v1~1products/get/parameters/1/name", (12, 12)),
        ("/paths/~1api~1v1~1odd~0name/get/operationId", (14, 11)),
        ("/paths/~1api~1v1~1products/get/responses/200", (7, 5)),  # missing: nearest ancestor
    ],
)
def test_yaml_positions(tmp_path: Path, pointer: str, position: tuple[int, int]) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(YAML)
    assert load_contract(path).source.locate(pointer) == position


def test_json_positions_match_the_text(tmp_path: Path) -> None:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Shop", "version": "1"},
        "paths": {
            "/a/{id}": {"get": {"parameters": [{"name": "id", "in": "path"}, {"x": [1, {"y": 2}]}]}}
        },
    }
    text = json.dumps(document, indent=2)
    path = tmp_path / "shop.json"
    path.write_text(text)
    source = load_contract(path).source
    lines = text.splitlines()
    for pointer, needle in [
        ("/info/version", '"version"'),
        ("/paths/~1a~1{id}/get", '"get"'),
        ("/paths/~1a~1{id}/get/parameters/1/x", '"x"'),
    ]:
        line, column = source.locate(pointer)
        assert lines[line - 1][column - 1 :].startswith(needle), pointer
    line, column = source.locate("/paths/~1a~1{id}/get/parameters/1/x/1/y")
    assert lines[line - 1][column - 1 :].startswith('"y"')
    line, column = source.locate("/paths/~1a~1{id}/get/parameters/0")
    assert lines[line - 1][column - 1 :].startswith("{")


def test_many_positions_in_one_call(tmp_path: Path) -> None:
    paths = {f"/p{i}": {"get": {"operationId": f"op{i}"}} for i in range(2000)}
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"openapi": "3.1.0", "paths": paths}, indent=1))
    source = load_contract(path).source
    pointers = [f"/paths/~1p{i}/get/operationId" for i in range(2000)]
    positions = source.locate_many(pointers)
    lines = source.text.splitlines()
    for i in (0, 999, 1999):
        line, column = positions[pointers[i]]
        assert lines[line - 1][column - 1 :].startswith('"operationId"')


@pytest.mark.parametrize("indent", [None, 1], ids=["one-line", "indented"])
def test_positions_in_json_on_one_line_or_many(tmp_path: Path, indent: int | None) -> None:
    """Minified JSON is one line: every column counts from the start of the text."""
    paths = {f"/p{i}": {"get": {"operationId": f"op{i}"}} for i in range(500)}
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"openapi": "3.1.0", "paths": paths}, indent=indent))
    source = load_contract(path).source
    pointers = [f"/paths/~1p{i}/get/operationId" for i in range(500)]
    positions = source.locate_many(pointers)
    lines = source.text.splitlines()
    assert (len(lines) == 1) == (indent is None)
    for pointer in pointers:
        line, column = positions[pointer]
        assert lines[line - 1][column - 1 :].startswith('"operationId"'), pointer


def test_yaml_positions_past_flow_collections_and_aliases(tmp_path: Path) -> None:
    text = (
        "openapi: 3.1.0\n"  # 1
        "x-odd:\n"  # 2
        "  list: [a, [b, c]]\n"  # 3
        "  map: {c: 1}\n"  # 4
        "  plain: &p {d: 2}\n"  # 5
        "  again: *p\n"  # 6
        "paths:\n"  # 7
        "  /a:\n"  # 8
        "    get:\n"  # 9
        "      responses:\n"  # 10
        "        '200': {description: ok}\n"  # 11
    )
    path = tmp_path / "shop.yaml"
    path.write_text(text)
    source = load_contract(path).source
    assert source.locate("/paths/~1a/get/responses/200/description") == (11, 17)
    assert source.locate("/x-odd/again") == (6, 3)
    assert source.locate("/x-odd/plain/d") == (5, 14)
    assert source.locate("/x-odd/list/1/1") == (3, 17)
