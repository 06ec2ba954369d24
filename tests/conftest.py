from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(params=["yaml-rs", "pyyaml"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with the fast YAML parser and again with the PyYAML reference."""
    if request.param == "pyyaml":
        monkeypatch.setitem(sys.modules, "yaml_rs", None)
    else:
        require_yaml_rs()
    yield request.param


def require_yaml_rs() -> None:
    """Skip without the fast YAML parser on a laptop; in CI its absence is a failure."""
    if os.environ.get("CI"):
        import yaml_rs  # noqa: F401
    else:
        pytest.importorskip("yaml_rs")
