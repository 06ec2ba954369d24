"""Your hooks for Shopify's app lifecycle and privacy topics. Fill them in; shopgen writes
this file once and never overwrites it.

Every delivery of these topics is verified, stored in `shopify_deliveries` (the record that
the request arrived, and when it was handled) and answered 200 before these run. They run
in the background, like every topic; an exception leaves the delivery pending, so the
sweeper calls the hook again later: make each one safe to repeat.

What this service keeps from Shopify holds no customer data: mirrored orders carry no
email, name or address, and `shopify_variants` maps product ids only. So by default there is
nothing to hand over or erase, and the hooks only log. Anything you add that stores customer
data from Shopify must be found and erased here. Shopify expects a redaction within 30 days.
"""

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)


async def app_uninstalled(session: AsyncSession, shop: str, payload: dict[str, Any]) -> None:
    """The shop removed the app: its access token no longer works. Stop calling its Admin
    API here (revoke stored tokens, pause jobs). Shopify sends `shop/redact` 48 hours later."""
    logger.warning("Shopify app uninstalled from %s", shop)


async def customer_data_request(session: AsyncSession, shop: str, payload: dict[str, Any]) -> None:
    """A customer asked the shop for their data (`customer.id`, `customer.email`,
    `orders_requested`). Send what you hold about them to the shop owner."""
    logger.info(
        "Shopify data request %s from %s: no customer data is kept",
        payload.get("data_request", {}).get("id"),
        shop,
    )


async def customer_redact(session: AsyncSession, shop: str, payload: dict[str, Any]) -> None:
    """Erase a customer's data (`customer.id`, `customer.email`, `orders_to_redact`)."""
    logger.info("Shopify customer redaction for %s: no customer data is kept", shop)


async def shop_redact(session: AsyncSession, shop: str, payload: dict[str, Any]) -> None:
    """Erase everything about a shop that uninstalled the app 48 hours ago."""
    logger.info("Shopify shop redaction for %s: no shop data to erase", shop)
