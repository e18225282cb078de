"""`vidpipe doctor`: checks that cost nothing — ffmpeg runs, the database opens, providers answer.

The database is only read: a missing SQLite file is reported, not created, and nothing is migrated.

Each configured provider is built from the settings (a missing setting is named) and, when it has
a `health()` check, asked one free question: list models (google, openai) or GET /system_stats
(comfyui). Providers that run workflow templates (comfyui) also check them against the server's
free GET /object_info: one line per unknown node type or input, option the server does not offer,
or model file it does not have. Nothing is generated, so nothing is paid for.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

from vidpipe.config import Settings
from vidpipe.db.engine import create_engine
from vidpipe.errors import VidpipeError
from vidpipe.media.ffmpeg import check_ffmpeg, find_ffmpeg
from vidpipe.providers.base import Provider, Role
from vidpipe.providers.registry import load_registry

HEALTH_TIMEOUT = 20.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, str | bool]:
        """The JSON form `doctor --json` prints."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


async def run_checks(settings: Settings) -> list[Check]:
    return [await _ffmpeg(settings), await _database(settings), *await _providers(settings)]


async def _ffmpeg(settings: Settings) -> Check:
    try:
        path = find_ffmpeg(settings.ffmpeg)
        version = await check_ffmpeg(path)
    except VidpipeError as exc:
        return Check("ffmpeg", False, str(exc))
    return Check("ffmpeg", True, f"{path} ({version})")


async def _database(settings: Settings) -> Check:
    """Opens and reads, never writes: a missing SQLite file is not created and an older
    database is not migrated (the next command that needs it does both)."""
    from sqlalchemy.engine import make_url

    from vidpipe.cli.runtime import database_exists
    from vidpipe.db.current import migration_head, revisions

    url = settings.masked()["database_url"]
    if not database_exists(settings):
        path = make_url(settings.effective_database_url).database
        return Check("database", True, f"no database yet at {path}; `vidpipe generate` creates it")
    engine = create_engine(settings.effective_database_url)
    try:
        found = await revisions(engine)
    except Exception as exc:
        return Check(
            "database", False, f"{url}: {type(exc).__name__}: {exc} — check VIDPIPE_DATABASE_URL"
        )
    finally:
        await engine.dispose()
    head = migration_head()
    if head is not None and found == [head]:
        return Check("database", True, f"{url} (migrated to head)")
    at = ", ".join(found) or "no revision"
    later = f"the next command that opens it migrates it to {head or 'head'}"
    return Check("database", True, f"{url} (at {at}; {later})")


async def _providers(settings: Settings) -> list[Check]:
    registry = load_registry()
    chosen = {
        Role.STORYBOARD: settings.storyboard_provider,
        Role.IMAGE: settings.image_provider,
        Role.VIDEO: settings.video_provider,
    }
    answers: dict[str, tuple[bool, str]] = {}  # one free call per provider, whatever its roles
    served: dict[str, set[str] | None] = {}  # the models each provider serves this key
    checks = []
    for role, name in chosen.items():
        label = f"{role.value} provider"
        setting = f"VIDPIPE_{role.value.upper()}_PROVIDER"
        try:
            provider = registry.get(role, name)(settings)
        except VidpipeError as exc:
            checks.append(Check(label, False, str(exc)))
            continue
        health = getattr(provider, "health", None)
        if health is None:
            checks.append(_configured(provider, name, setting, settings))
            continue
        if name not in answers:
            answers[name] = await _ask(name, health)
        ok, detail = answers[name]
        checks.append(Check(label, ok, detail))
        if ok:
            checks.extend(await _templates(provider, name, role))
            checks.extend(await _models(provider, name, role, settings, served))
    return checks


async def _models(
    provider: Provider,
    name: str,
    role: Role,
    settings: Settings,
    served: dict[str, set[str] | None],
) -> list[Check]:
    """The configured model of `role`: not shut down (the catalog says when and what instead),
    and served to this key (the provider's free model list), before any paid call."""
    from vidpipe.providers.catalog import (
        configured_model,
        load_catalog,
        model_setting,
        shutdown_line,
    )

    listing = getattr(provider, "served_models", None)
    model = configured_model(settings, name, role.value)
    setting = model_setting(name, role.value)
    if model is None or setting is None:
        return []
    label = f"{role.value} model"
    where = f"VIDPIPE_{setting.upper()}={model}"
    entry = load_catalog().find(name, model)
    if entry is not None and entry.deprecated:
        return [Check(label, False, f"{where}: {shutdown_line(entry)}")]
    if listing is not None and name not in served:
        try:
            served[name] = await asyncio.wait_for(listing(), HEALTH_TIMEOUT)
        except Exception:  # the provider check above already said why; no second line
            served[name] = None
    names = served.get(name)
    if names is not None and model not in names:
        close = load_catalog().closest(model, provider=name, role=role.value, live=True)
        offered = [key for key in close if key.split(":", 1)[1] in names]
        hint = f"; served and close: {', '.join(offered)}" if offered else ""
        return [
            Check(
                label,
                False,
                f"{where}: not served for this key ({len(names)} models are){hint} "
                f"(vidpipe models --role {role.value})",
            )
        ]
    status = f"{entry.status}" if entry is not None else "not in the catalog"
    served_text = "served, " if names is not None else ""
    return [Check(label, True, f"{name}:{model} ({served_text}{status})")]


async def _templates(provider: Provider, name: str, role: Role) -> list[Check]:
    """The provider's workflow templates against what its server has (comfyui: /object_info)."""
    check_templates = getattr(provider, "check_templates", None)
    if check_templates is None:
        return []
    label = f"{role.value} templates"
    try:
        problems = await asyncio.wait_for(check_templates(), HEALTH_TIMEOUT)
    except TimeoutError:
        return [Check(label, False, f"{name}: no answer in {HEALTH_TIMEOUT:g}s")]
    except Exception as exc:
        return [Check(label, False, str(exc) or f"{name}: {type(exc).__name__}")]
    if not problems:
        return [Check(label, True, f"{name}: every node, option and model file is on the server")]
    return [Check(label, False, problem) for problem in problems]


async def _ask(name: str, health: Any) -> tuple[bool, str]:
    try:
        return True, str(await asyncio.wait_for(health(), HEALTH_TIMEOUT))
    except TimeoutError:
        return False, f"{name}: no answer in {HEALTH_TIMEOUT:g}s"
    except Exception as exc:
        return False, str(exc) or f"{name}: {type(exc).__name__}"


def _configured(provider: Provider, name: str, setting: str, settings: Settings) -> Check:
    """Providers without a health check (local, plugins): the key is present if one is needed."""
    label = f"{provider.role.value} provider"
    if provider.needs_key and provider.key_env_var:
        field = provider.key_env_var.removeprefix("VIDPIPE_").lower()
        if not settings.get(field):
            return Check(label, False, f"{name}: {provider.key_env_var} is not set")
    return Check(label, True, f"{name} ({source_of(settings, setting)})")


def source_of(settings: Settings, variable: str) -> str:
    """Where a setting's value really came from (see config.py's precedence): the default, the
    environment variable, vidpipe.toml in this folder, or a command-line option."""
    field = variable.removeprefix("VIDPIPE_").lower()
    if not settings.is_set(field):
        return "the default"
    if any(name.upper() == variable for name in os.environ):
        return f"set by {variable}"
    return (
        f"set in {settings.file.path}"
        if settings.file.mentions(field)
        else "set on the command line"
    )
