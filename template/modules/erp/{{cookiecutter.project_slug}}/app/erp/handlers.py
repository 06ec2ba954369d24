"""Handlers of the erp module's operations: the admin's, and the ERP's signed pushes."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentAdmin
from app.core.db import SessionDep
from app.core.envelope import Envelope, ok
from app.core.errors import BadRequest, Code, NotImplementedYet, ShopError
from app.erp import inbound, signing
from app.erp.runtime import ErpRuntime
from app.erp.service import ErpAdmin

logger = logging.getLogger(__name__)


class UpdateSignatureInvalid(ShopError):
    status_code, code, msg = 401, Code.UNAUTHORIZED, "Invalid webhook signature"


def get_runtime(request: Request) -> ErpRuntime:
    runtime: ErpRuntime = request.app.state.erp
    return runtime


Runtime = Annotated[ErpRuntime, Depends(get_runtime)]


def get_admin(session: SessionDep, runtime: Runtime) -> ErpAdmin:
    return ErpAdmin(session, runtime)


Admin = Annotated[ErpAdmin, Depends(get_admin)]


async def get_erp_outbox(_: CurrentAdmin, admin: Admin) -> Envelope[ops.GetErpOutboxData]:
    return ok(ops.GetErpOutboxData.model_validate(await admin.outbox()))


async def list_erp_dead_letters(
    params: ops.ListErpDeadLettersParamsDep, _: CurrentAdmin, admin: Admin
) -> Envelope[ops.ListErpDeadLettersData]:
    items, total = await admin.dead_letters(params.page, params.limit)
    return ok(
        ops.ListErpDeadLettersData.model_validate(
            {"items": items, "total": total, "page": params.page, "limit": params.limit}
        )
    )


async def replay_erp_dead_letter(
    params: ops.ReplayErpDeadLetterParamsDep, _: CurrentAdmin, admin: Admin
) -> Envelope[ops.ReplayErpDeadLetterData]:
    return ok(ops.ReplayErpDeadLetterData.model_validate(await admin.replay(params.letter_id)))


async def receive_erp_updates(
    params: ops.ReceiveErpUpdatesParamsDep,
    request: Request,
    session: SessionDep,
    runtime: Runtime,
) -> Envelope[ops.ReceiveErpUpdatesData]:
    """The signature covers the timestamp and the raw bytes; nothing is parsed before it
    verifies."""
    settings = runtime.settings
    if settings.secret is None or not settings.signing:
        raise NotImplementedYet("ERP sync is not configured")
    body = await request.body()
    if not signing.verify(
        settings.secret.get_secret_value(),
        timestamp=params.x_shopgen_timestamp,
        body=body,
        header=params.x_shopgen_signature,
        now=time.time(),
        tolerance=settings.signature_tolerance,
    ):
        logger.warning(
            "ERP update with a bad or stale signature from %s; ignored",
            request.client.host if request.client else "?",
        )
        raise UpdateSignatureInvalid()
    try:
        batch = ops.ReceiveErpUpdatesBody.model_validate_json(body)
    except ValidationError as error:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            raise BadRequest("The body is not JSON") from None
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None
    updates = []
    errors = []
    for index, item in enumerate(batch.items):
        kind = str(item.model_dump(mode="json")["kind"])
        needed = ("stock",) if kind == "stock" else ("price_cents", "currency")
        missing = [name for name in needed if getattr(item, name) is None]
        for name in missing:
            errors.append(
                {
                    "type": "missing",
                    "loc": ("body", "items", index, name),
                    "msg": f"Required for kind {kind}.",
                }
            )
        updates.append(
            inbound.Update(
                sync_id=item.sync_id,
                kind="stock" if kind == "stock" else "price",
                sku=item.sku,
                version=item.version,
                last_modified_at=item.last_modified_at,
                stock=item.stock,
                price_cents=item.price_cents,
                currency=item.currency,
            )
        )
    if errors:
        raise RequestValidationError(errors)
    applied = await inbound.apply(session, updates)
    stock = request.app.state.stock
    for variant_id, level in applied.stock_levels.items():
        await stock.set_level(variant_id, level)
    if applied.products_changed:
        request.app.state.product_cache.clear()
    return ok(
        ops.ReceiveErpUpdatesData.model_validate(
            {"items": [{"sync_id": s, "outcome": o} for s, o in applied.outcomes]}
        )
    )


HANDLERS: dict[str, Handler] = {
    "getErpOutbox": get_erp_outbox,
    "listErpDeadLetters": list_erp_dead_letters,
    "replayErpDeadLetter": replay_erp_dead_letter,
    "receiveErpUpdates": receive_erp_updates,
}
