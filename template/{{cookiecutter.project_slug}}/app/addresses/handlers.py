"""Handlers of the address operations: a signed-in user's own addresses only."""

from __future__ import annotations

from app.addresses.dependencies import AddressServiceDep
from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentUser
from app.core.envelope import Envelope, empty, ok


async def list_addresses(
    params: ops.ListAddressesParamsDep, user: CurrentUser, addresses: AddressServiceDep
) -> Envelope[ops.ListAddressesData]:
    page = await addresses.list(user.id, page=params.page, limit=params.limit)
    return ok(
        ops.ListAddressesData.model_validate(
            {"items": page.items, "total": page.total, "page": params.page, "limit": params.limit},
            from_attributes=True,
        )
    )


async def create_address(
    body: ops.CreateAddressBody, user: CurrentUser, addresses: AddressServiceDep
) -> Envelope[ops.CreateAddressData]:
    address = await addresses.create(user.id, body.model_dump())
    return ok(ops.CreateAddressData.model_validate(address, from_attributes=True))


async def update_address(
    params: ops.UpdateAddressParamsDep,
    body: ops.UpdateAddressBody,
    user: CurrentUser,
    addresses: AddressServiceDep,
) -> Envelope[ops.UpdateAddressData]:
    fields = body.model_dump(exclude_unset=True)
    address = await addresses.update(user.id, params.address_id, fields)
    return ok(ops.UpdateAddressData.model_validate(address, from_attributes=True))


async def delete_address(
    params: ops.DeleteAddressParamsDep, user: CurrentUser, addresses: AddressServiceDep
) -> Envelope[None]:
    await addresses.delete(user.id, params.address_id)
    return empty()


HANDLERS: dict[str, Handler] = {
    "listAddresses": list_addresses,
    "createAddress": create_address,
    "updateAddress": update_address,
    "deleteAddress": delete_address,
}
