"""The web page served at /: templates, one stylesheet, one small script.

`install(app)` adds the page's routes, its static files and the CSRF guard to the API's app;
the page calls the use cases the API calls (vidpipe.app) and renders vidpipe.api.documents.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError

    from vidpipe.web.review import router as review
    from vidpipe.web.routes import invalid_address, refused, router
    from vidpipe.web.security import FormRefused, GuardBrowserWrites

    app.include_router(router)
    app.include_router(review)
    app.add_exception_handler(FormRefused, refused)
    app.add_exception_handler(RequestValidationError, invalid_address)  # pages: HTML
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(GuardBrowserWrites)
