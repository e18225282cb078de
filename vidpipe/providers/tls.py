"""One TLS context per process for the HTTP clients vidpipe builds.

Why: a client built without `verify=` makes its own `ssl.SSLContext` and loads the whole CA bundle
into it (20-70 ms of CPU). vidpipe builds a fresh client per request (so no socket outlives the
event loop that opened it) and polls every few seconds, so that load was a large share of a run's
CPU. Only the context is shared, never a client: an `SSLContext` is safe to share across event
loops and threads.

Each context is made by the HTTP library's own default builder, so what is trusted does not
change: httpx's (certifi's bundle, or SSL_CERT_FILE, else SSL_CERT_DIR) for the fal and ComfyUI
clients, httpx2's (SSL_CERT_FILE, SSL_CERT_DIR, else the system's store) for the SDKs built on it.
Those builders read the environment per client, so a context is cached per value of the two
variables. httpcore sets ALPN on the context at each connection; every client using these speaks
HTTP/1.1 only, so that write never changes it.
"""

from __future__ import annotations

import functools
import os
import ssl


def _cert_env() -> tuple[str | None, str | None]:
    return os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")


@functools.lru_cache(maxsize=4)
def _httpx_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()


@functools.lru_cache(maxsize=4)
def _httpx2_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    import httpx2

    return httpx2.create_ssl_context()


def tls_context() -> ssl.SSLContext:
    """httpx's default context (what `httpx.AsyncClient()` trusts), built once: pass it as
    `verify=` to every httpx client."""
    return _httpx_context(*_cert_env())


def httpx2_tls_context() -> ssl.SSLContext:
    """httpx2's default context (what the openai SDK's client trusts), built once."""
    return _httpx2_context(*_cert_env())


def clear() -> None:
    """Forget the built contexts (tests, or after a CA bundle changed on disk)."""
    _httpx_context.cache_clear()
    _httpx2_context.cache_clear()
