"""Order and product sync against the fake gateway: windows from a stored cursor, keyset
pages, overlap without duplicates, no gap after a failure, shops in parallel within a bound,
and stock that moves once."""

from datetime import timedelta

from sqlalchemy import func, select

from app.douyin.models import DouyinOrderLink, DouyinSku, DouyinSyncCursor
from app.orders.models import Order
from app.products.models import ProductVariant
from tests.douyin.conftest import SHOP_ID, Douyin, add_product
from tests.douyin.fake_gateway import FakeDouyin, Fault


async def _products(douyin: Douyin, **stock: int) -> dict[str, int]:
    """Local products by sku, with the given stock; their variants' ids."""
    async with douyin.sessionmaker() as session:
        ids = {sku: await add_product(session, sku, n, 1000) for sku, n in stock.items()}
        await session.commit()
        return ids


async def _stock(douyin: Douyin, variant_id: int) -> int:
    async with douyin.sessionmaker() as session:
        value = await session.scalar(
            select(ProductVariant.stock).where(ProductVariant.id == variant_id)
        )
    assert value is not None
    return value


async def _orders(douyin: Douyin) -> list[Order]:
    async with douyin.sessionmaker() as session:
        return list(await session.scalars(select(Order).where(Order.source == "douyin")))


async def _cursor(douyin: Douyin, resource: str = "orders") -> DouyinSyncCursor:
    async with douyin.sessionmaker() as session:
        cursor = await session.get(DouyinSyncCursor, (SHOP_ID, resource))
    assert cursor is not None
    return cursor


def _now(douyin: Douyin) -> int:
    return int(douyin.clock().timestamp())


async def _connected(douyin: Douyin) -> None:
    await douyin.tokens.connect("authorization_self", shop_id=SHOP_ID, code=None)


