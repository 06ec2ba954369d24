"""Handlers of the commission module's operations: the admin's, and the beneficiary's own."""

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import StreamingResponse

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentAdmin, CurrentUser
from app.commission.export import CSV_MEDIA_TYPE, export_rows
from app.commission.ledger import Balance
from app.commission.models import CommissionEntry, CommissionRule
from app.commission.runtime import CommissionRuntime
from app.commission.service import (
    ChannelView,
    CommissionInvalid,
    CommissionService,
    StatementLine,
    entry_filters,
)
from app.core.db import SessionDep
from app.core.envelope import Envelope, ok

MAX_PERIOD = timedelta(days=366)
STATEMENT_ACCOUNTS = 100


def get_runtime(request: Request) -> CommissionRuntime:
    runtime: CommissionRuntime = request.app.state.commission
    return runtime


Runtime = Annotated[CommissionRuntime, Depends(get_runtime)]


def get_service(session: SessionDep, runtime: Runtime) -> CommissionService:
    return CommissionService(session, runtime.cache)


Service = Annotated[CommissionService, Depends(get_service)]


def _time(value: str | None, name: str) -> datetime | None:
    """A date-time query parameter: RFC 3339, with its offset."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise CommissionInvalid(
            f"query.{name}", "Expected an RFC 3339 date-time with an offset.", "datetime_parsing"
        )
    return parsed


def _period(created_from: str, created_to: str) -> tuple[datetime, datetime]:
    start, end = _time(created_from, "created_from"), _time(created_to, "created_to")
    assert start is not None and end is not None
    if end <= start or end - start > MAX_PERIOD:
        raise CommissionInvalid(
            "query.created_to",
            "The period must end after it starts, at most 366 days later.",
            "invalid_period",
        )
    return start, end


def _channel(view: ChannelView) -> dict[str, Any]:
    channel = view.channel
    return {
        "id": channel.id,
        "code": channel.code,
        "name": channel.name,
        "parent_id": channel.parent_id,
        "user_id": channel.user_id,
        "depth": channel.depth,
        "path": view.path,
        "active": channel.active,
        "created_at": channel.created_at,
        "updated_at": channel.updated_at,
    }


def _rule(rule: CommissionRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "channel_id": rule.channel_id,
        "level": rule.level,
        "version": rule.version,
        "rate_bp": rule.rate_bp,
        "fixed_cents": rule.fixed_cents,
        "cap_cents": rule.cap_cents,
        "currency": rule.currency,
        "valid_from": rule.valid_from,
        "valid_until": rule.valid_until,
        "created_at": rule.created_at,
    }


def _entry(entry: CommissionEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "journal_id": entry.journal_id,
        "kind": entry.kind,
        "order_id": entry.order_id,
        "account": entry.account,
        "channel_id": entry.channel_id,
        "side": entry.side,
        "amount_cents": entry.amount_cents,
        "currency": entry.currency,
        "level": entry.level,
        "rule_id": entry.rule_id,
        "rule_version": entry.rule_version,
        "created_at": entry.created_at,
    }


def _balance(balance: Balance, code: str) -> dict[str, Any]:
    return {
        "channel_id": balance.channel_id,
        "channel_code": code,
        "currency": balance.currency,
        "earned_cents": balance.earned_cents,
        "adjusted_cents": balance.adjusted_cents,
        "paid_out_cents": balance.paid_out_cents,
        "balance_cents": balance.balance_cents,
    }


def _account(line: StatementLine) -> dict[str, Any]:
    return {
        "channel_id": line.channel.id,
        "channel_code": line.channel.code,
        "channel_name": line.channel.name,
        "currency": line.currency,
        "opening_cents": line.opening_cents,
        "credited_cents": line.credited_cents,
        "debited_cents": line.debited_cents,
        "closing_cents": line.closing_cents,
    }


def _page(items: list[dict[str, Any]], total: int, page: int, limit: int) -> dict[str, Any]:
    return {"items": items, "total": total, "page": page, "limit": limit}


# -- channels and rules ------------------------------------------------------------------


async def list_commission_channels(
    params: ops.ListCommissionChannelsParamsDep, _: CurrentAdmin, service: Service
) -> Envelope[ops.ListCommissionChannelsData]:
    views, total = await service.list_channels(params.page, params.limit, params.parent_id)
    page = _page([_channel(v) for v in views], total, params.page, params.limit)
    return ok(ops.ListCommissionChannelsData.model_validate(page))


async def create_commission_channel(
    body: ops.CreateCommissionChannelBody, _: CurrentAdmin, service: Service
) -> Envelope[ops.CreateCommissionChannelData]:
    view = await service.create_channel(
        code=body.code.root,
        name=body.name,
        parent_id=body.parent_id,
        user_id=body.user_id,
        active=body.active if body.active is not None else True,
    )
    return ok(ops.CreateCommissionChannelData.model_validate(_channel(view)))


async def get_commission_channel(
    params: ops.GetCommissionChannelParamsDep, _: CurrentAdmin, service: Service
) -> Envelope[ops.GetCommissionChannelData]:
    view = await service.get_channel(params.channel_id)
    return ok(ops.GetCommissionChannelData.model_validate(_channel(view)))


async def update_commission_channel(
    params: ops.UpdateCommissionChannelParamsDep,
    body: ops.UpdateCommissionChannelBody,
    _: CurrentAdmin,
    service: Service,
) -> Envelope[ops.UpdateCommissionChannelData]:
    changes = body.model_dump(include=body.model_fields_set)
    view = await service.update_channel(params.channel_id, changes)
    return ok(ops.UpdateCommissionChannelData.model_validate(_channel(view)))


async def list_commission_rules(
    params: ops.ListCommissionRulesParamsDep, _: CurrentAdmin, service: Service
) -> Envelope[ops.ListCommissionRulesData]:
    rules, total = await service.list_rules(params.page, params.limit, params.channel_id)
    page = _page([_rule(r) for r in rules], total, params.page, params.limit)
    return ok(ops.ListCommissionRulesData.model_validate(page))


async def create_commission_rule(
    body: ops.CreateCommissionRuleBody, admin: CurrentAdmin, service: Service
) -> Envelope[ops.CreateCommissionRuleData]:
    rule = await service.create_rule(
        channel_id=body.channel_id,
        level=body.level,
        rate_bp=body.rate_bp,
        fixed_cents=body.fixed_cents or 0,
        cap_cents=body.cap_cents,
        currency=body.currency,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        created_by=admin.id,
    )
    return ok(ops.CreateCommissionRuleData.model_validate(_rule(rule)))


# -- the ledger ---------------------------------------------------------------------------


async def list_commission_ledger(
    params: ops.ListCommissionLedgerParamsDep, _: CurrentAdmin, service: Service
) -> Envelope[ops.ListCommissionLedgerData]:
    filters = entry_filters(
        channel_ids=[params.channel_id] if params.channel_id is not None else None,
        order_id=params.order_id,
        created_from=_time(params.created_from, "created_from"),
        created_to=_time(params.created_to, "created_to"),
    )
    entries, total = await service.list_entries(params.page, params.limit, filters)
    page = _page([_entry(e) for e in entries], total, params.page, params.limit)
    return ok(ops.ListCommissionLedgerData.model_validate(page))


async def export_commission_ledger(
    params: ops.ExportCommissionLedgerParamsDep, _: CurrentAdmin, runtime: Runtime
) -> StreamingResponse:
    start, end = _period(params.created_from, params.created_to)
    filters = entry_filters(
        channel_ids=[params.channel_id] if params.channel_id is not None else None,
        created_from=start,
        created_to=end,
    )
    name = f"commission-{start.date().isoformat()}-{end.date().isoformat()}.csv"
    return StreamingResponse(
        export_rows(runtime.sessionmaker, filters),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def list_commission_balances(
    params: ops.ListCommissionBalancesParamsDep, _: CurrentAdmin, service: Service
) -> Envelope[ops.ListCommissionBalancesData]:
    found, total = await service.list_balances(params.page, params.limit)
    page = _page([_balance(b, code) for b, code in found], total, params.page, params.limit)
    return ok(ops.ListCommissionBalancesData.model_validate(page))


async def create_commission_payout(
    body: ops.CreateCommissionPayoutBody, admin: CurrentAdmin, service: Service
) -> Envelope[ops.CreateCommissionPayoutData]:
    done = await service.create_payout(
        channel_id=body.channel_id,
        amount_cents=body.amount_cents,
        currency=body.currency,
        reference=body.reference,
        note=body.note,
        created_by=admin.id,
    )
    return ok(
        ops.CreateCommissionPayoutData.model_validate(
            {
                "journal_id": done.journal.id,
                "channel_id": done.channel_id,
                "amount_cents": done.amount_cents,
                "currency": done.journal.currency,
                "reference": done.journal.reference,
                "note": done.journal.note,
                "balance_cents": done.balance_cents,
                "created_at": done.journal.created_at,
            }
        )
    )


async def settle_commissions(
    _: CurrentAdmin, runtime: Runtime
) -> Envelope[ops.SettleCommissionsData]:
    done = await runtime.settler.run_round()
    return ok(
        ops.SettleCommissionsData.model_validate(
            {"settled": done.settled, "voided": done.voided, "adjusted": done.adjusted}
        )
    )


# -- a beneficiary's own ------------------------------------------------------------------


async def get_my_commission_statement(
    params: ops.GetMyCommissionStatementParamsDep, user: CurrentUser, service: Service
) -> Envelope[ops.GetMyCommissionStatementData]:
    start, end = _period(params.created_from, params.created_to)
    lines = await service.statement(user.id, start, end)
    return ok(
        ops.GetMyCommissionStatementData.model_validate(
            {
                "created_from": start,
                "created_to": end,
                "accounts": [_account(line) for line in lines[:STATEMENT_ACCOUNTS]],
            }
        )
    )


async def list_my_commission_entries(
    params: ops.ListMyCommissionEntriesParamsDep, user: CurrentUser, service: Service
) -> Envelope[ops.ListMyCommissionEntriesData]:
    mine = [channel.id for channel in await service.channels_of(user.id)]
    filters = entry_filters(
        channel_ids=mine,
        created_from=_time(params.created_from, "created_from"),
        created_to=_time(params.created_to, "created_to"),
    )
    entries, total = await service.list_entries(params.page, params.limit, filters)
    page = _page([_entry(e) for e in entries], total, params.page, params.limit)
    return ok(ops.ListMyCommissionEntriesData.model_validate(page))


async def export_my_commission_statement(
    params: ops.ExportMyCommissionStatementParamsDep,
    user: CurrentUser,
    service: Service,
    runtime: Runtime,
) -> StreamingResponse:
    start, end = _period(params.created_from, params.created_to)
    mine = [channel.id for channel in await service.channels_of(user.id)]
    filters = entry_filters(channel_ids=mine, created_from=start, created_to=end)
    name = f"statement-{start.date().isoformat()}-{end.date().isoformat()}.csv"
    return StreamingResponse(
        export_rows(runtime.sessionmaker, filters),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


HANDLERS: dict[str, Handler] = {
    "listCommissionChannels": list_commission_channels,
    "createCommissionChannel": create_commission_channel,
    "getCommissionChannel": get_commission_channel,
    "updateCommissionChannel": update_commission_channel,
    "listCommissionRules": list_commission_rules,
    "createCommissionRule": create_commission_rule,
    "listCommissionLedger": list_commission_ledger,
    "exportCommissionLedger": export_commission_ledger,
    "listCommissionBalances": list_commission_balances,
    "createCommissionPayout": create_commission_payout,
    "settleCommissions": settle_commissions,
    "getMyCommissionStatement": get_my_commission_statement,
    "listMyCommissionEntries": list_my_commission_entries,
    "exportMyCommissionStatement": export_my_commission_statement,
}
