"""Reading contracts: every unusable input is one clear error naming file:line:col."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from shopgen.contract import load_contract
from shopgen.contract._source import read_source
from shopgen.errors import UserError
from tests.conftest import require_yaml_rs

MINIMAL = "openapi: 3.1.0\ninfo: {title: Shop, version: '1'}\npaths: {}\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def error_of(path: Path) -> UserError:
    with pytest.raises(UserError) as caught:
        load_contract(path)
    return caught.value


@pytest.mark.usefixtures("yaml_parser")
@pytest.mark.parametrize(
    ("content", "line", "column", "message"),
    [
        ("", 1, 1, "file is empty"),
        ("  \n\n", 1, 1, "file is empty"),
        ("openapi: 3.1.0\ninfo:\n\ttitle: x\n", 3, None, "invalid YAML"),
        ("- a\n- b\n", 1, 1, "top level is a list"),
        ("just a string\n", 1, 1, "top level is a str"),
        ("openapi: 3.1.0\npaths: {}\nopenapi: 3.0.0\n", 3, 1, "duplicate key `openapi`"),
        ("info: {title: [1, 2}\n", 1, None, "invalid YAML"),
    ],
    ids=["empty", "blank", "tab", "list", "scalar", "duplicate-key", "unclosed"],
)
def test_bad_yaml_is_one_located_error(
    tmp_path: Path, content: str, line: int, column: int | None, message: str
) -> None:
    path = write(tmp_path, "shop.yaml", content)
    error = error_of(path)
    assert message in error.message
    assert error.path == str(path)
    assert error.line == line
    if column is not None:
        assert error.column == column
    assert str(error).startswith(f"{path}:{line}:")


def test_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.yaml", b"openapi: 3.1.0\ninfo:\n  title: caf\xe9\n")
    error = error_of(path)
    assert "not UTF-8" in error.message and "0xe9" in error.message
    assert (error.line, error.column) == (3, 13)


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.yaml", bytes(range(256)) * 4)
    assert "NUL byte" in error_of(path).message


def test_json_duplicate_key_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.json", '{\n  "openapi": "3.1.0",\n  "openapi": "3.0.0"\n}\n')
    error = error_of(path)
    assert "duplicate key `openapi`" in error.message
    assert (error.line, error.column) == (3, 3)


def test_invalid_json_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.json", '{\n  "openapi": "3.1.0",\n  "info": }\n')
    error = error_of(path)
    assert error.message.startswith("invalid JSON")
    assert (error.line, error.column) == (3, 11)


@pytest.mark.usefixtures("yaml_parser")
def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["openapi: 3.1.0", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    started = time.monotonic()
    error = error_of(path)
    assert time.monotonic() - started < 10
    assert "alias" in error.message or "nesting" in error.message or "YAML" in error.message


@pytest.mark.usefixtures("yaml_parser")
@pytest.mark.parametrize("kind", ["flow", "block"])
def test_deep_yaml_nesting_is_refused(tmp_path: Path, kind: str) -> None:
    depth = 10_000
    if kind == "flow":
        content = "openapi: 3.1.0\nx: " + "[" * depth + "]" * depth + "\n"
    else:
        content = "openapi: 3.1.0\n" + "".join(" " * i + "a:\n" for i in range(depth))
    error = error_of(write(tmp_path, "deep.yaml", content))
    assert "nesting" in error.message or "invalid YAML" in error.message


def test_deep_json_nesting_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.json", '{"openapi": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "nesting is deeper" in error_of(path).message


def test_moderate_nesting_beyond_limit_is_refused(tmp_path: Path) -> None:
    document: dict[str, object] = {"openapi": "3.1.0"}
    node = document
    for _ in range(300):
        child: dict[str, object] = {}
        node["x"] = child
        node = child
    path = write(tmp_path, "deep.json", json.dumps(document))
    assert "nesting is deeper than 256 levels" in error_of(path).message


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: nothing is really written
    error = error_of(path)
    assert "100.0 MiB" in error.message and "limited to 64 MiB" in error.message


def test_size_limit_is_a_parameter(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.yaml", MINIMAL)
    with pytest.raises(UserError, match="limited to"):
        read_source(path, max_bytes=10)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.yaml").message == "no such file"
    assert "is a directory" in error_of(tmp_path).message


@pytest.mark.usefixtures("yaml_parser")
def test_yaml_12_core_scalars(tmp_path: Path) -> None:
    content = (
        "openapi: 3.1.0\nflags: [yes, no, on, off, true, False]\nwhen: 2024-01-01\n"
        "octal: 0o17\nhex: 0x1F\nnothing: ~\nbig: 12345678901234567890\nratio: 1.5e3\n"
    )
    document = load_contract(write(tmp_path, "shop.yaml", content)).document
    assert document["flags"] == ["yes", "no", "on", "off", True, False]
    assert document["when"] == "2024-01-01"
    assert (document["octal"], document["hex"], document["nothing"]) == (15, 31, None)
    assert document["big"] == 12345678901234567890
    assert document["ratio"] == 1500.0


def test_both_yaml_parsers_agree_on_the_canonical_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    require_yaml_rs()
    canonical = Path(__file__).parents[2] / "specs" / "shop.openapi.yaml"
    fast = load_contract(canonical).document
    monkeypatch.setitem(sys.modules, "yaml_rs", None)
    assert load_contract(canonical).document == fast


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.yaml", b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_contract(path).document["openapi"] == "3.1.0"


@pytest.mark.usefixtures("yaml_parser")
def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "loop.yaml", "openapi: 3.1.0\nx: &a\n  again: *a\n")
    error = error_of(path)
    assert "recursive alias" in error.message
    assert error.line == 2  # the anchored node that contains itself


@pytest.mark.usefixtures("yaml_parser")
def test_ordinary_aliases_load(tmp_path: Path) -> None:
    content = "openapi: 3.1.0\nbase: &base {type: string}\ncopy: *base\ntext: 'a *b* c'\n"
    document = load_contract(write(tmp_path, "shop.yaml", content)).document
    assert document["copy"] == {"type": "string"}
