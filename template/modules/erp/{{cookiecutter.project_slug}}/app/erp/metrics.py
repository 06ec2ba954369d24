"""The outbox on `/metrics`: how far behind the ERP is and how deliveries end."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

STATUSES = ("pending", "delivering", "delivered", "superseded", "dead")


class ErpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "erp_deliveries_total",
            "ERP delivery attempts by outcome: delivered, retried (will try again), dead.",
            ["outcome"],
            registry=registry,
        )
        self.duration = Histogram(
            "erp_delivery_duration_seconds",
            "Time the ERP took to answer a delivery.",
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
        )
        self.rows = Gauge(
            "erp_outbox_rows", "Outbox rows by status.", ["status"], registry=registry
        )
        self.lag = Gauge(
            "erp_outbox_lag_seconds",
            "Age of the oldest change not yet delivered; 0 when none waits.",
            registry=registry,
        )
