"""Music beds over HTTP: upload one, then name it in `POST /api/generate` or a project's
`PATCH` (the CLI takes a file: `--music`)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import starlette.datastructures
from fastapi import APIRouter, File, UploadFile, status

from vidpipe.api.deps import SettingsDep
from vidpipe.api.guards import mib, store_upload
from vidpipe.api.schemas import UNREADABLE, MusicUpload
from vidpipe.config import Settings
from vidpipe.orchestrator.sound import MAX_MUSIC_UPLOAD_BYTES, MusicPool

router = APIRouter(prefix="/api", tags=["music"])


@router.post(
    "/music",
    status_code=status.HTTP_201_CREATED,
    response_model=MusicUpload,
    summary="Upload a music bed (any audio ffmpeg reads; at most 50 MiB)",
    responses={
        **UNREADABLE,
        422: {"description": "Not audio, empty or too big; nothing was stored."},
    },
)
async def upload_music(
    file: Annotated[UploadFile, File(description="The audio; its type is read by decoding it.")],
    settings: SettingsDep,
) -> MusicUpload:
    return await receive_music(settings, file)


async def receive_music(
    settings: Settings, file: starlette.datastructures.UploadFile, field: str = "file"
) -> MusicUpload:
    """Check and store one music upload (also the New video form's path); a file that is not
    audio is a 422 field error naming `field`, and nothing is stored. Decoding runs off the
    event loop (vidpipe.api.offload)."""

    def too_big(size: int | None) -> str:
        shown = mib(size) if size is not None else f"more than {mib(MAX_MUSIC_UPLOAD_BYTES)}"
        return f"{field}: {shown}; music may be at most {mib(MAX_MUSIC_UPLOAD_BYTES)}"

    pool = MusicPool(settings.data_dir)
    keep = partial(pool.add, label=field, name=file.filename)
    data, music = await store_upload(settings, file, field, MAX_MUSIC_UPLOAD_BYTES, too_big, keep)
    return MusicUpload(
        id=music.content_hash, name=music.name, duration_seconds=music.duration, bytes=len(data)
    )
