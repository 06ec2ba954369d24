"""The template's database tables, and where the contract describes their rows.

`RESOURCES` is the one list of the tables the template's SQLAlchemy models define. It is what
`update` compares to name new columns, what decides which `contract_fields` mixins are
generated and which migrations carry contract columns, and what the tests hold against the
models of a baked project (every model has an entry, every entry has a model).

A table the contract describes (`contract` set) gets a column for every property the
contract adds to its rows beyond the template's own (`known`): the request bodies of
`contract.requests` are what the service writes, the success `data` of `contract.responses`
is what it answers from the row, both read at `contract.at` (a property path; array items
are followed). A table only the service uses (refresh tokens, idempotency records) has no
`contract` and never gains columns.

A feature that adds a table adds one entry here, next to its model:

    TableResource("refunds", "Refund", "refunds", ContractView(
        requests=("createRefund",), responses=("createRefund", "getRefund"),
        known=frozenset({"id", "payment_id", "amount_cents", ...}),
    ))

and its model inherits `RefundContractFields` from `app/refunds/contract_fields.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RESOURCES", "ContractView", "TableResource", "contract_resources", "resource"]


@dataclass(frozen=True, slots=True)
class ContractView:
    """Where the contract carries a table's rows, and the fields the template already has."""

    requests: tuple[str, ...]
    responses: tuple[str, ...]
    # The model's attributes (columns and relationships) and the canonical fields that are
    # not stored (a password, WeChat Pay's signed parameters): never a contract column.
    known: frozenset[str]
    at: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TableResource:
    """One table of the template: its model, its domain package and its contract view."""

    table: str
    model: str
    domain: str
    contract: ContractView | None = None
    # The generated mixin's module in `app/<domain>/`; one per contract-described table.
    module: str = "contract_fields"

    @property
    def mixin(self) -> str:
        return f"{self.model}ContractFields"

    @property
    def mixin_path(self) -> str:
        """The generated mixin's path in a project."""
        return f"app/{self.domain}/{self.module}.py"


