"""Settings that point vidpipe's real provider clients at the fakes, with shrunk timings."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from vidpipe.config import Settings

GOOGLE_KEY = "test-google-key"
OPENAI_KEY = "sk-test-openai"
FAL_KEY = "test-fal-key"

FAST: dict[str, Any] = {
    "poll_first_seconds": 0.02,
    "poll_interval_seconds": 0.05,
    "provider_backoff_seconds": 0.01,
    "provider_backoff_max_seconds": 0.05,
    "provider_timeout_seconds": 5.0,
    "operation_timeout_seconds": 30.0,
}


def google_settings(base: Settings, url: str, *, vertex: bool = True, **extra: Any) -> Settings:
    """Vertex AI express mode (API key, no project) unless `vertex=False` (Gemini API)."""
    return base.model_copy(
        update={
            **FAST,
            "google_base_url": url,
            "google_api_key": SecretStr(GOOGLE_KEY),
            "google_vertexai": vertex,
            **extra,
        }
    )


SERVICE_ACCOUNT = "vidpipe-test@fake-project.iam.gserviceaccount.com"


@functools.cache
def _private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def write_service_account(path: Path, token_uri: str) -> Path:
    """A service-account key file whose token endpoint is the fake's."""
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "fake-project",
                "private_key_id": "fake-key-id",
                "private_key": _private_key_pem(),
                "client_email": SERVICE_ACCOUNT,
                "client_id": "1234567890",
                "token_uri": token_uri,
            }
        )
    )
    return path


def vertex_project_settings(base: Settings, url: str, tmp_path: Path, **extra: Any) -> Settings:
    """Vertex AI with a project and a service-account key file (token from the fake)."""
    credentials = write_service_account(tmp_path / "credentials.json", f"{url}/token")
    return base.model_copy(
        update={
            **FAST,
            "google_base_url": url,
            "google_vertexai": True,
            "google_project": "fake-project",
            "google_location": "us-central1",
            "google_credentials_file": credentials,
            **extra,
        }
    )


def openai_settings(base: Settings, url: str, **extra: Any) -> Settings:
    return base.model_copy(
        update={
            **FAST,
            "openai_base_url": f"{url}/v1",
            "openai_api_key": SecretStr(OPENAI_KEY),
            **extra,
        }
    )


def comfyui_settings(base: Settings, url: str, **extra: Any) -> Settings:
    return base.model_copy(update={**FAST, "comfyui_url": url, **extra})


def fal_settings(base: Settings, url: str, **extra: Any) -> Settings:
    return base.model_copy(
        update={**FAST, "fal_base_url": url, "fal_key": SecretStr(FAL_KEY), **extra}
    )
