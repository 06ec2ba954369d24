from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(params=["yaml-rs", "pyyaml"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with the fast YAML parser and again with the PyYAML reference."""
    if request.param == "pyyaml":
        monkeypatch.setitem(sys.modules, "yaml_rs", None)
    else:
        pytest.importorskip("yaml_rs")
    yield request.param
