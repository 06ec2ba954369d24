"""Serving the contract itself at /openapi.json, not a schema FastAPI reinvents."""

import json
from functools import lru_cache
from pathlib import Path

import yaml
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "contract" / "openapi.yaml"


@lru_cache(maxsize=4)
def read_contract(path: Path = CONTRACT_PATH) -> bytes:
    """The contract as compact JSON bytes, parsed once per process."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return json.dumps(document, separators=(",", ":"), default=str).encode()


def install_contract(app: FastAPI, path: Path = CONTRACT_PATH) -> None:
    app.state.contract_json = read_contract(path)

    @app.get("/openapi.json", include_in_schema=False)
    async def serve_contract(request: Request) -> Response:
        return Response(request.app.state.contract_json, media_type="application/json")

    @app.get("/docs", include_in_schema=False)
    async def serve_docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} docs")
