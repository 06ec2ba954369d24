"""Probes for an orchestrator, outside the contract so that every project has them whatever
its contract says:

- `GET /livez`: the process answers; touches nothing else. A liveness probe that checked the
  database would restart every instance at once when the database blinks.
- `GET /readyz`: the database answers, and Redis when configured: 200 `ready`, else 503 with
  `Retry-After` and what is down. A readiness probe takes an instance out of the load
  balancer while this fails, and puts it back when it passes again.
"""

import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.redis import ping

DATABASE_TIMEOUT = 2.0
RETRY_AFTER_SECONDS = 5


async def database_status(request: Request) -> str:
    try:
        async with request.app.state.sessionmaker() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), DATABASE_TIMEOUT)
    except (SQLAlchemyError, OSError, TimeoutError):
        return "down"
    return "ok"


async def live() -> PlainTextResponse:
    return PlainTextResponse("live")


async def ready(request: Request) -> PlainTextResponse:
    down: list[str] = []
    if await database_status(request) != "ok":
        down.append("database")
    if await ping(request.app.state.redis) == "down":
        down.append("redis")
    if not down:
        return PlainTextResponse("ready")
    return PlainTextResponse(
        " and ".join(down) + " down",
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_probes(app: FastAPI) -> None:
    app.add_api_route("/livez", live, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", ready, methods=["GET"], include_in_schema=False)
