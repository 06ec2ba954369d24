"""Serving the contract itself at /openapi.json, not a schema FastAPI reinvents, and Swagger
UI over it at /docs (off in production unless `DOCS_ENABLED`)."""

import html
import json
from functools import lru_cache
from pathlib import Path

import yaml
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "contract" / "openapi.yaml"

# One exact release of swagger-ui-dist, checked by Subresource Integrity: a changed or
# compromised file on the CDN is refused by the browser instead of run on the docs page.
SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.36.0"
SWAGGER_UI_JS_SRI = "sha384-fUpRgC19yPykTqzdrUbdAg8NTiu16NEKf9U12J+IJWCg8/1mEI8f2+PEIz60Wyd+"
SWAGGER_UI_CSS_SRI = "sha384-z/AtSaOHGn5MJ5auAHXUypohywlIWLBZo1jeGmhdpVIbCnFhxAH92cwdV41oyINc"


@lru_cache(maxsize=4)
def read_contract(path: Path = CONTRACT_PATH) -> bytes:
    """The contract as compact JSON bytes, parsed once per process."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return json.dumps(document, separators=(",", ":"), default=str).encode()


def swagger_ui_page(title: str, openapi_url: str = "/openapi.json") -> str:
    options = json.dumps({"url": openapi_url, "dom_id": "#swagger-ui"})
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css"
      integrity="{SWAGGER_UI_CSS_SRI}" crossorigin="anonymous">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"
        integrity="{SWAGGER_UI_JS_SRI}" crossorigin="anonymous"></script>
<script>
SwaggerUIBundle({options});
</script>
</body>
</html>
"""


def install_contract(app: FastAPI, path: Path = CONTRACT_PATH, *, docs: bool = True) -> None:
    app.state.contract_json = read_contract(path)

    @app.get("/openapi.json", include_in_schema=False)
    async def serve_contract(request: Request) -> Response:
        return Response(request.app.state.contract_json, media_type="application/json")

    if not docs:
        return
    page = swagger_ui_page(f"{app.title} docs")

    @app.get("/docs", include_in_schema=False)
    async def serve_docs() -> HTMLResponse:
        return HTMLResponse(page)
