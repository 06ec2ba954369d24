from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shopgen import docs
from shopgen.errors import UserError

from .conftest import SHOP, clean_linter


class Served:
    def __init__(self, url: str, log: list[str]) -> None:
        self.url = url
        self.log = log

    def get(self, path: str = "") -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:  # noqa: S310
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        pytest.fail(f"timed out waiting until {what}; log: {self.log}")


@pytest.fixture
def serving(tmp_path: Path, write_contract: Callable[..., Path]) -> Iterator[Served]:
    contract = write_contract(SHOP)
    log: list[str] = []
    ready: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=docs.serve,
        args=(contract, tmp_path / "site" / "index.html", docs.DocsOptions(linter=clean_linter)),
        kwargs={
            "port": 0,
            "ready": ready.append,
            "stop": stop,
            "log": log.append,
            "interval": 0.05,
        },
    )
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not ready and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready, f"server did not start: {log}"
        assert ready[0].startswith("http://127.0.0.1:")
        yield Served(ready[0], log)
    finally:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive()


def test_serves_the_page_and_rebuilds_when_the_contract_changes(
    serving: Served, tmp_path: Path
) -> None:
    status, page = serving.get()
    assert status == 200
    assert "List the active coupons" in page
    assert "Mint a batch of secret coupons" not in page

    contract = tmp_path / "openapi.yaml"
    contract.write_text(
        SHOP.replace("List the active coupons", "List the coupons you can use"), encoding="utf-8"
    )
    serving.wait_until(lambda: "List the coupons you can use" in serving.get()[1], "rebuilt")
    assert serving.get("nothing-here")[0] == 404


def test_a_broken_edit_keeps_the_last_good_page(serving: Served, tmp_path: Path) -> None:
    contract = tmp_path / "openapi.yaml"
    contract.write_text("openapi: [unclosed\n", encoding="utf-8")
    serving.wait_until(lambda: any("invalid YAML" in line for line in serving.log), "reported")
    status, page = serving.get()
    assert status == 200
    assert "List the active coupons" in page


def test_a_busy_port_is_a_user_error(tmp_path: Path, write_contract: Callable[..., Path]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserError, match=f"cannot listen on 127.0.0.1:{port}"):
            docs.serve(
                write_contract(SHOP),
                tmp_path / "index.html",
                docs.DocsOptions(linter=clean_linter),
                port=port,
                log=lambda line: None,
            )
