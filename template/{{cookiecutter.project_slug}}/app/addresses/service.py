"""A user's shipping addresses: at most `MAX_ADDRESSES`, one of them the default.

Every write starts by locking the user's row (a no-op update, which SQLite answers with its
write lock), so two requests at once cannot pass the limit together, and the partial unique
index on the default keeps a second default out whatever happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.addresses import contract_fields
from app.addresses.models import SHIPPING_FIELDS, Address
from app.auth.models import User
from app.core.db import utcnow
from app.core.errors import LimitReached, NotFound

MAX_ADDRESSES = 20
# A page past this offset is past the end of any table, and past what OFFSET takes.
MAX_OFFSET = 2**63 - 1


class AddressNotFound(NotFound):
    msg = "Address not found"


class TooManyAddresses(LimitReached):
    msg = f"A user keeps at most {MAX_ADDRESSES} addresses"


@dataclass(frozen=True, slots=True)
class AddressPage:
    items: list[Address]
    total: int


class AddressService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self, user_id: int, *, page: int, limit: int) -> AddressPage:
        total = await self.session.scalar(
            select(func.count(Address.id)).where(Address.user_id == user_id)
        )
        if (page - 1) * limit > MAX_OFFSET:
            return AddressPage([], total or 0)  # past the end, and past what OFFSET takes
        rows = await self.session.scalars(
            select(Address)
            .where(Address.user_id == user_id)
            .order_by(Address.is_default.desc(), Address.created_at.desc(), Address.id.desc())
            .offset((page - 1) * limit)
            .limit(limit)
        )
        return AddressPage(list(rows), total or 0)

    async def _lock_user(self, user_id: int) -> None:
        """Serialise a user's address writes: a no-op update locks the user's row on
        PostgreSQL and takes the write lock on SQLite, before anything is counted."""
        await self.session.execute(
            update(User)
            .where(User.id == user_id)
            .values(id=User.id)
            .execution_options(synchronize_session=False)
        )

    async def _own(self, user_id: int, address_id: int) -> Address:
        address = await self.session.get(Address, address_id, populate_existing=True)
        if address is None or address.user_id != user_id:
            raise AddressNotFound()
        return address

    async def _clear_default(self, user_id: int) -> None:
        await self.session.execute(
            update(Address)
            .where(Address.user_id == user_id, Address.is_default.is_(True))
            .values(is_default=False)
            .execution_options(synchronize_session=False)
        )
        await self.session.flush()

    async def create(self, user_id: int, fields: Mapping[str, Any]) -> Address:
        """A new address, or the caller's identical one: a retried request adds no copy."""
        await self._lock_user(user_id)
        values = {name: fields.get(name) for name in SHIPPING_FIELDS}
        same = await self.session.scalar(
            select(Address).where(
                Address.user_id == user_id,
                *(getattr(Address, name) == value for name, value in values.items() if value),
                *(getattr(Address, name).is_(None) for name, value in values.items() if not value),
            )
        )
        if same is not None:
            if fields.get("is_default") and not same.is_default:
                await self._clear_default(user_id)
                same.is_default = True
                same.updated_at = utcnow()
            await self.session.commit()
            return same
        count = await self.session.scalar(
            select(func.count(Address.id)).where(Address.user_id == user_id)
        )
        if (count or 0) >= MAX_ADDRESSES:
            await self.session.rollback()
            raise TooManyAddresses()
        is_default = bool(fields.get("is_default")) or count == 0
        if is_default:
            await self._clear_default(user_id)
        now = utcnow()
        address = Address(
            user_id=user_id,
            **values,
            is_default=is_default,
            created_at=now,
            updated_at=now,
            **contract_fields.column_values(fields),
        )
        self.session.add(address)
        await self.session.commit()
        return address

    async def update(self, user_id: int, address_id: int, fields: Mapping[str, Any]) -> Address:
        await self._lock_user(user_id)
        address = await self._own(user_id, address_id)
        for name in SHIPPING_FIELDS:
            if name in fields and (fields[name] is not None or name == "postal_code"):
                setattr(address, name, fields[name])
        for name, value in contract_fields.column_values(fields).items():
            setattr(address, name, value)
        if fields.get("is_default") and not address.is_default:
            await self._clear_default(user_id)
            address.is_default = True
        address.updated_at = utcnow()
        await self.session.commit()
        return address

    async def delete(self, user_id: int, address_id: int) -> None:
        """Remove an address; orders keep their copy. The newest one left inherits the
        default."""
        await self._lock_user(user_id)
        address = await self._own(user_id, address_id)
        was_default = address.is_default
        await self.session.delete(address)
        await self.session.flush()
        if was_default:
            heir = await self.session.scalar(
                select(Address)
                .where(Address.user_id == user_id)
                .order_by(Address.created_at.desc(), Address.id.desc())
                .limit(1)
            )
            if heir is not None:
                heir.is_default = True
        await self.session.commit()
