"""GET /api/models: the model catalog, the same document `vidpipe models --json` prints
(documents.ModelsDocument)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from vidpipe.api.schemas import ModelsDocument

router = APIRouter(prefix="/api", tags=["models"])


@router.get(
    "/models",
    response_model=ModelsDocument,
    summary="The models vidpipe can drive: capabilities, status (shutdown, replacement), price",
)
async def list_models(
    role: Annotated[Literal["storyboard", "image", "video", "narration"] | None, Query()] = None,
    provider: Annotated[str | None, Query(max_length=64)] = None,
) -> ModelsDocument:
    from vidpipe.providers.catalog import load_catalog

    return ModelsDocument.of(load_catalog().entries(role=role, provider=provider))
