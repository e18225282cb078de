"""The google-genai client, built from Settings, and its errors translated to vidpipe's.

Two modes:
- Gemini API (default): `VIDPIPE_GOOGLE_API_KEY`. Gemini text and Gemini image models.
- Vertex AI (`VIDPIPE_GOOGLE_VERTEXAI=1`): project + location with a credentials file or
  application default credentials, or an express-mode API key. Everything, including Veo and
  Imagen (google-genai 3.x offers `generate_videos` / `generate_images` on Vertex AI only).

`VIDPIPE_GOOGLE_BASE_URL` replaces the endpoint (http_options.base_url) in both modes.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from google import genai
from google.auth import exceptions as auth_exceptions
from google.auth.transport import mtls
from google.genai import _interactions_errors as interactions_errors
from google.genai import errors as genai_errors
from google.genai import types

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, ProviderError
from vidpipe.providers.calls import (
    RetryPolicy,
    TransientError,
    auth_error,
    is_transient_status,
    rate_limiter,
    retry_after_seconds,
    with_retries,
)
from vidpipe.providers.catalog import load_catalog
from vidpipe.providers.google.settings import GoogleSettings

T = TypeVar("T")

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


def _transport_errors(name: str) -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = []
    for module in ("httpx", "httpx2"):
        with contextlib.suppress(ImportError):
            lib = __import__(module)
            kinds += [getattr(lib, name)]
    return tuple(kinds)


TRANSPORT_ERRORS = _transport_errors("TransportError")
# The request never reached the server: re-sending it cannot pay twice.
NOT_SENT_ERRORS = _transport_errors("ConnectError") + _transport_errors("ConnectTimeout")


def credential_setting(settings: Settings) -> str:
    """The setting to name when Google refuses the credentials."""
    google = settings.provider(GoogleSettings)
    if google.vertexai and not google.api_key:
        return "VIDPIPE_GOOGLE_CREDENTIALS_FILE (or application default credentials)"
    return "VIDPIPE_GOOGLE_API_KEY"


def check_settings(settings: Settings) -> None:
    """Refuse at once (one line naming the setting) when the configured mode lacks a setting."""
    google = settings.provider(GoogleSettings)
    if not google.vertexai:
        if not google.api_key:
            raise BadInputError(
                "the google provider needs an API key: set VIDPIPE_GOOGLE_API_KEY "
                "(or VIDPIPE_GOOGLE_VERTEXAI=1 with VIDPIPE_GOOGLE_PROJECT for Vertex AI)"
            )
    elif not google.api_key and not google.project:
        raise BadInputError(
            "Vertex AI needs a project: set VIDPIPE_GOOGLE_PROJECT (and VIDPIPE_GOOGLE_LOCATION), "
            "or VIDPIPE_GOOGLE_API_KEY for express mode"
        )


def load_credentials(settings: Settings) -> Any:
    """Credentials from VIDPIPE_GOOGLE_CREDENTIALS_FILE, or None for application defaults."""
    google = settings.provider(GoogleSettings)
    if not google.vertexai or google.credentials_file is None:
        return None
    try:
        return google_auth_load(str(google.credentials_file))
    except (OSError, ValueError, auth_exceptions.GoogleAuthError) as exc:
        raise BadInputError(
            f"cannot read VIDPIPE_GOOGLE_CREDENTIALS_FILE {google.credentials_file}: {exc}"
        ) from None


def make_client(
    settings: Settings,
    credentials: Any = None,
    *,
    timeout: float | None = None,
    location: str | None = None,
) -> genai.Client:
    """A client for the configured mode (see the module docstring); `location` replaces the
    configured Vertex AI region for a model served in one region only."""
    google = settings.provider(GoogleSettings)
    check_settings(settings)
    http_options = types.HttpOptions(
        base_url=google.base_url,
        timeout=int((timeout or settings.provider_timeout_seconds) * 1000),
        # no retries inside the SDK (the Interactions client retries 4 times by default): vidpipe
        # retries itself, and never re-sends a paid request whose outcome is unknown
        retry_options=types.HttpRetryOptions(attempts=1),
        async_client_args=tls_client_args(bool(google.vertexai)),
    )
    key = google.api_key.get_secret_value() if google.api_key else None
    if not google.vertexai:
        return genai.Client(vertexai=False, api_key=key, http_options=http_options)
    if key and not google.project:  # Vertex AI express mode
        return genai.Client(vertexai=True, api_key=key, http_options=http_options)
    return genai.Client(
        vertexai=True,
        project=google.project,
        location=location or google.location,
        credentials=credentials,
        http_options=http_options,
    )


def tls_client_args(vertexai: bool) -> dict[str, Any] | None:
    """The SDK's own TLS contexts, built once, for `http_options.async_client_args`.

    Why: each `genai.Client` otherwise loads the CA bundle twice (its httpx context and its
    websocket one, 20-70 ms of CPU each), and vidpipe builds a client per call. `verify` also
    serves the sync client. None (the SDK builds its own) where Vertex AI would load the
    default client certificate (mTLS), or where this SDK version builds them differently.
    """
    if vertexai and _client_cert_configured():
        return None
    env = ("SSL_CERT_FILE", "SSL_CERT_DIR", "GOOGLE_GENAI_HTTP_CLIENT")
    shared = _sdk_tls_contexts(*(os.environ.get(name) for name in env))
    return dict(shared) if shared else None


def _client_cert_configured() -> bool:
    """What google-genai asks before it loads the default client certificate on Vertex AI."""
    if not hasattr(mtls, "should_use_client_cert"):
        return False
    return bool(mtls.should_use_client_cert() and mtls.has_default_client_cert_source())


@functools.lru_cache(maxsize=4)
def _sdk_tls_contexts(*env: str | None) -> tuple[tuple[str, Any], ...] | None:
    """`verify` and `ssl` as google-genai builds them with no options (cached per value of the
    environment variables they read)."""
    from google.genai import _api_client

    base = getattr(_api_client, "BaseApiClient", None)
    httpx_args = getattr(base, "_ensure_httpx_ssl_ctx", None)
    websocket_args = getattr(base, "_ensure_websocket_ssl_ctx", None)
    if httpx_args is None or websocket_args is None:
        return None
    _, async_args = httpx_args(types.HttpOptions(), vertexai=False)
    verify = async_args.get("verify")
    ssl_context = websocket_args(types.HttpOptions(), vertexai=False).get("ssl")
    if verify is None or ssl_context is None:
        return None
    return (("verify", verify), ("ssl", ssl_context))


def google_auth_load(path: str) -> Any:
    """Service-account or authorized-user credentials; other kinds: use ADC instead."""
    import json

    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    kind = json.loads(Path(path).read_text()).get("type")
    if kind == "service_account":
        return service_account.Credentials.from_service_account_file(path, scopes=SCOPES)
    if kind == "authorized_user":
        return user_credentials.Credentials.from_authorized_user_file(path, scopes=SCOPES)
    raise ValueError(
        f"credentials of type {kind!r} are not supported here; point "
        "GOOGLE_APPLICATION_CREDENTIALS at them and leave VIDPIPE_GOOGLE_CREDENTIALS_FILE unset"
    )


def translate(exc: BaseException, settings: Settings, what: str) -> BaseException:
    """An SDK or transport error as ProviderAuthError, TransientError or ProviderError."""
    google = settings.provider(GoogleSettings)
    if isinstance(exc, genai_errors.APIError):
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        message = exc.message or str(exc.details)
        return _status_error(
            exc.code, exc.status or "", message, str(exc.details), headers, what, settings
        )
    if isinstance(exc, interactions_errors.APIStatusError):  # the Interactions API client
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        return _status_error(exc.status_code, "", str(exc), str(exc), headers, what, settings)
    if isinstance(exc, interactions_errors.APITimeoutError):
        return TransientError(f"{what}: timed out", certainly_unsent=False)
    if isinstance(exc, interactions_errors.APIConnectionError):
        unsent = isinstance(exc.__cause__, NOT_SENT_ERRORS)
        return TransientError(f"{what}: {exc or 'connection failed'}", certainly_unsent=unsent)
    if isinstance(exc, auth_exceptions.RefreshError) and google.credentials_file:
        where = google.credentials_file
        return auth_error(
            "google", None, str(exc), credential_setting(settings), code=f"{where} was refused"
        )
    if isinstance(exc, auth_exceptions.RefreshError | auth_exceptions.DefaultCredentialsError):
        return auth_error("google", None, str(exc), credential_setting(settings))
    if isinstance(exc, json.JSONDecodeError):
        return TransientError(f"{what}: malformed JSON from the server ({exc.msg})")
    if isinstance(exc, TRANSPORT_ERRORS):
        return TransientError(
            f"{what}: {type(exc).__name__}: {exc or 'connection failed'}",
            certainly_unsent=isinstance(exc, NOT_SENT_ERRORS),
        )
    return exc


def _status_error(
    status: int | None,
    status_name: str,
    message: str,
    details: str,
    headers: Any,
    what: str,
    settings: Settings,
) -> BaseException:
    if status in (401, 403) or (status == 400 and "API_KEY_INVALID" in details):
        return auth_error("google", status, message, credential_setting(settings))
    if is_transient_status(status):
        return TransientError(
            f"{what}: HTTP {status} {status_name} {message}".strip(),
            status=status,
            retry_after=retry_after_seconds(headers.get("retry-after")),
        )
    if status == 404:
        return ProviderError(
            f"{what}: not found (HTTP 404: {message}); check the model name", status=status
        )
    return ProviderError(f"{what}: HTTP {status} {status_name}: {message}", status=status)


class GoogleClientMixin:
    """Client, retries and rate limit for the three Google providers."""

    settings: Settings
    provider_id: ClassVar[str] = "google"
    needs_key: ClassVar[bool] = True
    key_env_var: ClassVar[str | None] = "VIDPIPE_GOOGLE_API_KEY"
    requests_per_minute: float | None = 60
    records_attempts: ClassVar[bool] = True

    def _init_client(self) -> None:
        check_settings(self.settings)  # a missing setting fails before any call
        self._credentials = load_credentials(self.settings)
        self._policy = RetryPolicy.from_settings(self.settings)

    @contextlib.asynccontextmanager
    async def _aio(
        self, *, timeout: float | None = None, location: str | None = None
    ) -> AsyncIterator[genai.client.AsyncClient]:
        """A fresh async client per use: no sockets outlive the event loop that opened them."""
        client = make_client(self.settings, self._credentials, timeout=timeout, location=location)
        try:
            yield client.aio
        finally:
            await client.aio.aclose()
            client.close()

    async def health(self) -> str:
        """A free call (list models): credentials accepted and the endpoint reachable."""
        async with self._aio() as aio:
            await self._check_once(
                "google: list models", lambda: aio.models.list(config={"page_size": 5})
            )
        google = self.settings.provider(GoogleSettings)
        if not google.vertexai:
            mode = "Gemini API"
        elif google.project:
            mode = f"Vertex AI {google.project}/{google.location}"
        else:
            mode = "Vertex AI express mode"
        where = google.base_url or "Google"
        return f"google ({mode} at {where}): credentials accepted"

    async def served_models(self) -> set[str]:
        """The model ids this key can use (free: `models.list`, every page), for `doctor`."""
        names: set[str] = set()
        async with self._aio() as aio:
            pager = await self._check_once(
                "google: list models",
                lambda: aio.models.list(config={"page_size": 100, "query_base": True}),
            )
            async for model in pager:
                if model.name:
                    names.add(model.name.rsplit("/", 1)[-1])
        if self.settings.provider(GoogleSettings).vertexai:  # a model Vertex AI names its own way
            for found in load_catalog().entries(provider="google"):
                if found.request.get("vertex_id") in names:
                    names.add(found.id)
        return names

    def _limit_key(self) -> str:
        role = getattr(self, "role", "any")
        return f"google:{getattr(role, 'value', role)}"

    async def _call(
        self,
        what: str,
        call: Callable[[], Awaitable[T]],
        *,
        rpm: float | None,
        resend_unknown: bool = True,
    ) -> T:
        """One paid request: each attempt in the ledger, rate-limited, transient faults retried
        (only those certainly not processed when `resend_unknown` is False), errors translated."""

        async def once() -> T:
            try:
                return await self._check_once(what, call)
            except ProviderError as exc:
                if exc.status == 404:  # the model is not served (shut down, not offered)
                    raise self._model_not_found(what, exc) from exc
                raise

        limiter = rate_limiter(self.settings, self._limit_key(), rpm)
        return await with_retries(
            once,
            self._policy,
            what=what,
            limiter=limiter,
            billable=True,
            resend_unknown=resend_unknown,
        )

    def _model_not_found(self, what: str, exc: ProviderError) -> ProviderError:
        """One line naming the model, the setting that chose it and where to find another."""
        role = getattr(getattr(self, "role", None), "value", "video")
        model = getattr(getattr(self, "options", None), "model", "?")
        setting = f"VIDPIPE_GOOGLE_{role.upper()}_MODEL"
        return ProviderError(
            f"{what}: Google does not serve {model} to this key (HTTP 404); choose another with "
            f"{setting} or the project's {role} model (vidpipe models --role {role}; "
            "vidpipe doctor)",
            status=404,
        )

    async def _check_once(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """One request with errors translated, no retries (polling has its own)."""
        try:
            return await call()
        except Exception as exc:
            translated = translate(exc, self.settings, what)
            if translated is exc:
                raise
            raise translated from exc
