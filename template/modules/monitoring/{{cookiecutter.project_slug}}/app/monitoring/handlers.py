"""Handlers of the monitoring module's operations."""

from fastapi import Request

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentAdmin
from app.core.envelope import Envelope, ok
from app.core.errors import DatabaseUnavailable
from app.monitoring.runtime import MonitoringRuntime
from app.orders.state import OrderStatus

KNOWN_STATUSES = frozenset(str(status) for status in OrderStatus)


async def get_monitoring_summary(
    request: Request, _: CurrentAdmin
) -> Envelope[ops.GetMonitoringSummaryData]:
    """A fresh sample (it also updates the gauges): an admin page asks rarely."""
    runtime: MonitoringRuntime = request.app.state.monitoring
    figures = await runtime.sampler.sample()
    if not figures.database_up:
        raise DatabaseUnavailable()
    return ok(
        ops.GetMonitoringSummaryData.model_validate(
            {
                "sampled_at": figures.sampled_at,
                "database_up": figures.database_up,
                "stock_backend_up": figures.stock_backend_up,
                "overdue_unpaid_orders": figures.overdue_unpaid,
                "expiry_lag_seconds": int(figures.expiry_lag_seconds),
                "webhook_backlog": figures.webhook_backlog,
                "webhook_backlog_age_seconds": int(figures.webhook_backlog_age_seconds),
                # The contract lists the state machine's statuses; a row with another one
                # (written by hand) is on /metrics as `other`, not here.
                "order_counts": [
                    {"status": status, "count": count}
                    for status, count in sorted(figures.orders_by_status.items())
                    if status in KNOWN_STATUSES
                ],
                "revenue_this_month": [
                    {"currency": currency, "amount_cents": amount}
                    for currency, amount in figures.revenue_this_month.items()
                ],
            }
        )
    )


HANDLERS: dict[str, Handler] = {"getMonitoringSummary": get_monitoring_summary}
