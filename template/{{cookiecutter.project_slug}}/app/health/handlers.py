from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import Request, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api import operations as ops
from app.api.binding import Handler
from app.core.db import SessionDep
from app.core.envelope import Envelope, ok
from app.core.errors import Code
from app.core.redis import ping

DATABASE_TIMEOUT = 2.0


async def _database_status(session: SessionDep) -> Literal["ok", "down"]:
    try:
        await asyncio.wait_for(session.execute(text("SELECT 1")), DATABASE_TIMEOUT)
    except (SQLAlchemyError, OSError, TimeoutError):
        return "down"
    return "ok"


async def get_health(
    request: Request, response: Response, session: SessionDep
) -> Envelope[ops.GetHealthData]:
    database = await _database_status(session)
    redis = await ping(request.app.state.redis)
    healthy = database == "ok" and redis != "down"
    if not healthy:
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    data = ops.GetHealthData(
        status="ok" if healthy else "degraded",
        database=database,
        redis=redis,
        version=request.app.state.settings.version,
    )
    if healthy:
        return ok(data)
    if redis == "down":
        return Envelope(code=Code.UNAVAILABLE, data=data, msg="Stock backend unavailable")
    return Envelope(code=Code.UNAVAILABLE, data=data, msg="Database unavailable")


HANDLERS: dict[str, Handler] = {"getHealth": get_health}
