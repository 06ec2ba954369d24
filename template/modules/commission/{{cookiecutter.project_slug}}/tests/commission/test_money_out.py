"""Balances, payouts, a beneficiary's own statement, and the CSV of a period."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from app.auth.models import User
from tests.commission.conftest import Headers, Shop, settler

PAYOUTS = "/api/v1/commission/payouts"


async def _user_id(shop: Shop, email: str) -> int:
    async with shop.app.state.sessionmaker() as session:
        user_id = await session.scalar(select(User.id).where(User.email == email))
    assert user_id is not None
    return int(user_id)


async def _settled_sale(
    shop: Shop, customer_headers: Headers, make_product: Callable[..., Any], talent_user: int
) -> tuple[int, int, int]:
    agent = await shop.channel("agent")
    talent = await shop.channel("talent", agent, user_id=talent_user)
    await shop.rule(0, 1000)
    await shop.rule(1, 500)
    product = await make_product(price_cents=20000, stock=10)
    order_id = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent"
    )
    await shop.complete(order_id)
    await settler(shop.app).run_round()
    return agent, talent, order_id


def _window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "created_from": (now - timedelta(days=1)).isoformat(),
        "created_to": (now + timedelta(days=30)).isoformat(),
    }


async def test_balances_payouts_and_their_limits(
    shop: Shop,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    agent, talent, _ = await _settled_sale(
        shop, customer_headers, make_product, await _user_id(shop, "customer@example.com")
    )
    balances = await client.get("/api/v1/commission/balances", headers=shop.admin)
    rows = {row["channel_code"]: row for row in balances.json()["data"]["items"]}
    assert rows["talent"]["balance_cents"] == 2000 and rows["agent"]["balance_cents"] == 1000
    body = {"channel_id": talent, "amount_cents": 1500, "currency": "CNY", "reference": "BANK-1"}
    paid = await client.post(PAYOUTS, json=body, headers=shop.admin)
    assert paid.status_code == 201, paid.text
    assert paid.json()["data"]["balance_cents"] == 500
    replay = await client.post(PAYOUTS, json=body, headers=shop.admin)
    assert replay.status_code == 201
    assert replay.json()["data"]["journal_id"] == paid.json()["data"]["journal_id"]
    reused = await client.post(PAYOUTS, json={**body, "amount_cents": 100}, headers=shop.admin)
    assert reused.status_code == 409
    assert reused.json()["data"]["errors"][0]["field"] == "reference"
    too_much = await client.post(
        PAYOUTS, json={**body, "reference": "BANK-2", "amount_cents": 501}, headers=shop.admin
    )
    assert too_much.status_code == 409
    assert too_much.json()["data"]["errors"][0]["type"] == "insufficient_balance"
    after = await client.get("/api/v1/commission/balances", headers=shop.admin)
    talent_row = next(r for r in after.json()["data"]["items"] if r["channel_id"] == talent)
    assert (talent_row["earned_cents"], talent_row["paid_out_cents"]) == (2000, 1500)
    assert talent_row["balance_cents"] == 500


async def test_a_beneficiary_reads_and_exports_only_their_own(
    shop: Shop,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    me = await _user_id(shop, "customer@example.com")
    _, talent, order_id = await _settled_sale(shop, customer_headers, make_product, me)
    statement = await client.get(
        "/api/v1/commission/statement", params=_window(), headers=customer_headers
    )
    assert statement.status_code == 200, statement.text
    (account,) = statement.json()["data"]["accounts"]
    assert (account["channel_id"], account["opening_cents"], account["credited_cents"]) == (
        talent,
        0,
        2000,
    )
    assert account["closing_cents"] == 2000
    entries = await client.get("/api/v1/commission/statement/entries", headers=customer_headers)
    assert [e["channel_id"] for e in entries.json()["data"]["items"]] == [talent]
    exported = await client.get(
        "/api/v1/commission/statement/export", params=_window(), headers=customer_headers
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("\ufeffentry_id,journal_id,created_at,kind,order_id")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [(r["channel_code"], r["amount_cents"], r["order_id"]) for r in rows] == [
        ("talent", "2000", str(order_id))
    ]
    ledger = await client.get(
        "/api/v1/commission/ledger/export", params=_window(), headers=shop.admin
    )
    all_rows = list(csv.DictReader(io.StringIO(ledger.text.lstrip("\ufeff"))))
    assert len(all_rows) == 3
    debits = sum(int(r["amount_cents"]) for r in all_rows if r["side"] == "debit")
    credits = sum(int(r["amount_cents"]) for r in all_rows if r["side"] == "credit")
    assert debits == credits == 3000


async def test_periods_are_checked(
    shop: Shop, client: httpx.AsyncClient, customer_headers: Headers
) -> None:
    for params in (
        {"created_from": "2026-11-02T00:00:00+08:00", "created_to": "2026-11-01T00:00:00+08:00"},
        {"created_from": "2025-01-01T00:00:00+08:00", "created_to": "2026-11-01T00:00:00+08:00"},
        {"created_from": "2026-11-01T00:00:00", "created_to": "2026-11-02T00:00:00+08:00"},
        {"created_from": "yesterday", "created_to": "2026-11-02T00:00:00+08:00"},
    ):
        response = await client.get(
            "/api/v1/commission/statement", params=params, headers=customer_headers
        )
        assert response.status_code == 422, params
    nobody = await client.get(
        "/api/v1/commission/statement", params=_window(), headers=customer_headers
    )
    assert nobody.json()["data"]["accounts"] == []
