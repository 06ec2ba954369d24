"""The channel tree and the rules over HTTP: at most five deep, no cycles, codes unique,
rules versioned, admins only."""

import httpx

from tests.commission.conftest import Headers, Shop

CHANNELS = "/api/v1/commission/channels"


async def _chain(shop: Shop, depth: int, prefix: str = "c") -> list[int]:
    ids: list[int] = []
    for level in range(depth):
        ids.append(await shop.channel(f"{prefix}{level}", ids[-1] if ids else None))
    return ids


async def test_a_channel_knows_its_path_and_depth(shop: Shop, client: httpx.AsyncClient) -> None:
    ids = await _chain(shop, 3)
    response = await client.get(f"{CHANNELS}/{ids[2]}", headers=shop.admin)
    data = response.json()["data"]
    assert (data["depth"], data["path"], data["parent_id"]) == (3, ["c0", "c1", "c2"], ids[1])
    children = await client.get(CHANNELS, params={"parent_id": ids[0]}, headers=shop.admin)
    assert [c["id"] for c in children.json()["data"]["items"]] == [ids[1]]


async def test_the_tree_is_at_most_five_deep(shop: Shop, client: httpx.AsyncClient) -> None:
    ids = await _chain(shop, 5)
    response = await client.post(
        CHANNELS, json={"code": "too-deep", "name": "Six", "parent_id": ids[-1]}, headers=shop.admin
    )
    assert response.status_code == 422
    assert response.json()["data"]["errors"][0]["type"] == "too_deep"


async def test_codes_are_unique(shop: Shop, client: httpx.AsyncClient) -> None:
    await shop.channel("talent-lin")
    response = await client.post(
        CHANNELS, json={"code": "talent-lin", "name": "Again"}, headers=shop.admin
    )
    assert response.status_code == 409
    assert response.json()["data"]["errors"][0]["field"] == "code"


async def test_a_move_carries_the_subtree_and_refuses_cycles_and_depth(
    shop: Shop, client: httpx.AsyncClient
) -> None:
    a = await _chain(shop, 3, "a")  # a0 > a1 > a2
    b = await _chain(shop, 2, "b")  # b0 > b1
    moved = await client.patch(f"{CHANNELS}/{a[1]}", json={"parent_id": b[1]}, headers=shop.admin)
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["path"] == ["b0", "b1", "a1"]
    leaf = (await client.get(f"{CHANNELS}/{a[2]}", headers=shop.admin)).json()["data"]
    assert (leaf["depth"], leaf["path"]) == (4, ["b0", "b1", "a1", "a2"])
    cycle = await client.patch(f"{CHANNELS}/{b[0]}", json={"parent_id": a[2]}, headers=shop.admin)
    assert cycle.status_code == 422
    assert cycle.json()["data"]["errors"][0]["type"] == "cycle"
    c = await _chain(shop, 4, "c")  # under c3, a1 would be at 5 and a2 at 6
    deep = await client.patch(f"{CHANNELS}/{a[1]}", json={"parent_id": c[3]}, headers=shop.admin)
    assert deep.status_code == 422
    assert deep.json()["data"]["errors"][0]["type"] == "too_deep"
    root = await client.patch(f"{CHANNELS}/{a[1]}", json={"parent_id": None}, headers=shop.admin)
    assert root.json()["data"]["path"] == ["a1"] and root.json()["data"]["depth"] == 1


async def test_unknown_parents_users_and_channels(shop: Shop, client: httpx.AsyncClient) -> None:
    parent = await client.post(
        CHANNELS, json={"code": "orphan", "name": "O", "parent_id": 999}, headers=shop.admin
    )
    assert parent.status_code == 422
    user = await client.post(
        CHANNELS, json={"code": "nobody", "name": "N", "user_id": 999}, headers=shop.admin
    )
    assert user.status_code == 422
    missing = await client.get(f"{CHANNELS}/999", headers=shop.admin)
    assert missing.status_code == 404


async def test_admins_only(
    shop: Shop, client: httpx.AsyncClient, customer_headers: Headers
) -> None:
    for method, path in (("GET", CHANNELS), ("POST", "/api/v1/commission/settlements")):
        response = await client.request(method, path, headers=customer_headers)
        assert response.status_code == 403
    anonymous = await client.get(CHANNELS)
    assert anonymous.status_code == 401


async def test_rules_are_versioned_per_channel_level_and_currency(
    shop: Shop, client: httpx.AsyncClient
) -> None:
    agency = await shop.channel("agency")
    first = await shop.rule(1, 300, channel_id=agency)
    second = await shop.rule(1, 250, channel_id=agency, cap_cents=5000)
    default = await shop.rule(1, 100)
    usd = await shop.rule(1, 100, channel_id=agency, currency="USD")
    assert [first["version"], second["version"], default["version"], usd["version"]] == [1, 2, 1, 1]
    listed = await client.get(
        "/api/v1/commission/rules", params={"channel_id": agency}, headers=shop.admin
    )
    assert [r["id"] for r in listed.json()["data"]["items"]] == [
        usd["id"],
        second["id"],
        first["id"],
    ]
    bad = await client.post(
        "/api/v1/commission/rules",
        json={
            "level": 0,
            "rate_bp": 10,
            "currency": "CNY",
            "valid_from": "2026-11-02T00:00:00+08:00",
            "valid_until": "2026-11-01T00:00:00+08:00",
        },
        headers=shop.admin,
    )
    assert bad.status_code == 422
    unknown = await client.post(
        "/api/v1/commission/rules",
        json={"channel_id": 999, "level": 0, "rate_bp": 10, "currency": "CNY"},
        headers=shop.admin,
    )
    assert unknown.status_code == 422
