"""The token manager: encrypted at rest, one refresh however many callers and processes,
backing off after failures, and "authorize again" when the refresh token is refused."""

import asyncio

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from app.douyin import errors
from app.douyin.crypto import TokenCipher, TokenKeyError
from app.douyin.models import DouyinShop
from tests.douyin.conftest import SHOP_ID, Douyin
from tests.douyin.fake_gateway import FakeDouyin, Fault
from tests.redis_server import fresh_redis_url


async def _shop(douyin: Douyin) -> DouyinShop:
    async with douyin.sessionmaker() as session:
        shop = await session.scalar(select(DouyinShop).where(DouyinShop.shop_id == SHOP_ID))
    assert shop is not None
    return shop


async def _into_refresh_window(douyin: Douyin, fake: FakeDouyin) -> str:
    """Connect, then move the clock to 30 minutes before the access token expires."""
    await douyin.tokens.connect("authorization_self", shop_id=SHOP_ID, code=None)
    first = await douyin.tokens.access_token(SHOP_ID)
    douyin.clock.advance(seconds=fake.access_ttl - 1800)
    return first


async def test_self_use_grant_stores_tokens_encrypted(douyin: Douyin, fake: FakeDouyin) -> None:
    shop_id = await douyin.tokens.connect("authorization_self", shop_id=SHOP_ID, code=None)
    assert shop_id == SHOP_ID
    shop = await _shop(douyin)
    (access,) = fake.access
    (refresh,) = fake.refresh
    assert shop.grant_type == "authorization_self" and shop.shop_name == "茶言旗舰店"
    assert access not in shop.access_token and refresh not in shop.refresh_token
    assert await douyin.tokens.access_token(SHOP_ID) == access


async def test_authorization_code_grant_spends_the_code(douyin: Douyin, fake: FakeDouyin) -> None:
    code = fake.issue_code(SHOP_ID)
    assert await douyin.tokens.connect("authorization_code", shop_id=None, code=code) == SHOP_ID
    assert (await _shop(douyin)).grant_type == "authorization_code"
    with pytest.raises(errors.ReauthorizationRequired):
        await douyin.tokens.connect("authorization_code", shop_id=None, code=code)


async def test_fifty_callers_through_an_expiring_token_make_one_refresh(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    first = await _into_refresh_window(douyin, fake)
    tokens = await asyncio.gather(*(douyin.tokens.access_token(SHOP_ID) for _ in range(50)))
    assert fake.count("token.refresh") == 1
    assert len(set(tokens)) == 1 and tokens[0] != first
    assert tokens[0] in fake.access
    assert (await _shop(douyin)).token_version == 2


@pytest.mark.parametrize("lock", ["redis", "database"])
async def test_two_processes_refresh_once(
    request: pytest.FixtureRequest, douyin: Douyin, fake: FakeDouyin, lock: str
) -> None:
    """Two token managers (two worker processes) share the database, and Redis if any."""
    redis = Redis.from_url(fresh_redis_url(request)) if lock == "redis" else None
    try:
        one = douyin.another_process(redis)
        other = douyin.another_process(redis)
        await one.connect("authorization_self", shop_id=SHOP_ID, code=None)
        douyin.clock.advance(seconds=fake.access_ttl - 1800)
        callers = [m.access_token(SHOP_ID) for m in (one, other) for _ in range(25)]
        tokens = await asyncio.gather(*callers)
    finally:
        if redis is not None:
            await redis.aclose()
    assert fake.count("token.refresh") == 1
    assert len(set(tokens)) == 1 and tokens[0] in fake.access


async def test_a_failed_refresh_backs_off_and_keeps_the_valid_token(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    first = await _into_refresh_window(douyin, fake)
    fake.fail("token.refresh", *(Fault("busy") for _ in range(douyin.settings.max_attempts)))
    for _ in range(20):
        assert await douyin.tokens.access_token(SHOP_ID) == first
    assert fake.count("token.refresh") == douyin.settings.max_attempts  # one call, its retries
    shop = await _shop(douyin)
    assert shop.refresh_failures == 1 and shop.next_refresh_at is not None
    assert shop.last_error and "20000" in shop.last_error
    douyin.clock.now = shop.next_refresh_at
    fresh = await douyin.tokens.access_token(SHOP_ID)
    assert fresh != first and fake.count("token.refresh") == douyin.settings.max_attempts + 1
    assert (await _shop(douyin)).refresh_failures == 0


async def test_no_usable_token_while_backing_off_after_expiry(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    await _into_refresh_window(douyin, fake)
    douyin.clock.advance(seconds=1801)  # the access token has expired
    fake.fail("token.refresh", *(Fault("busy") for _ in range(douyin.settings.max_attempts)))
    with pytest.raises(errors.TokenUnavailable):
        await douyin.tokens.access_token(SHOP_ID)
    assert fake.count("token.refresh") == douyin.settings.max_attempts
    with pytest.raises(errors.TokenUnavailable) as raised:
        await douyin.tokens.access_token(SHOP_ID)
    assert raised.value.retry_after is not None and raised.value.retry_after > 0
    assert fake.count("token.refresh") == douyin.settings.max_attempts  # not asked again


async def test_a_refused_refresh_token_asks_for_authorization_again(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    await _into_refresh_window(douyin, fake)
    fake.expire_refresh_tokens()
    with pytest.raises(errors.ReauthorizationRequired):
        await douyin.tokens.access_token(SHOP_ID)
    shop = await _shop(douyin)
    assert shop.status == "reauthorize"
    calls = len(fake.calls)
    with pytest.raises(errors.ReauthorizationRequired):
        await douyin.tokens.access_token(SHOP_ID)
    assert len(fake.calls) == calls  # nothing more is asked of Douyin
    await douyin.tokens.connect("authorization_self", shop_id=SHOP_ID, code=None)
    assert (await _shop(douyin)).status == "active"
    assert await douyin.tokens.access_token(SHOP_ID) in fake.access


async def test_tokens_survive_a_restart_and_need_the_key(douyin: Douyin, fake: FakeDouyin) -> None:
    await douyin.tokens.connect("authorization_self", shop_id=SHOP_ID, code=None)
    restarted = douyin.another_process(None)
    assert await restarted.access_token(SHOP_ID) in fake.access
    assert fake.count("token.refresh") == 0


def test_the_cipher_refuses_tokens_of_another_key() -> None:
    stored = TokenCipher(["k" * 40]).encrypt("secret-token")
    assert TokenCipher(["new" * 20, "k" * 40]).decrypt(stored) == "secret-token"
    with pytest.raises(TokenKeyError):
        TokenCipher(["other" * 10]).decrypt(stored)
