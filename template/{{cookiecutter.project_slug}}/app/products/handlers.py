"""Handlers of the product operations: reads are public, writes need an admin."""

from __future__ import annotations

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentAdmin, ViewerRole
from app.core.envelope import Envelope, empty, ok
from app.products.dependencies import ProductServiceDep


async def list_products(
    params: ops.ListProductsParamsDep, products: ProductServiceDep, viewer: ViewerRole
) -> Envelope[ops.ListProductsData]:
    return ok(await products.list(params, include_hidden=viewer == "admin"))


async def get_product(
    params: ops.GetProductParamsDep, products: ProductServiceDep, viewer: ViewerRole
) -> Envelope[ops.GetProductData]:
    return ok(await products.get(params.product_id, include_hidden=viewer == "admin"))


async def create_product(
    body: ops.CreateProductBody, _: CurrentAdmin, products: ProductServiceDep
) -> Envelope[ops.CreateProductData]:
    return ok(await products.create(body.model_dump(exclude_unset=True)))


async def replace_product(
    params: ops.ReplaceProductParamsDep,
    body: ops.ReplaceProductBody,
    _: CurrentAdmin,
    products: ProductServiceDep,
) -> Envelope[ops.ReplaceProductData]:
    return ok(await products.update(params.product_id, body.model_dump()))


async def update_product(
    params: ops.UpdateProductParamsDep,
    body: ops.UpdateProductBody,
    _: CurrentAdmin,
    products: ProductServiceDep,
) -> Envelope[ops.UpdateProductData]:
    fields = body.model_dump(exclude_unset=True)
    return ok(await products.update(params.product_id, fields))


async def delete_product(
    params: ops.DeleteProductParamsDep, _: CurrentAdmin, products: ProductServiceDep
) -> Envelope[None]:
    await products.delete(params.product_id)
    return empty()


HANDLERS: dict[str, Handler] = {
    "listProducts": list_products,
    "getProduct": get_product,
    "createProduct": create_product,
    "replaceProduct": replace_product,
    "updateProduct": update_product,
    "deleteProduct": delete_product,
}
