"""The ceiling: a bare FastAPI app that answers listProducts' page from memory.

It returns the very page the service answered, as the same typed envelope, so FastAPI does
its own work (routing, serialising the model) and nothing else: no database, no cache, no
middleware. The service's figures are read as fractions of this app's, measured on the same
machine in the same run.

    BENCH_CEILING_BODY=page.json BENCH_CEILING_PATH=/api/v1/products \
        uvicorn bench.ceiling:create_app --factory
"""

import os
from pathlib import Path

from fastapi import FastAPI

from app.api import operations as ops
from app.core.envelope import Envelope

Page = Envelope[ops.ListProductsData]


def create_app() -> FastAPI:
    page = Page.model_validate_json(Path(os.environ["BENCH_CEILING_BODY"]).read_bytes())
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    async def list_products() -> Page:
        return page

    app.add_api_route(os.environ["BENCH_CEILING_PATH"], list_products, methods=["GET"])
    return app
