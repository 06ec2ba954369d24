"""receiveShopifyWebhook: verify the raw body, store the delivery, answer, process after."""

from __future__ import annotations

import hashlib
import logging

from fastapi import BackgroundTasks, Request

from app.api import operations as ops
from app.api.binding import Handler
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.envelope import Envelope, ok
from app.core.errors import BadRequest, Code, NotImplementedYet, ShopError
from app.webhooks import contract_fields, service, shopify
from app.webhooks.models import ShopifyDelivery

logger = logging.getLogger(__name__)


class WebhookSignatureInvalid(ShopError):
    status_code, code, msg = 401, Code.UNAUTHORIZED, "Invalid webhook signature"


class WebhookShopNotAllowed(ShopError):
    status_code, code, msg = 401, Code.UNAUTHORIZED, "This shop is not allowed here"


async def receive_shopify_webhook(
    params: ops.ReceiveShopifyWebhookParamsDep,
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
) -> Envelope[ops.ReceiveShopifyWebhookData]:
    """The headers are optional at the route (a missing HMAC is this handler's 401) and are
    read from the request, since event-bus deliveries send them without the `X-`.

    With SHOPIFY_SHOP_DOMAINS set, another shop is refused before its body is even read."""
    settings: Settings = request.app.state.settings
    if settings.shopify_api_secret is None or not settings.shopify_enabled:
        raise NotImplementedYet("Shopify sync is not configured: set SHOPIFY_API_SECRET")
    headers = request.headers
    shop = shopify.header(headers, "shop-domain")
    if settings.shopify_shop_domains and (shop or "").lower() not in settings.shopify_shop_domains:
        logger.warning("Shopify webhook from shop %s, which is not allowed; ignored", shop)
        raise WebhookShopNotAllowed()
    body = await request.body()
    secret = settings.shopify_api_secret.get_secret_value()
    if not shopify.verify(secret, body, shopify.header(headers, "hmac-sha256")):
        logger.warning(
            "Shopify webhook with a bad or missing signature from %s (topic %s); ignored",
            request.client.host if request.client else "?",
            shopify.header(headers, "topic"),
        )
        raise WebhookSignatureInvalid()
    topic = shopify.header(headers, "topic")
    webhook_id = shopify.header(headers, "webhook-id")
    if not (topic and shop and webhook_id):
        raise BadRequest(
            "X-Shopify-Topic, X-Shopify-Shop-Domain and X-Shopify-Webhook-Id are required"
        )
    try:
        shopify.parse(body)
    except ValueError:
        raise BadRequest("The body is not a JSON object") from None
    version = shopify.header(headers, "api-version")
    if version and version != settings.shopify_api_version:
        logger.warning(
            "Shopify sent API version %s; pinned %s", version, settings.shopify_api_version
        )
    event_id = shopify.header(headers, "event-id")
    triggered = shopify.header(headers, "triggered-at")
    try:
        triggered_at = shopify.timestamp(triggered) if triggered else None
    except ValueError:
        triggered_at = None
    delivery = ShopifyDelivery(
        body_sha256=hashlib.sha256(body).hexdigest(),
        shop=shop[:255],
        topic=topic[:64],
        dedup_key=(event_id or webhook_id)[:64],
        webhook_id=webhook_id[:64],
        event_id=event_id[:64] if event_id else None,
        api_version=version[:16] if version else None,
        triggered_at=triggered_at,
        body=body.decode("utf-8", errors="replace"),
    )
    if not await service.store(session, delivery):
        logger.info(
            "Shopify delivery %s (%s) is a duplicate or a replay; ignored", webhook_id, topic
        )
        request.app.state.metrics.webhooks_ignored.labels("shopify", topic[:64], "duplicate").inc()
        return ok(_receipt(delivery, duplicate=True))
    app = request.app
    background.add_task(
        service.process,
        app.state.sessionmaker,
        app.state.stock,
        delivery.id,
        product_cache=app.state.product_cache,
        metrics=app.state.metrics,
    )
    return ok(_receipt(delivery, duplicate=False))


def _receipt(delivery: ShopifyDelivery, *, duplicate: bool) -> ops.ReceiveShopifyWebhookData:
    """The receipt, with the fields the contract adds to it read from the delivery row."""
    return ops.ReceiveShopifyWebhookData.model_validate(
        {"received": True, "duplicate": duplicate, **contract_fields.row_values(delivery)}
    )


HANDLERS: dict[str, Handler] = {"receiveShopifyWebhook": receive_shopify_webhook}
