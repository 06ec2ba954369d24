from typing import Annotated

from fastapi import Depends, Request

from app.core.db import SessionDep
from app.products.service import ProductService


async def get_product_service(request: Request, session: SessionDep) -> ProductService:
    return ProductService(session, request.app.state.product_cache, request.app.state.stock)


ProductServiceDep = Annotated[ProductService, Depends(get_product_service)]
