"""Atomic writes and YAML loading, shared by every command."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from shopgen.errors import UserError
from shopgen.files import load_yaml, parse_yaml, write_atomic


def test_write_creates_the_parent_and_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "page.html"
    write_atomic(target, "first")
    write_atomic(target, b"second", mode=0o600)
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("kept", encoding="utf-8")
    with pytest.raises(UserError, match="cannot write") as caught:
        write_atomic(target, "new")
    assert caught.value.path == str(target)
    assert (target / "inside").read_text(encoding="utf-8") == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_parent_that_is_a_file_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="cannot write"):
        write_atomic(tmp_path / "file" / "child", "x")


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (b"a: [unclosed\n", "invalid YAML", 2),
        (b"a: 1\n  b: 2\n", "invalid YAML", 2),
        (b"\xff\xfe", "is not UTF-8 text", None),
    ],
    ids=["unclosed", "indent", "binary"],
)
def test_bad_yaml_is_one_located_error(
    tmp_path: Path, content: bytes, message: str, line: int | None
) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message) as caught:
        load_yaml(path)
    assert caught.value.path == str(path)
    assert caught.value.line == line


def test_missing_file_and_good_yaml(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        load_yaml(tmp_path / "missing.yaml")
    path = tmp_path / "ok.yaml"
    path.write_text("a: [1, 2]\n", encoding="utf-8")
    assert load_yaml(path) == {"a": [1, 2]}
    assert parse_yaml("", path) is None
