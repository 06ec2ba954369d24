from typing import Annotated

from fastapi import Depends

from app.addresses.service import AddressService
from app.core.db import SessionDep


def get_address_service(session: SessionDep) -> AddressService:
    return AddressService(session)


AddressServiceDep = Annotated[AddressService, Depends(get_address_service)]
