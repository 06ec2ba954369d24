"""A customer's addresses, and the copy an order keeps of the one it ships to."""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from app.addresses.service import MAX_ADDRESSES
from tests import payloads
from tests.markers import requires

pytestmark = requires("listAddresses", "createAddress", "updateAddress", "deleteAddress")

Headers = dict[str, str]
ADDRESSES = "/api/v1/users/me/addresses"
HOME = {
    "recipient": "李伟",
    "phone": "13800138000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 478 号 1201",
    "postal_code": "310012",
}


def _address(**extra: Any) -> dict[str, Any]:
    return {**HOME, **extra}


async def _add(client: httpx.AsyncClient, headers: Headers, **extra: Any) -> dict[str, Any]:
    response = await client.post(ADDRESSES, json=_address(**extra), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["data"]
    return created


async def test_the_first_address_is_the_default_and_one_default_remains(
    client: httpx.AsyncClient, customer_headers: Headers
) -> None:
    home = await _add(client, customer_headers)
    assert home["is_default"] is True
    office = await _add(client, customer_headers, detail="莫干山路 1 号", is_default=True)
    listed = (await client.get(ADDRESSES, headers=customer_headers)).json()["data"]
    assert [(a["id"], a["is_default"]) for a in listed["items"]] == [
        (office["id"], True),
        (home["id"], False),
    ]
    await client.patch(
        f"{ADDRESSES}/{home['id']}", json={"is_default": True}, headers=customer_headers
    )
    gone = await client.delete(f"{ADDRESSES}/{home['id']}", headers=customer_headers)
    assert gone.status_code == 200
    [left] = (await client.get(ADDRESSES, headers=customer_headers)).json()["data"]["items"]
    assert (left["id"], left["is_default"]) == (office["id"], True)


async def test_a_repeated_address_is_the_same_address(
    client: httpx.AsyncClient, customer_headers: Headers
) -> None:
    first = await _add(client, customer_headers)
    again = await _add(client, customer_headers)
    assert again["id"] == first["id"]
    assert (await client.get(ADDRESSES, headers=customer_headers)).json()["data"]["total"] == 1


async def test_a_user_keeps_at_most_twenty(
    client: httpx.AsyncClient, customer_headers: Headers
) -> None:
    for n in range(MAX_ADDRESSES - 1):
        await _add(client, customer_headers, detail=f"{n} 号")
    # Two at once for the last place: one gets it.
    answers = await asyncio.gather(
        *(
            client.post(ADDRESSES, json=_address(detail=f"last {n}"), headers=customer_headers)
            for n in range(2)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["code"] == 40908
    assert (await client.get(ADDRESSES, headers=customer_headers)).json()["data"]["total"] == 20


async def test_another_users_address_is_not_found_and_not_orderable(
    client: httpx.AsyncClient,
    customer_headers: Headers,
    other_customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    theirs = await _add(client, other_customer_headers)
    for method in ("PATCH", "DELETE"):
        response = await client.request(
            method, f"{ADDRESSES}/{theirs['id']}", json={"city": "上海市"}, headers=customer_headers
        )
        assert response.status_code == 404, method
    product = await make_product()
    order = await client.post(
        "/api/v1/orders",
        json={
            "items": [{"product_id": product["id"], "quantity": 1}],
            "address_id": theirs["id"],
            **payloads.CREATE_ORDER,
        },
        headers={**customer_headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 422
    assert order.json()["code"] == 42203
    assert order.json()["data"]["errors"][0]["field"] == "address_id"
    listed = await client.get("/api/v1/orders", headers=customer_headers)
    assert listed.json()["data"]["total"] == 0


async def test_an_order_keeps_the_address_as_it_was(
    client: httpx.AsyncClient, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    home = await _add(client, customer_headers)
    product = await make_product()
    placed = await client.post(
        "/api/v1/orders",
        json={
            "items": [{"product_id": product["id"], "quantity": 1}],
            "address_id": home["id"],
            **payloads.CREATE_ORDER,
        },
        headers={**customer_headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()["data"]
    assert order["shipping_address"] == HOME
    await client.patch(
        f"{ADDRESSES}/{home['id']}", json={"city": "宁波市"}, headers=customer_headers
    )
    await client.delete(f"{ADDRESSES}/{home['id']}", headers=customer_headers)
    read = await client.get(f"/api/v1/orders/{order['id']}", headers=customer_headers)
    assert read.json()["data"]["shipping_address"] == HOME
