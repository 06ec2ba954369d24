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


async def list_product_variants(
    params: ops.ListProductVariantsParamsDep, products: ProductServiceDep, viewer: ViewerRole
) -> Envelope[ops.ListProductVariantsData]:
    page = await products.list_variants(
        params.product_id, page=params.page, limit=params.limit, include_hidden=viewer == "admin"
    )
    return ok(
        ops.ListProductVariantsData.model_validate(
            {"items": page.items, "total": page.total, "page": params.page, "limit": params.limit},
            from_attributes=True,
        )
    )


async def create_product_variant(
    params: ops.CreateProductVariantParamsDep,
    body: ops.CreateProductVariantBody,
    _: CurrentAdmin,
    products: ProductServiceDep,
) -> Envelope[ops.CreateProductVariantData]:
    variant = await products.create_variant(params.product_id, body.model_dump(exclude_unset=True))
    return ok(ops.CreateProductVariantData.model_validate(variant, from_attributes=True))


async def update_product_variant(
    params: ops.UpdateProductVariantParamsDep,
    body: ops.UpdateProductVariantBody,
    _: CurrentAdmin,
    products: ProductServiceDep,
) -> Envelope[ops.UpdateProductVariantData]:
    fields = body.model_dump(exclude_unset=True)
    variant = await products.update_variant(params.product_id, params.variant_id, fields)
    return ok(ops.UpdateProductVariantData.model_validate(variant, from_attributes=True))


async def delete_product_variant(
    params: ops.DeleteProductVariantParamsDep, _: CurrentAdmin, products: ProductServiceDep
) -> Envelope[None]:
    await products.delete_variant(params.product_id, params.variant_id)
    return empty()


HANDLERS: dict[str, Handler] = {
    "listProducts": list_products,
    "getProduct": get_product,
    "createProduct": create_product,
    "replaceProduct": replace_product,
    "updateProduct": update_product,
    "deleteProduct": delete_product,
    "listProductVariants": list_product_variants,
    "createProductVariant": create_product_variant,
    "updateProductVariant": update_product_variant,
    "deleteProductVariant": delete_product_variant,
}
