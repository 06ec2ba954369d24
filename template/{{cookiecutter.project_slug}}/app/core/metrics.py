"""Prometheus metrics: request count and latency by route template, served at `/metrics`.

In production `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>`, and without a
token it is not served at all: route names and error rates are reconnaissance.
"""

import hmac
import time
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings
from app.core.errors import Unauthorized

UNMATCHED = "<unmatched>"
# Labelled series kept at hand; routes are templates, so a service has a few hundred at most.
MAX_SERIES = 1024


class Metrics:
    """One registry per app, so test apps never collide in a global registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by method and route.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.refunds_required = Counter(
            "payments_refund_required_total",
            "Payments that took money for an order already closed or paid; refund them.",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.webhooks_ignored = Counter(
            "webhook_deliveries_ignored_total",
            "Webhook deliveries acknowledged but not applied: replayed, or older than stored.",
            ["source", "topic", "reason"],
            registry=self.registry,
        )
        self.upkeep_rounds = Counter(
            "upkeep_rounds_total",
            "Rounds of periodic jobs (order expiry, Shopify sweep) this process ran.",
            ["job"],
            registry=self.registry,
        )


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # The labelled series of each (method, route, status), looked up once: a route has few.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def record_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            key = (scope["method"], getattr(route, "path", UNMATCHED), status)
            series = self._series.get(key)
            if series is None:
                method, template, _ = key
                series = (
                    self.metrics.requests.labels(method, template, str(status)),
                    self.metrics.latency.labels(method, template),
                )
                if len(self._series) < MAX_SERIES:
                    self._series[key] = series
            requests, latency = series
            requests.inc()
            latency.observe(time.perf_counter() - start)


def _authorised(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


def install_metrics(app: FastAPI, settings: Settings) -> None:
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if settings.environment == "production" and not token:
        return

    @app.get("/metrics", include_in_schema=False)
    async def serve_metrics(request: Request) -> Response:
        if token and not _authorised(request, token):
            raise Unauthorized("Metrics need the METRICS_TOKEN bearer token")
        registry = request.app.state.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
