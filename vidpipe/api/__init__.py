"""The HTTP API (FastAPI): `create_app` builds it, `vidpipe serve` runs it."""

from vidpipe.api.main import create_app

__all__ = ["create_app"]
