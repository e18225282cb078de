"""`/docs`: Swagger UI served by this server from the files of the `swagger-ui-bundle-v2`
package (no CDN), so the API's interactive description works offline and loads nothing from
another site. ReDoc, which FastAPI would load from a CDN, is not served."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_STATIC = "/docs-static"
# The page loads only what this server serves; Swagger UI needs its one inline start-up script
# and inline styles.
DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
        "'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


def install_docs(app: FastAPI) -> None:
    """Swagger UI at /docs (open, like the description itself), its files under /docs-static."""
    from swagger_ui_bundle import swagger_ui_path  # only the server needs it

    app.mount(DOCS_STATIC, StaticFiles(directory=str(swagger_ui_path)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon-32x32.png",
        )
        page.headers.update(DOCS_HEADERS)
        return page
