"""WeChat Pay API v3 signatures, decryption and the JSAPI prepay call, against a fake WeChat Pay
that checks the wire format independently (tests/fakes/wechatpay.py)."""

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from app.core.errors import UpstreamError, UpstreamTimeout
from app.payments import signing
from app.payments.wechat import (
    NotificationRejected,
    WechatPay,
    WechatPayClient,
    WechatPayDeclined,
)
from tests.fakes.wechatpay import FakeWechatPay, new_key


def utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="session")
def fake() -> FakeWechatPay:
    return FakeWechatPay(merchant_key=new_key(), platform_key=new_key())


@pytest.fixture
def config(fake: FakeWechatPay) -> WechatPay:
    fake.orders.clear()
    return WechatPay(
        merchant=signing.Merchant(
            mch_id=fake.mch_id,
            app_id=fake.app_id,
            serial=fake.merchant_serial,
            private_key=fake.merchant_key,
        ),
        platform_keys={fake.platform_serial: fake.platform_key.public_key()},
        api_v3_key=fake.api_v3_key.encode(),
        api_base=fake.base_url,
        notify_url="https://shop.example.com/api/v1/payments/wechat/notifications",
    )


def client_for(config: WechatPay, respond: httpx.MockTransport) -> WechatPayClient:
    return WechatPayClient(httpx.AsyncClient(transport=respond), config, utcnow)


async def prepay(client: WechatPayClient, out_trade_no: str = "SG1T1710379815") -> str:
    return await client.prepay(
        out_trade_no=out_trade_no,
        description="西湖龙井 250g",
        total_fen=16800,
        openid="o-buyer",
        time_expire=utcnow() + timedelta(minutes=15),
    )


async def test_prepay_is_signed_as_wechat_pay_checks_it(
    fake: FakeWechatPay, config: WechatPay
) -> None:
    client = client_for(config, httpx.MockTransport(fake.handle))
    prepay_id = await prepay(client)
    assert prepay_id.startswith("wx")
    assert fake.rejected == []
    placed = fake.orders["SG1T1710379815"]
    assert placed["amount"] == {"total": 16800, "currency": "CNY"}
    assert placed["notify_url"] == config.notify_url
    assert placed["payer"] == {"openid": "o-buyer"}


async def test_a_wrong_merchant_key_is_refused_by_wechat_pay(
    fake: FakeWechatPay, config: WechatPay
) -> None:
    forged = signing.Merchant(fake.mch_id, fake.app_id, fake.merchant_serial, new_key())
    config = WechatPay(
        forged, config.platform_keys, config.api_v3_key, config.api_base, config.notify_url
    )
    client = client_for(config, httpx.MockTransport(fake.handle))
    with pytest.raises(WechatPayDeclined) as caught:
        await prepay(client)
    assert fake.rejected == ["signature"]
    assert caught.value.status_code == 502


async def test_an_answer_not_signed_by_the_platform_is_not_trusted(
    fake: FakeWechatPay, config: WechatPay
) -> None:
    def impostor(request: httpx.Request) -> httpx.Response:
        body = json.dumps({"prepay_id": "wx-forged"}).encode()
        return httpx.Response(200, headers=fake.signed_headers(body, key=new_key()), content=body)

    with pytest.raises(UpstreamError):
        await prepay(client_for(config, httpx.MockTransport(impostor)))


async def test_a_timeout_is_an_upstream_timeout(config: WechatPay) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(UpstreamTimeout):
        await prepay(client_for(config, httpx.MockTransport(slow)))


def test_request_payment_params_verify_with_the_merchant_key(fake: FakeWechatPay) -> None:
    merchant = signing.Merchant(fake.mch_id, fake.app_id, fake.merchant_serial, fake.merchant_key)
    params = merchant.request_payment(
        "wx201410272009395522657a690389285100",
        timestamp=1414561699,
        nonce="5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    )
    assert params["package"] == "prepay_id=wx201410272009395522657a690389285100"
    assert params["signType"] == "RSA"
    assert params["timeStamp"] == "1414561699"
    message = f"{fake.app_id}\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\n{params['package']}\n"
    fake.merchant_key.public_key().verify(
        base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_a_real_notification_opens(fake: FakeWechatPay, config: WechatPay) -> None:
    headers, body = fake.notification(fake.transaction("SG1T1", 16800))
    transaction = config.open_transaction(headers, body, utcnow())
    assert transaction.out_trade_no == "SG1T1"
    assert transaction.total == 16800
    assert transaction.trade_state == "SUCCESS"
    assert transaction.success_time is not None and transaction.success_time.tzinfo is not None


def _tampered(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    return headers, body.replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.SUCCESS" ')


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("tampered body", 401),
        ("wrong key", 401),
        ("wrong serial", 401),
        ("stale", 401),
        ("ahead of time", 401),
        ("signature type", 401),
        ("missing signature", 401),
        ("wrong api v3 key", 500),
        ("wrong mchid", 400),
        ("wrong appid", 400),
    ],
)
def test_a_bad_notification_is_rejected(
    fake: FakeWechatPay, config: WechatPay, case: str, status: int
) -> None:
    checked_at = utcnow()
    now = int(checked_at.timestamp())
    transaction = fake.transaction("SG1T1", 16800)
    headers, body = fake.notification(transaction)
    if case == "tampered body":
        headers, body = _tampered(headers, body)
    elif case == "wrong key":
        headers, body = fake.notification(transaction, key=new_key())
    elif case == "wrong serial":
        headers, body = fake.notification(
            transaction, serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
        )
    elif case == "stale":
        headers, body = fake.notification(transaction, timestamp=now - 300)
    elif case == "ahead of time":
        headers, body = fake.notification(transaction, timestamp=now + 301)
    elif case == "signature type":
        headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SM2-WITH-SM3"
    elif case == "missing signature":
        del headers["Wechatpay-Signature"]
    elif case == "wrong api v3 key":
        headers, body = fake.notification(transaction, api_v3_key="0" * 32)
    elif case == "wrong mchid":
        headers, body = fake.notification({**transaction, "mchid": "1900000999"})
    elif case == "wrong appid":
        headers, body = fake.notification({**transaction, "appid": "wx-someone-else"})
    with pytest.raises(NotificationRejected) as caught:
        config.open_transaction(headers, body, checked_at)
    assert caught.value.status_code == status


def test_the_clock_decides_freshness(fake: FakeWechatPay, config: WechatPay) -> None:
    headers, body = fake.notification(fake.transaction("SG1T1", 16800), timestamp=1710379862)
    signed_at = datetime.fromtimestamp(1710379862, UTC)
    config.open_transaction(headers, body, signed_at + timedelta(seconds=299))
    with pytest.raises(NotificationRejected):
        config.open_transaction(headers, body, signed_at + timedelta(seconds=300))


def test_resource_round_trip_and_tag_check() -> None:
    key = b"0123456789abcdef0123456789abcdef"
    sealed = signing.encrypt_resource(key, b'{"a":1}', nonce="5K8264ILTKCH", associated_data="")
    assert (
        signing.decrypt_resource(key, nonce="5K8264ILTKCH", associated_data="", ciphertext=sealed)
        == b'{"a":1}'
    )
    with pytest.raises(signing.ResourceUndecryptable):
        signing.decrypt_resource(key, nonce="5K8264ILTKCH", associated_data="x", ciphertext=sealed)