async def test_orders_over_several_pages_are_mirrored_once(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    ids = await _products(douyin, TEA=1000)
    await _connected(douyin)
    start = _now(douyin) - 3600
    for n in range(250):
        fake.put_order(
            SHOP_ID, f"69{n:05d}", status=2, lines=[("TEA", 1, 1680)], update_time=start + n * 10
        )
    assert await douyin.sync.run_shop(SHOP_ID)
    orders = await _orders(douyin)
    assert len(orders) == 250 and {o.external_id for o in orders} == set(fake.shops[SHOP_ID].orders)
    assert all(o.status == "paid" and o.total_cents == 1680 and o.currency == "CNY" for o in orders)
    assert await _stock(douyin, ids["TEA"]) == 750
    cursor = await _cursor(douyin)
    # Each keyset page starts at the last update time seen, so a few orders are read twice.
    assert cursor.status == "ok" and cursor.items_seen >= 250 and cursor.items_changed == 250
    assert cursor.synced_through == douyin.clock()
    assert fake.count("order.searchList") >= 3 and fake.rejected == []


async def test_the_overlap_reads_again_and_changes_nothing(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    ids = await _products(douyin, TEA=10)
    await _connected(douyin)
    fake.put_order(
        SHOP_ID, "6901", status=2, lines=[("TEA", 3, 1680)], update_time=_now(douyin) - 30
    )
    await douyin.sync.run_shop(SHOP_ID)
    douyin.clock.advance(seconds=60)
    await douyin.sync.run_shop(SHOP_ID)  # its window starts before the order's update time
    cursor = await _cursor(douyin)
    assert cursor.items_seen == 1 and cursor.items_changed == 0
    assert len(await _orders(douyin)) == 1
    assert await _stock(douyin, ids["TEA"]) == 7


async def test_an_order_changed_while_paging_does_not_hide_another(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    """Offset paging would skip an order when one already read moves to the end."""
    await _products(douyin, TEA=1000)
    await _connected(douyin)
    start = _now(douyin) - 3600
    for n in range(150):
        fake.put_order(
            SHOP_ID, f"68{n:05d}", status=1, lines=[("TEA", 1, 100)], update_time=start + n
        )

    def move_one(page: int) -> None:
        if page == 0 and fake.after_page is not None:
            fake.shops[SHOP_ID].orders["6800000"]["update_time"] = _now(douyin) - 1
            fake.after_page = None

    fake.after_page = move_one
    await douyin.sync.run_shop(SHOP_ID)
    assert len(await _orders(douyin)) == 150


async def test_a_failed_run_leaves_no_gap(douyin: Douyin, fake: FakeDouyin) -> None:
    await _products(douyin, TEA=1000)
    await _connected(douyin)
    douyin.settings.sync_max_window = 3600
    douyin.settings.sync_first_window = 3 * 3600
    now = _now(douyin)
    for hour in range(3):
        update_time = now - 3 * 3600 + hour * 3600 + 1800
        fake.put_order(
            SHOP_ID, f"670{hour}", status=2, lines=[("TEA", 1, 100)], update_time=update_time
        )

    def fail_the_next_window(page: int) -> None:
        fake.fail("order.searchList", *[Fault("busy")] * douyin.settings.max_attempts)
        fake.after_page = None

    fake.after_page = fail_the_next_window
    assert not await douyin.sync.run_shop(SHOP_ID, ["orders"])
    cursor = await _cursor(douyin)
    assert cursor.status == "failed" and cursor.last_error
    assert cursor.synced_through == douyin.clock() - timedelta(hours=2)
    assert {o.external_id for o in await _orders(douyin)} == {"6700"}
    assert await douyin.sync.run_shop(SHOP_ID, ["orders"])
    assert {o.external_id for o in await _orders(douyin)} == {"6700", "6701", "6702"}
    assert (await _cursor(douyin)).synced_through == douyin.clock()


async def test_shops_sync_in_parallel_within_the_bound(douyin: Douyin, fake: FakeDouyin) -> None:
    shops = [f"3000{n}" for n in range(6)]
    for shop_id in shops:
        fake.add_shop(shop_id)
        await douyin.tokens.connect("authorization_self", shop_id=shop_id, code=None)
    douyin.settings.sync_concurrency = 2
    fake.page_delay = 0.05
    outcomes = await douyin.sync.run_all()
    assert set(outcomes) == set(shops) and all(outcomes.values())
    assert fake.max_in_flight == 2


async def test_one_shop_failing_does_not_stop_the_others(douyin: Douyin, fake: FakeDouyin) -> None:
    fake.add_shop("30001")
    await _connected(douyin)
    await douyin.tokens.connect("authorization_self", shop_id="30001", code=None)
    fake.expire_refresh_tokens()
    fake.expire_access_tokens()
    douyin.clock.advance(days=8)
    fake.add_shop("30002")
    await douyin.tokens.connect("authorization_self", shop_id="30002", code=None)
    outcomes = await douyin.sync.run_all()
    assert outcomes == {SHOP_ID: False, "30001": False, "30002": True}


async def test_stock_moves_once_when_paid_and_back_once_when_cancelled(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    ids = await _products(douyin, TEA=10, CUP=4)
    await _connected(douyin)
    now = _now(douyin)
    fake.put_order(
        SHOP_ID, "6601", status=1, lines=[("TEA", 2, 100), ("CUP", 1, 50)], update_time=now - 60
    )
    await douyin.sync.run_shop(SHOP_ID, ["orders"])
    assert (await _stock(douyin, ids["TEA"]), await _stock(douyin, ids["CUP"])) == (10, 4)
    for status, tea in ((2, 8), (3, 8), (3, 8)):
        fake.shops[SHOP_ID].orders["6601"].update(order_status=status, update_time=now + status)
        douyin.clock.advance(seconds=10)
        await douyin.sync.run_shop(SHOP_ID, ["orders"])
        assert await _stock(douyin, ids["TEA"]) == tea
    fake.shops[SHOP_ID].orders["6601"].update(order_status=4, update_time=now + 30)
    douyin.clock.advance(seconds=30)
    await douyin.sync.run_shop(SHOP_ID, ["orders"])
    await douyin.sync.run_shop(SHOP_ID, ["orders"])
    assert (await _stock(douyin, ids["TEA"]), await _stock(douyin, ids["CUP"])) == (10, 4)
    (order,) = await _orders(douyin)
    assert order.status == "cancelled"
    async with douyin.sessionmaker() as session:
        link = await session.get(DouyinOrderLink, "6601")
    assert link is not None and link.stock_state == "returned"


async def test_an_order_without_a_known_sku_is_not_mirrored(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    await _connected(douyin)
    fake.put_order(
        SHOP_ID, "6501", status=2, lines=[("NOPE", 1, 100)], update_time=_now(douyin) - 5
    )
    assert await douyin.sync.run_shop(SHOP_ID, ["orders"])
    assert await _orders(douyin) == []
    async with douyin.sessionmaker() as session:
        link = await session.get(DouyinOrderLink, "6501")
    assert link is not None and link.unmatched_lines == 1 and link.stock_state == "none"


async def test_products_sync_maps_skus_by_merchant_code(douyin: Douyin, fake: FakeDouyin) -> None:
    ids = await _products(douyin, TEA=1)
    await _connected(douyin)
    shop = fake.shops[SHOP_ID]
    shop.products["3501"] = {"product_id": "3501", "name": "龙井", "update_time": _now(douyin) - 10}
    shop.skus["3501"] = [{"id": "1700001", "code": "TEA"}, {"id": "1700002", "code": "GONE"}]
    assert await douyin.sync.run_shop(SHOP_ID, ["products"])
    async with douyin.sessionmaker() as session:
        skus = {
            row.sku_id: row.local_variant_id for row in await session.scalars(select(DouyinSku))
        }
        count = await session.scalar(select(func.count()).select_from(DouyinSku))
    assert skus == {"1700001": ids["TEA"], "1700002": None} and count == 2
    cursor = await _cursor(douyin, "products")
    assert cursor.status == "ok" and cursor.items_seen == 2
