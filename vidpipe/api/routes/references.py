"""Reference images over HTTP: upload one, then name it in `POST /api/generate`."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import starlette.datastructures
from fastapi import APIRouter, File, UploadFile, status

from vidpipe.api.deps import SettingsDep
from vidpipe.api.guards import mib, store_upload
from vidpipe.api.schemas import UNREADABLE, ReferenceUpload
from vidpipe.config import Settings
from vidpipe.orchestrator.references import MAX_BYTES, UploadPool

router = APIRouter(prefix="/api", tags=["references"])


@router.post(
    "/references",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferenceUpload,
    summary="Upload a reference image (PNG, JPEG or WebP; at most 20 MiB and 4096 px a side)",
    responses={
        **UNREADABLE,
        422: {"description": "Not such an image, or too big; nothing was stored."},
    },
)
async def upload_reference(
    file: Annotated[UploadFile, File(description="The image; its type is read from its bytes.")],
    settings: SettingsDep,
) -> ReferenceUpload:
    return await receive(settings, file)


async def receive(
    settings: Settings, file: starlette.datastructures.UploadFile, field: str = "file"
) -> ReferenceUpload:
    """Check and store one upload (also the New video form's path, web/references.py); a bad
    image is a 422 field error naming `field`, and nothing is stored. The decoding and hashing
    run off the event loop (vidpipe.api.offload)."""
    keep = partial(UploadPool(settings.data_dir).add, label="file")
    _, image = await store_upload(settings, file, field, MAX_BYTES, too_big, keep)
    return ReferenceUpload(
        id=image.content_hash,
        media_type=image.media_type,
        width=image.width,
        height=image.height,
        bytes=len(image.data),
    )


def too_big(size: int | None) -> str:
    """The same words and unit (MiB) as the CLI's check of a file."""
    shown = f"{mib(size)}" if size is not None else f"more than {mib(MAX_BYTES)}"
    return f"file: {shown}; reference images may be at most {mib(MAX_BYTES)}"
