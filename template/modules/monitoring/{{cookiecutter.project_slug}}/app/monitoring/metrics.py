"""The metrics the alert rules and the dashboard read, beside the request metrics of
`app.core.metrics`, in the same registry.

Labels are bounded: an order status outside the state machine, a payment channel outside the
known ones and any currency past the first `MAX_CURRENCIES` are counted as `other`.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from app.orders.state import OrderStatus

PAYMENT_CHANNELS = ("wechat", "mock")
PAYMENT_STATUSES = ("pending", "succeeded", "failed", "closed")
MAX_CURRENCIES = 20
OTHER = "other"


def bounded(value: str, allowed: Iterable[str]) -> str:
    return value if value in allowed else OTHER


def by_currency(amounts: Mapping[str, int]) -> dict[str, int]:
    """At most `MAX_CURRENCIES` currencies; the rest are summed as `other`."""
    kept: dict[str, int] = {}
    for currency in sorted(amounts):
        key = currency if len(kept) < MAX_CURRENCIES or currency in kept else OTHER
        kept[key] = kept.get(key, 0) + amounts[currency]
    return kept


@dataclass(frozen=True, slots=True)
class Figures:
    """One sample of the database and the dependencies."""

    sampled_at: datetime
    database_up: bool
    redis_up: bool | None  # None: no Redis configured
    stock_backend_up: bool
    orders_by_status: Mapping[str, int] = field(default_factory=dict)
    orders_created: int = 0
    revenue: Mapping[str, int] = field(default_factory=dict)
    refunds: Mapping[str, int] = field(default_factory=dict)
    revenue_this_month: Mapping[str, int] = field(default_factory=dict)
    payments: Mapping[tuple[str, str], int] = field(default_factory=dict)
    overdue_unpaid: int = 0
    expiry_lag_seconds: float = 0.0
    webhook_backlog: int = 0
    webhook_backlog_age_seconds: float = 0.0


class _SampledTotals(Collector):
    """Totals read from the database, exposed as counters: they only grow (orders and
    payments are never deleted), whichever instance reads them."""

    def __init__(self) -> None:
        self.figures: Figures | None = None

    def describe(self) -> Iterable[Metric]:
        return list(self._families(None))

    def collect(self) -> Iterable[Metric]:
        return list(self._families(self.figures))

    def _families(self, figures: Figures | None) -> Iterator[Metric]:
        created = CounterMetricFamily("shop_orders_created", "Orders ever placed or mirrored.")
        revenue = CounterMetricFamily(
            "shop_revenue_minor_units",
            "Totals of paid orders, in minor units, by currency.",
            labels=["currency"],
        )
        refunds = CounterMetricFamily(
            "shop_refunds_minor_units",
            "Amounts refunded, in minor units, by currency.",
            labels=["currency"],
        )
        if figures is not None and figures.database_up:
            created.add_metric([], figures.orders_created)
            for currency, amount in by_currency(figures.revenue).items():
                revenue.add_metric([currency], amount)
            for currency, amount in by_currency(figures.refunds).items():
                refunds.add_metric([currency], amount)
        yield from (created, revenue, refunds)


class _Pool(Collector):
    """The database connection pool, read at each scrape."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def describe(self) -> Iterable[Metric]:
        return list(self._families(None))

    def collect(self) -> Iterable[Metric]:
        return list(self._families(self.engine))

    def _families(self, engine: AsyncEngine | None) -> Iterator[Metric]:
        connections = GaugeMetricFamily(
            "shop_db_pool_connections",
            "Database connections of this process, in use or idle in the pool.",
            labels=["state"],
        )
        capacity = GaugeMetricFamily(
            "shop_db_pool_capacity", "Connections this process may open: pool size plus overflow."
        )
        pool = engine.sync_engine.pool if engine is not None else None
        if isinstance(pool, QueuePool):
            connections.add_metric(["in_use"], pool.checkedout())
            connections.add_metric(["idle"], pool.checkedin())
            # SQLAlchemy has no public accessor for the overflow limit.
            capacity.add_metric([], pool.size() + int(getattr(pool, "_max_overflow", 0)))
        yield from (connections, capacity)


class MonitoringMetrics:
    def __init__(self, registry: CollectorRegistry, engine: AsyncEngine) -> None:
        self.orders = Gauge(
            "shop_orders", "Orders by status (sampled).", ["status"], registry=registry
        )
        self.payments = Gauge(
            "shop_payments",
            "Payments by channel and status (sampled).",
            ["channel", "status"],
            registry=registry,
        )
        self.dependency_up = Gauge(
            "shop_dependency_up",
            "Whether a dependency answered the last sample: database, redis.",
            ["dependency"],
            registry=registry,
        )
        self.stock_backend_up = Gauge(
            "shop_stock_backend_up",
            "Whether the stock backend (Redis, or the database without it) answered.",
            registry=registry,
        )
        self.overdue_unpaid = Gauge(
            "shop_order_expiry_overdue_orders",
            "Unpaid orders past their expiry and grace: the expiry job has not run.",
            registry=registry,
        )
        self.expiry_lag = Gauge(
            "shop_order_expiry_lag_seconds",
            "How long the oldest unpaid order has been past its expiry; 0 when none is.",
            registry=registry,
        )
        self.webhook_backlog = Gauge(
            "shop_webhook_backlog", "Shopify deliveries waiting to be processed.", registry=registry
        )
        self.webhook_backlog_age = Gauge(
            "shop_webhook_backlog_age_seconds",
            "Age of the oldest Shopify delivery waiting; 0 when none waits.",
            registry=registry,
        )
        self.last_sample = Gauge(
            "shop_monitoring_last_sample_timestamp_seconds",
            "When the database was last sampled (Unix time).",
            registry=registry,
        )
        self._totals = _SampledTotals()
        registry.register(self._totals)
        registry.register(_Pool(engine))

    def record(self, figures: Figures) -> None:
        self.dependency_up.labels("database").set(int(figures.database_up))
        if figures.redis_up is not None:
            self.dependency_up.labels("redis").set(int(figures.redis_up))
        self.stock_backend_up.set(int(figures.stock_backend_up))
        self.last_sample.set(figures.sampled_at.timestamp())
        if not figures.database_up:
            return  # keep the last figures the database gave
        self._totals.figures = figures
        statuses = [str(status) for status in OrderStatus]
        counts = dict.fromkeys([*statuses, OTHER], 0)
        for status, count in figures.orders_by_status.items():
            counts[bounded(status, statuses)] += count
        for status, count in counts.items():
            self.orders.labels(status).set(count)
        payments = {
            (channel, status): 0 for channel in PAYMENT_CHANNELS for status in PAYMENT_STATUSES
        }
        for (channel, status), count in figures.payments.items():
            key = (bounded(channel, PAYMENT_CHANNELS), bounded(status, PAYMENT_STATUSES))
            payments[key] = payments.get(key, 0) + count
        for (channel, status), count in payments.items():
            self.payments.labels(channel, status).set(count)
        self.overdue_unpaid.set(figures.overdue_unpaid)
        self.expiry_lag.set(figures.expiry_lag_seconds)
        self.webhook_backlog.set(figures.webhook_backlog)
        self.webhook_backlog_age.set(figures.webhook_backlog_age_seconds)
