"""`vidpipe doctor`: checks that cost nothing — ffmpeg runs, the database opens, providers exist."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from vidpipe.config import Settings
from vidpipe.db.engine import open_database
from vidpipe.errors import VidpipeError
from vidpipe.media.ffmpeg import check_ffmpeg, find_ffmpeg
from vidpipe.providers.base import Role
from vidpipe.providers.registry import load_registry


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def run_checks(settings: Settings) -> list[Check]:
    return [await _ffmpeg(settings), await _database(settings), *_providers(settings)]


async def _ffmpeg(settings: Settings) -> Check:
    try:
        path = find_ffmpeg(settings.ffmpeg)
        version = await check_ffmpeg(path)
    except VidpipeError as exc:
        return Check("ffmpeg", False, str(exc))
    return Check("ffmpeg", True, f"{path} ({version})")


async def _database(settings: Settings) -> Check:
    url = settings.masked()["database_url"]
    try:
        async with open_database(settings.effective_database_url):
            pass
    except Exception as exc:
        return Check(
            "database", False, f"{url}: {type(exc).__name__}: {exc} — check VIDPIPE_DATABASE_URL"
        )
    return Check("database", True, f"{url} (migrated to head)")


def _providers(settings: Settings) -> list[Check]:
    registry = load_registry()
    chosen = {
        Role.STORYBOARD: settings.storyboard_provider,
        Role.IMAGE: settings.image_provider,
        Role.VIDEO: settings.video_provider,
    }
    checks = []
    for role, name in chosen.items():
        setting = f"VIDPIPE_{role.value.upper()}_PROVIDER"
        try:
            cls = registry.get(role, name)
        except VidpipeError as exc:
            checks.append(Check(f"{role.value} provider", False, str(exc)))
            continue
        detail = f"{name} (set by {setting})"
        ok = True
        if cls.needs_key and cls.key_env_var:
            field = cls.key_env_var.removeprefix("VIDPIPE_").lower()
            secret = getattr(settings, field, None)
            if not secret:
                ok, detail = False, f"{name}: {cls.key_env_var} is not set"
        checks.append(Check(f"{role.value} provider", ok, detail))
    return checks
