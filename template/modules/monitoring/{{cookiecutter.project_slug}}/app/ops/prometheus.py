"""Prometheus's HTTP API, the two calls the report needs: an instant query
(`GET /api/v1/query`) and a range query (`GET /api/v1/query_range`).

Answers are `{"status": "success", "data": {"resultType": ..., "result": [...]}}`; a vector's
samples are `{"metric": {...}, "value": [<unix time>, "<value>"]}`, a matrix's series
`{"metric": {...}, "values": [[<unix time>, "<value>"], ...]}`. Values are strings, since
they may be `NaN` or `+Inf`. An error is `{"status": "error", "errorType", "error"}`.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx


class PrometheusError(Exception):
    """Prometheus did not answer, or answered with an error."""


@dataclass(frozen=True, slots=True)
class Sample:
    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    labels: Mapping[str, str]
    points: tuple[tuple[datetime, float], ...]


def _value(raw: Any) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return math.nan


def _time(raw: Any) -> datetime:
    return datetime.fromtimestamp(float(raw), tz=UTC)


class Prometheus:
    def __init__(self, base_url: str, client: httpx.Client) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client

    def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        try:
            response = self._client.get(f"{self.base_url}{path}", params=params)
        except httpx.HTTPError as error:
            raise PrometheusError(f"{self.base_url} did not answer: {error}") from None
        try:
            body = response.json()
        except ValueError:
            raise PrometheusError(
                f"{self.base_url} answered {response.status_code} without JSON"
            ) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            said = body.get("error") if isinstance(body, dict) else None
            raise PrometheusError(
                f"{self.base_url} answered {response.status_code}: {said or 'no result'}"
            )
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("result"), list):
            raise PrometheusError(f"{self.base_url} answered without `data.result`")
        return data

    def query(self, expr: str, at: datetime) -> list[Sample]:
        """An instant vector at `at` (a scalar comes back as one sample without labels)."""
        data = self._get("/api/v1/query", {"query": expr, "time": f"{at.timestamp():.3f}"})
        if data.get("resultType") == "scalar":
            return [Sample({}, _value(data["result"][1]))]
        return [
            Sample(dict(item.get("metric") or {}), _value(item.get("value", [0, "NaN"])[1]))
            for item in data["result"]
        ]

    def query_range(
        self, expr: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        data = self._get(
            "/api/v1/query_range",
            {
                "query": expr,
                "start": f"{start.timestamp():.3f}",
                "end": f"{end.timestamp():.3f}",
                "step": f"{int(step.total_seconds())}s",
            },
        )
        return [
            Series(
                dict(item.get("metric") or {}),
                tuple((_time(t), _value(v)) for t, v in item.get("values") or ()),
            )
            for item in data["result"]
        ]
