"""Reference images over HTTP (REF-1): upload one, then name it in `POST /api/generate`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile, status

from vidpipe.api.deps import SettingsDep
from vidpipe.api.errors import field_error
from vidpipe.api.schemas import UNREADABLE, ReferenceUpload
from vidpipe.config import Settings
from vidpipe.errors import BadInputError
from vidpipe.orchestrator.references import MAX_BYTES, UploadPool

router = APIRouter(prefix="/api", tags=["references"])


@router.post(
    "/references",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferenceUpload,
    summary="Upload a reference image (PNG, JPEG or WebP; at most 20 MB and 4096 px a side)",
    responses={
        **UNREADABLE,
        422: {"description": "Not such an image, or too big; nothing was stored."},
    },
)
async def upload_reference(
    file: Annotated[UploadFile, File(description="The image; its type is read from its bytes.")],
    settings: SettingsDep,
) -> dict[str, Any]:
    return await receive(settings, file)


async def receive(settings: Settings, file: UploadFile, field: str = "file") -> dict[str, Any]:
    """Check and store one upload (also the New video form's path, web/references.py); a bad
    image is a 422 field error naming `field`, and nothing is stored."""
    data = await file.read(MAX_BYTES + 1)  # one byte more than allowed tells "too big"
    try:
        image = UploadPool(settings.data_dir).add(data, "file")
    except BadInputError as exc:
        raise field_error(field, str(exc)) from None
    return {
        "id": image.content_hash,
        "media_type": image.media_type,
        "width": image.width,
        "height": image.height,
        "bytes": len(image.data),
    }
