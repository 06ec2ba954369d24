"""The client against the fake gateway over real HTTP: signatures, the error envelope as typed
exceptions, retries only where nothing was done, timeouts, and logs without secrets."""

import logging

import httpx
import pytest
from pydantic import SecretStr

from app.douyin import errors
from app.douyin.config import DouyinSettings
from app.douyin.gateway import DouyinGateway
from tests.douyin.conftest import APP_SECRET, SHOP_ID, Douyin
from tests.douyin.fake_gateway import Clock, FakeDouyin, Fault


async def _connect(douyin: Douyin) -> str:
    return await douyin.tokens.connect("authorization_self", shop_id=SHOP_ID, code=None)


@pytest.mark.parametrize("sign_method", ["hmac-sha256", "md5"])
@pytest.mark.parametrize("ascii_only", [False, True], ids=["utf8", "ascii"])
async def test_every_request_verifies_at_the_gateway(
    douyin: Douyin, fake: FakeDouyin, sign_method: str, ascii_only: bool
) -> None:
    douyin.settings.sign_method = sign_method  # type: ignore[assignment]
    douyin.settings.ascii_param_json = ascii_only
    fake.put_order(SHOP_ID, "6919", status=2, lines=[("茶-1", 1, 100)], update_time=1_718_677_013)
    await _connect(douyin)
    page = await douyin.client.for_shop(SHOP_ID).order.search(
        update_time_start=1_718_600_000, update_time_end=1_718_700_000
    )
    assert [o["order_id"] for o in page["shop_order_list"]] == ["6919"]
    assert fake.rejected == []
    assert fake.count("token.create") == 1 and fake.count("order.searchList") == 1


async def test_a_wrong_secret_is_a_signature_error_and_is_not_retried(
    douyin_settings: DouyinSettings, fake: FakeDouyin, http: httpx.AsyncClient, clock: Clock
) -> None:
    wrong = douyin_settings.model_copy(update={"app_secret": SecretStr(APP_SECRET + "x")})
    gateway = DouyinGateway(http, wrong, clock=clock)
    with pytest.raises(errors.DouyinSignatureRejected):
        await gateway.call("token.create", {"grant_type": "authorization_self", "shop_id": SHOP_ID})
    assert fake.rejected == ["signature mismatch"]


@pytest.mark.parametrize("kind", ["rate_limit", "busy", "http_500"])
async def test_retryable_errors_are_retried_with_growing_backoff(
    douyin: Douyin, fake: FakeDouyin, kind: str
) -> None:
    await _connect(douyin)
    fake.fail("product.listV2", Fault(kind), Fault(kind))
    answer = await douyin.client.for_shop(SHOP_ID).product.list(page=1, size=10)
    assert answer["total"] == 0
    assert fake.count("product.listV2") == 3
    assert len(douyin.sleeps) == 2
    assert all(0 <= wait <= douyin.settings.retry_cap for wait in douyin.sleeps)


async def test_retries_stop_after_max_attempts(douyin: Douyin, fake: FakeDouyin) -> None:
    await _connect(douyin)
    fake.fail("product.listV2", *(Fault("busy") for _ in range(5)))
    with pytest.raises(errors.DouyinUnavailable):
        await douyin.client.for_shop(SHOP_ID).product.list()
    assert fake.count("product.listV2") == douyin.settings.max_attempts


async def test_a_refusal_is_typed_and_not_retried(douyin: Douyin, fake: FakeDouyin) -> None:
    await _connect(douyin)
    fake.fail("order.orderDetail", Fault("business"))
    with pytest.raises(errors.DouyinBusinessError) as raised:
        await douyin.client.for_shop(SHOP_ID).order.detail(shop_order_id="1")
    assert raised.value.code == 40003 and raised.value.sub_code == "isv.business-failed"
    assert raised.value.log_id
    assert fake.count("order.orderDetail") == 1 and douyin.sleeps == []


async def test_a_read_that_times_out_is_tried_again(douyin: Douyin, fake: FakeDouyin) -> None:
    await _connect(douyin)
    fake.fail("product.listV2", Fault("timeout", delay=douyin.settings.timeout + 0.5))
    answer = await douyin.client.for_shop(SHOP_ID).product.list()
    assert answer["total"] == 0
    assert fake.count("product.listV2") == 2


async def test_a_token_call_that_times_out_is_not_repeated(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    """The code may already be spent: a second `token.create` would fail for that reason."""
    code = fake.issue_code(SHOP_ID)
    fake.fail("token.create", Fault("timeout", delay=douyin.settings.timeout + 0.5))
    with pytest.raises(errors.DouyinTimeout):
        await douyin.tokens.connect("authorization_code", shop_id=None, code=code)
    assert fake.count("token.create") == 1


async def test_an_expired_token_is_refreshed_once_and_the_call_repeated(
    douyin: Douyin, fake: FakeDouyin
) -> None:
    await _connect(douyin)
    fake.expire_access_tokens()
    answer = await douyin.client.for_shop(SHOP_ID).product.list()
    assert answer["total"] == 0
    assert fake.count("token.refresh") == 1 and fake.count("product.listV2") == 2


async def test_logs_name_the_call_but_never_a_secret(
    douyin: Douyin, fake: FakeDouyin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="app.douyin")
    await _connect(douyin)
    fake.fail("product.listV2", Fault("busy"))
    await douyin.client.for_shop(SHOP_ID).product.list()
    text = caplog.text
    assert "method=product.listV2" in text and "outcome=DouyinUnavailable" in text
    assert "outcome=ok" in text
    secrets = [APP_SECRET, *fake.access, *fake.refresh]
    assert not [secret for secret in secrets if secret in text]
    assert "sign=" not in text
