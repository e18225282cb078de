"""`vidpipe serve`: uvicorn on 127.0.0.1 by default; beyond loopback only with a token."""

from __future__ import annotations

import ipaddress
import logging
import sys

import uvicorn

from vidpipe.api.auth import api_token
from vidpipe.api.main import create_app
from vidpipe.api.timeouts import head_timeout_protocol
from vidpipe.config import Settings
from vidpipe.errors import BadInputError
from vidpipe.providers.registry import load_registry

# Seconds uvicorn waits for open requests after SIGTERM before the background runs are stopped.
GRACEFUL_SHUTDOWN_SECONDS = 10
SWITCH_INTERVAL_SECONDS = 0.001


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve to anything


def check_bind(settings: Settings) -> None:
    """Refuse to listen beyond loopback without a bearer token."""
    if not 0 <= settings.port <= 65535:
        raise BadInputError(f"{settings.port}; use 0 to 65535", field="port")
    if not is_loopback(settings.host) and api_token(settings) is None:
        raise BadInputError(
            f"refusing to listen on {settings.host} without a token: set VIDPIPE_API_TOKEN "
            "(anyone who can reach the port could start runs), or bind 127.0.0.1"
        )


def serve(settings: Settings) -> int:
    """Run the server until SIGINT/SIGTERM; return a process exit code."""
    check_bind(settings)
    registry = load_registry()
    registry.build(  # an unknown provider is bad input, before anything listens
        settings, settings.storyboard_provider, settings.image_provider, settings.video_provider
    )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(name)s: %(message)s")
    logging.getLogger("vidpipe").setLevel(logging.INFO)  # runs, takeovers; not alembic's chatter
    config = uvicorn.Config(
        create_app(settings, registry=registry),
        host=settings.host,
        port=settings.port,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_level="info",
        # the app itself believes only configured proxies (vidpipe.api.guards.TrustedProxies)
        proxy_headers=False,
        http=head_timeout_protocol(settings.header_timeout_seconds),
        timeout_keep_alive=settings.keep_alive_seconds,  # type: ignore[arg-type]
        h11_max_incomplete_event_size=16 * 1024,  # a request head larger than 16 KiB is refused
    )
    # Render threads share the GIL with the event loop; a request that waits on SQLite (aiosqlite
    # threads) hands the GIL back and forth a dozen times. A 1 ms switch interval instead of 5 ms
    # cuts polling latency under load (docs/PERFORMANCE.md, "API load"); this process only.
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1
