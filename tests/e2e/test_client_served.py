"""The generated clients under Node against a served generated project: the purchase flow.

The mini-program client logs in through WeChat (a fake `wx` whose `login` hands out codes,
and the project's WeChat API pointed at a local stand-in for `jscode2session`); the web client
logs in with email and password. Both pay through the mock channel and meet an expired access
token, minted here with the project's JWT settings, that they refresh once.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest

from shopgen.client import TARGETS, generate
from shopgen.resources import bundled_contract

from ..client.node import run_purchase
from .conftest import serve
from .fake_wechat import APP_ID, APP_SECRET, serve_fake_wechat
from .shop_setup import CUSTOMER, SECRET, open_shop, order_count, shop_env

ISSUER = "client-e2e"


@dataclass(frozen=True)
class ServedShop:
    base_url: str
    database: Path
    product_id: int


@pytest.fixture(scope="module")
def served_shop(
    canonical_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedShop]:
    database = tmp_path_factory.mktemp("client-served") / "shop.db"
    with ExitStack() as stack:
        wechat = stack.enter_context(serve_fake_wechat())
        env = shop_env(
            canonical_project,
            database,
            WECHAT_APP_ID=APP_ID,
            WECHAT_APP_SECRET=APP_SECRET,
            WECHAT_API_BASE=wechat.base_url,
            PAYMENT_MOCK_ENABLED="true",
            JWT_ISSUER=ISSUER,
            JWT_AUDIENCE=ISSUER,
        )
        http = stack.enter_context(serve(canonical_project, env))
        shop = open_shop(http, stock=50)
        yield ServedShop(str(http.base_url).rstrip("/"), database, shop.product_id)


def expired_access_token() -> str:
    """An access token of this project that expired a minute ago (beyond its leeway)."""
    now = int(time.time())
    claims = {
        "sub": "0",
        "iss": ISSUER,
        "aud": ISSUER,
        "iat": now - 960,
        "exp": now - 60,
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("served-clients")
    return {
        target: generate(bundled_contract(), target, root / target).output for target in TARGETS
    }


@pytest.mark.parametrize("target", TARGETS)
def test_purchase_against_a_served_project(
    target: str, served_shop: ServedShop, clients: dict[str, Path], tmp_path: Path
) -> None:
    before = order_count(served_shop.database)
    report = run_purchase(
        tmp_path,
        clientDir=str(clients[target]),
        target=target,
        baseUrl=served_shop.base_url,
        backend="served",
        login=CUSTOMER,
        productId=served_shop.product_id,
        expiredAccessToken=expired_access_token(),
    )
    assert report["refreshes"] == 1
    with sqlite3.connect(served_shop.database) as db:
        (status,) = db.execute(
            "SELECT status FROM orders WHERE id = ?", (report["orderId"],)
        ).fetchone()
    assert status == "paid"
    # Two orders were placed; sending the first one's Idempotency-Key again added none.
    assert order_count(served_shop.database) - before == 2
