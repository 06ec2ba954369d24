"""The generated clients under Node against `shopgen mock --stateful`: the purchase flow."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopgen.client import TARGETS

from .node import run_purchase


@pytest.mark.parametrize("target", TARGETS)
def test_purchase_against_the_stateful_mock(
    target: str, clients: dict[str, Path], stateful_mock: str, tmp_path: Path
) -> None:
    report = run_purchase(
        tmp_path,
        clientDir=str(clients[target]),
        target=target,
        baseUrl=stateful_mock,
        backend="mock",
        login={"email": "emma@example.com", "password": "correct-horse-battery"},
    )
    assert report["refreshes"] == 1
    assert report["orderId"] > 0 and report["paymentId"] > 0
