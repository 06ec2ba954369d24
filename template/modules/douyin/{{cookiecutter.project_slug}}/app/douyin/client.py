"""The Douyin Shop API as this service uses it, grouped as the platform groups it:

    client = DouyinClient(gateway, tokens)
    grant = await client.token.create_self(shop_id="20458713")
    shop = client.for_shop("20458713")
    page = await shop.order.search(update_time_start=..., update_time_end=..., page=0, size=100)
    products = await shop.product.list(page=1, size=50)

Shop calls take their access token from the token manager; one that Douyin reports expired
is refreshed once and the call made again. Method names and fields follow public SDKs (see
`app.douyin.__init__`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.douyin import errors
from app.douyin.gateway import DouyinGateway


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What `token.create` and `token.refresh` answer."""

    access_token: str
    refresh_token: str
    expires_in: int
    shop_id: str
    shop_name: str | None
    authority_id: str | None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> "TokenGrant":
        try:
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_in=int(data["expires_in"]),
                shop_id=str(data.get("shop_id") or data.get("authority_id") or ""),
                shop_name=str(data["shop_name"]) if data.get("shop_name") else None,
                authority_id=str(data["authority_id"]) if data.get("authority_id") else None,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise errors.DouyinBusinessError(
                0, "token.malformed", f"token answer lacks {error}"
            ) from None


class TokenSource(Protocol):
    async def access_token(self, shop_id: str) -> str:
        """A current access token for the shop."""

    async def expired(self, shop_id: str, token: str) -> None:
        """Douyin refused `token` as expired: refresh before the next `access_token`."""


class TokenApi:
    def __init__(self, gateway: DouyinGateway) -> None:
        self._gateway = gateway

    async def create_self(self, *, shop_id: str) -> TokenGrant:
        """A self-use app's token for its own shop (`authorization_self`)."""
        params = {"code": "", "grant_type": "authorization_self", "shop_id": shop_id}
        data = await self._gateway.call("token.create", params, idempotent=False)
        return TokenGrant.parse({"shop_id": shop_id, **data})

    async def create_from_code(self, *, code: str) -> TokenGrant:
        """A service-market app's token from the code its authorization page returned."""
        params = {"code": code, "grant_type": "authorization_code"}
        data = await self._gateway.call("token.create", params, idempotent=False)
        return TokenGrant.parse(data)

    async def refresh(self, *, refresh_token: str) -> TokenGrant:
        params = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        data = await self._gateway.call("token.refresh", params, idempotent=False)
        return TokenGrant.parse(data)


class _ShopCalls:
    def __init__(self, gateway: DouyinGateway, tokens: TokenSource, shop_id: str) -> None:
        self._gateway = gateway
        self._tokens = tokens
        self.shop_id = shop_id

    async def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """A read for this shop; an expired token is refreshed once and the call repeated."""
        token = await self._tokens.access_token(self.shop_id)
        try:
            return await self._gateway.call(method, params, access_token=token)
        except errors.AccessTokenExpired:
            await self._tokens.expired(self.shop_id, token)
            token = await self._tokens.access_token(self.shop_id)
            return await self._gateway.call(method, params, access_token=token)


class OrderApi:
    def __init__(self, calls: _ShopCalls) -> None:
        self._calls = calls

    async def search(
        self,
        *,
        update_time_start: int,
        update_time_end: int,
        page: int = 0,
        size: int = 100,
    ) -> dict[str, Any]:
        """`order.searchList` by update time, oldest change first; pages count from 0.
        Answers `{"shop_order_list": [...], "total": n, "page": p, "size": s}`."""
        params = {
            "order_asc": True,
            "order_by": "update_time",
            "page": page,
            "size": size,
            "update_time_end": update_time_end,
            "update_time_start": update_time_start,
        }
        return await self._calls.call("order.searchList", params)

    async def detail(self, *, shop_order_id: str) -> dict[str, Any]:
        """`order.orderDetail`: `{"shop_order_detail": {...}}`."""
        return await self._calls.call("order.orderDetail", {"shop_order_id": shop_order_id})


class ProductApi:
    def __init__(self, calls: _ShopCalls) -> None:
        self._calls = calls

    async def list(
        self,
        *,
        page: int = 1,
        size: int = 100,
        update_start_time: int | None = None,
        update_end_time: int | None = None,
    ) -> dict[str, Any]:
        """`product.listV2`; pages count from 1. Answers `{"data": [...], "total": n}`."""
        params: dict[str, Any] = {"page": page, "size": size}
        if update_start_time is not None:
            params["update_start_time"] = update_start_time
        if update_end_time is not None:
            params["update_end_time"] = update_end_time
        return await self._calls.call("product.listV2", params)

    async def skus(self, *, product_id: str) -> dict[str, Any]:
        """`sku.list` of one product: `{"data": [...]}` with each sku's `code` (the merchant's
        sku) and `id`."""
        return await self._calls.call("sku.list", {"product_id": product_id})


class ShopClient:
    def __init__(self, gateway: DouyinGateway, tokens: TokenSource, shop_id: str) -> None:
        calls = _ShopCalls(gateway, tokens, shop_id)
        self.shop_id = shop_id
        self.order = OrderApi(calls)
        self.product = ProductApi(calls)


class DouyinClient:
    def __init__(self, gateway: DouyinGateway, tokens: TokenSource) -> None:
        self.gateway = gateway
        self.tokens = tokens
        self.token = TokenApi(gateway)

    def for_shop(self, shop_id: str) -> ShopClient:
        return ShopClient(self.gateway, self.tokens, shop_id)
