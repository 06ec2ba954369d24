from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shopgen.client import TARGETS, generate
from shopgen.resources import bundled_contract

from ..mock.process import run_mock


@pytest.fixture(scope="session")
def clients(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The canonical contract's client, once per target."""
    root = tmp_path_factory.mktemp("clients")
    return {
        target: generate(bundled_contract(), target, root / target).output for target in TARGETS
    }


@pytest.fixture(scope="session")
def stateful_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `shopgen mock --stateful` for the session; access tokens live one second, so the
    clients meet expired tokens on their own."""
    with run_mock(tmp_path_factory.mktemp("mock"), "--stateful", "--token-ttl", "1") as (http, _):
        yield str(http.base_url).rstrip("/")
