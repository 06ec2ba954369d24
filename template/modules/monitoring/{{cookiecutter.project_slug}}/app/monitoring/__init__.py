"""Watching the service: what Prometheus scrapes beside the request metrics, and what the
alert rules, the dashboard and the monthly report read.

    sampler, every MONITORING_SAMPLE_INTERVAL s ──> shop_orders{status}, shop_payments{...},
        database / Redis / stock backend up, unpaid orders past expiry, Shopify backlog,
        orders, revenue and refunds so far (counters read from the database)
    each scrape ──> shop_db_pool_connections{state}, shop_db_pool_capacity

Every instance samples the same database, so dashboards and alerts aggregate the sampled
figures with `max`, not `sum`. `deploy/monitoring/` holds the alert rules (with their
promtool tests), a Prometheus configuration and the Grafana dashboard; `app/ops/report.py`
writes the monthly report.
"""