RESOURCES: tuple[TableResource, ...] = (
    TableResource(
        "products",
        "Product",
        "products",
        ContractView(
            requests=("createProduct", "replaceProduct", "updateProduct"),
            responses=("getProduct", "createProduct", "replaceProduct", "updateProduct"),
            known=frozenset(
                {
                    "id",
                    "sku",
                    "title",
                    "description",
                    "price_cents",
                    "currency",
                    "stock",
                    "status",
                    "category",
                    "images",
                    "options",
                    "variants",
                    "created_at",
                    "updated_at",
                    "deleted_at",
                }
            ),
        ),
    ),
    TableResource(
        "product_variants",
        "ProductVariant",
        "products",
        ContractView(
            requests=("createProductVariant", "updateProductVariant"),
            responses=("createProductVariant", "updateProductVariant"),
            known=frozenset(
                {
                    "id",
                    "product_id",
                    "sku",
                    "options",
                    "option_key",
                    "title",
                    "price_cents",
                    "currency",
                    "stock",
                    "barcode",
                    "weight_grams",
                    "created_at",
                    "updated_at",
                    "deleted_at",
                }
            ),
        ),
        module="variant_contract_fields",
    ),
    TableResource(
        "users",
        "User",
        "auth",
        ContractView(
            requests=("registerUser",),
            responses=("getCurrentUser", "registerUser"),
            known=frozenset(
                {
                    "id",
                    "email",
                    "password",
                    "password_hash",
                    "role",
                    "display_name",
                    "wechat_app_id",
                    "wechat_openid",
                    "wechat_unionid",
                    "created_at",
                }
            ),
        ),
    ),
    TableResource("refresh_tokens", "RefreshToken", "auth"),
    TableResource(
        "orders",
        "Order",
        "orders",
        ContractView(
            requests=("createOrder",),
            responses=("getOrder", "createOrder", "cancelOrder"),
            known=frozenset(
                {
                    "id",
                    "user_id",
                    "status",
                    "items",
                    "total_cents",
                    "currency",
                    "source",
                    "external_id",
                    "note",
                    "reservation",
                    "cancel_reason",
                    "transaction_id",
                    "shipping_address",
                    "shipping_status",
                    "refunded_cents",
                    "expires_at",
                    "paid_at",
                    "cancelled_at",
                    "shipped_at",
                    "completed_at",
                    "created_at",
                    "updated_at",
                    # Read with the order by getOrder, from their own tables; `address_id`
                    # is what createOrder copies the shipping address from.
                    "payments",
                    "refunds",
                    "shipments",
                    "address_id",
                }
            ),
        ),
    ),
    TableResource(
        "order_items",
        "OrderItem",
        "orders",
        ContractView(
            requests=("createOrder",),
            responses=("getOrder", "createOrder", "cancelOrder"),
            at=("items",),
            known=frozenset(
                {
                    "id",
                    "order_id",
                    "order",
                    "product_id",
                    "variant_id",
                    "sku",
                    "title",
                    "variant_title",
                    "quantity",
                    "unit_price_cents",
                    "line_total_cents",
                    "currency",
                    "shipped_quantity",
                    "refunded_quantity",
                }
            ),
        ),
        module="item_contract_fields",
    ),
    TableResource("idempotency_keys", "IdempotencyRecord", "orders"),
    TableResource(
        "payments",
        "Payment",
        "payments",
        ContractView(
            requests=("createPayment",),
            responses=("createPayment", "getPayment"),
            known=frozenset(
                {
                    "id",
                    "order_id",
                    "channel",
                    "out_trade_no",
                    "status",
                    "amount_cents",
                    "currency",
                    "prepay_id",
                    "transaction_id",
                    "refund_required",
                    "refund_committed_cents",
                    "paid_at",
                    "created_at",
                    "updated_at",
                    "wechat_params",
                }
            ),
        ),
    ),
    TableResource(
        "shopify_deliveries",
        "ShopifyDelivery",
        "webhooks",
        # The receipt Shopify gets describes the stored delivery; Shopify's own payload is
        # stored as received and is not ours to add columns for.
        ContractView(
            requests=(),
            responses=("receiveShopifyWebhook",),
            known=frozenset(
                {
                    "id",
                    "shop",
                    "topic",
                    "dedup_key",
                    "webhook_id",
                    "event_id",
                    "api_version",
                    "triggered_at",
                    "body",
                    "body_sha256",
                    "status",
                    "attempts",
                    "last_error",
                    "received_at",
                    "claimed_at",
                    "processed_at",
                    "received",
                    "duplicate",
                }
            ),
        ),
    ),
    TableResource("shopify_variants", "ShopifyVariant", "webhooks"),
    TableResource(
        "addresses",
        "Address",
        "addresses",
        ContractView(
            requests=("createAddress", "updateAddress"),
            responses=("createAddress", "updateAddress"),
            known=frozenset(
                {
                    "id",
                    "user_id",
                    "recipient",
                    "phone",
                    "province",
                    "city",
                    "district",
                    "detail",
                    "postal_code",
                    "is_default",
                    "created_at",
                    "updated_at",
                }
            ),
        ),
    ),
    TableResource(
        "refunds",
        "Refund",
        "refunds",
        ContractView(
            requests=("createRefund",),
            responses=("createRefund", "getRefund"),
            known=frozenset(
                {
                    "id",
                    "order_id",
                    "payment_id",
                    "channel",
                    "out_refund_no",
                    "status",
                    "amount_cents",
                    "currency",
                    "reason",
                    "restock",
                    "of_order",
                    "submitted",
                    "channel_refund_id",
                    "channel_status",
                    "created_by",
                    "created_at",
                    "updated_at",
                    "succeeded_at",
                    "items",
                }
            ),
        ),
    ),
    TableResource(
        "refund_items",
        "RefundItem",
        "refunds",
        ContractView(
            requests=("createRefund",),
            responses=("createRefund", "getRefund"),
            at=("items",),
            known=frozenset({"id", "refund_id", "order_item_id", "variant_id", "quantity"}),
        ),
        module="item_contract_fields",
    ),
    TableResource(
        "shipments",
        "Shipment",
        "fulfilment",
        ContractView(
            requests=("createShipment",),
            responses=("createShipment",),
            known=frozenset(
                {
                    "id",
                    "order_id",
                    "carrier_code",
                    "tracking_number",
                    "wechat_sync_status",
                    "wechat_sync_attempts",
                    "wechat_sync_error",
                    "wechat_next_attempt_at",
                    "wechat_synced_at",
                    "created_by",
                    "created_at",
                    "items",
                }
            ),
        ),
    ),
    TableResource(
        "shipment_items",
        "ShipmentItem",
        "fulfilment",
        ContractView(
            requests=("createShipment",),
            responses=("createShipment",),
            at=("items",),
            known=frozenset({"id", "shipment_id", "order_item_id", "variant_id", "quantity"}),
        ),
        module="item_contract_fields",
    ),
    # The modules' tables (`template/modules/NAME/`), present when the project has the module.
    # The service alone writes them, so the contract adds no columns to them.
    TableResource("douyin_shops", "DouyinShop", "douyin"),
    TableResource("douyin_sync_cursors", "DouyinSyncCursor", "douyin"),
    TableResource("douyin_orders", "DouyinOrderLink", "douyin"),
    TableResource("douyin_skus", "DouyinSku", "douyin"),
    TableResource("douyin_push_messages", "DouyinPushMessage", "douyin"),
    TableResource("erp_outbox", "ErpOutbox", "erp"),
    TableResource("erp_entity_versions", "ErpEntityVersion", "erp"),
    TableResource("erp_inbound_state", "ErpInboundState", "erp"),
    TableResource("erp_inbound_receipts", "ErpInboundReceipt", "erp"),
    TableResource("commission_config", "CommissionConfig", "commission"),
    TableResource("commission_channels", "CommissionChannel", "commission"),
    TableResource("commission_rules", "CommissionRule", "commission"),
    TableResource("commission_attributions", "CommissionAttribution", "commission"),
    TableResource("commission_journals", "CommissionJournal", "commission"),
    TableResource("commission_entries", "CommissionEntry", "commission"),
)


def contract_resources() -> tuple[TableResource, ...]:
    """The tables whose rows the contract describes, in `RESOURCES` order."""
    return tuple(r for r in RESOURCES if r.contract is not None)


def resource(table: str) -> TableResource:
    """The entry of `table`; `KeyError` for a table the template does not have."""
    for entry in RESOURCES:
        if entry.table == table:
            return entry
    raise KeyError(table)
