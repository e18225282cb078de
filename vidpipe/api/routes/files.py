"""Artifacts: final.mp4, keyframe images and clips, with HTTP Range support."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute

from vidpipe.api import artifacts
from vidpipe.api.deps import ProjectId, SessionDep, SettingsDep
from vidpipe.api.routes.iterate import SceneNumber, TakeNumber
from vidpipe.api.schemas import NOT_FOUND
from vidpipe.api.strict import Digits
from vidpipe.documents import REFERENCE_NAME

router = APIRouter(prefix="/api/projects/{project_id}", tags=["files"])

RangeHeader = Annotated[
    str | None,
    Header(
        alias="range",
        description="Byte range(s), e.g. `bytes=0-99` (206 Partial Content); "
        "served by Starlette's FileResponse.",
    ),
]
# Every file is sent as what it was stored as, never sniffed into something else (a PNG with
# HTML appended stays an image), and may run nothing if opened on its own.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
MEDIA_TYPES |= {".webp": "image/webp", ".mp4": "video/mp4", ".wav": "audio/wav"}


def send_file(
    path: FilePath, media_type: str | None = None, filename: str | None = None
) -> FileResponse:
    """A stored file with FILE_HEADERS; its type is the stored one (or its extension's, for
    the kinds vidpipe writes), else plain bytes."""
    kind = media_type or MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(path, media_type=kind, filename=filename, headers=FILE_HEADERS)


BINARY = {"schema": {"type": "string", "format": "binary"}}
TEXT = {"text/plain": {"schema": {"type": "string"}}}


def file_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": "The whole file.", "content": dict.fromkeys(media_types, BINARY)},
        206: {
            "description": "The requested byte range (several ranges: multipart/byteranges).",
            "content": dict.fromkeys((*media_types, "multipart/byteranges"), BINARY),
        },
        400: {"description": "Malformed Range header.", "content": TEXT},
        **NOT_FOUND,
        416: {"description": "Range not satisfiable.", "content": TEXT},
    }


@router.get(
    "/download",
    response_class=FileResponse,
    responses=file_responses("video/mp4"),
    summary="The final video (output/final.mp4)",
)
async def download(
    project_id: ProjectId, session: SessionDep, settings: SettingsDep, range: RangeHeader = None
) -> FileResponse:
    path = await artifacts.final_video(session, settings, project_id)
    return send_file(path, "video/mp4", filename=f"vidpipe-{project_id}.mp4")


@router.get(
    "/keyframes/{scene}/{position}",
    response_class=FileResponse,
    responses=file_responses("image/png", "image/jpeg", "image/webp"),
    summary="A scene's start or end keyframe image",
)
async def keyframe(
    project_id: ProjectId,
    scene: SceneNumber,
    position: Literal["start", "end"],
    session: SessionDep,
    settings: SettingsDep,
    range: RangeHeader = None,
) -> FileResponse:
    path = await artifacts.keyframe_image(session, settings, project_id, scene - 1, position)
    return send_file(path)


@router.get(
    "/clips/{scene}",
    response_class=FileResponse,
    responses=file_responses("video/mp4"),
    summary="A scene's finished clip",
)
async def clip(
    project_id: ProjectId,
    scene: SceneNumber,
    session: SessionDep,
    settings: SettingsDep,
    range: RangeHeader = None,
) -> FileResponse:
    path = await artifacts.clip_video(session, settings, project_id, scene - 1)
    return send_file(path, "video/mp4")


@router.get(
    "/references/{name}",
    response_class=FileResponse,
    responses=file_responses("image/png", "image/jpeg", "image/webp"),
    summary="A reference image of the project, by name",
)
async def reference(
    project_id: ProjectId,
    name: Annotated[
        str,
        # a name no reference can have (a NUL, say: PostgreSQL cannot even compare it) is a 422
        Path(pattern=REFERENCE_NAME, max_length=40, description="The reference's name."),
    ],
    session: SessionDep,
    settings: SettingsDep,
    range: RangeHeader = None,
) -> FileResponse:
    path, media_type = await artifacts.reference_image(session, settings, project_id, name)
    return send_file(path, media_type)


@router.get(
    "/scenes/{scene}/takes/{slot}/{take}/file",
    response_class=FileResponse,
    responses=file_responses("video/mp4", "image/png", "image/jpeg", "image/webp"),
    summary="Any take of a scene's clip or frame, selected or not (to compare them)",
)
async def take(
    project_id: ProjectId,
    scene: SceneNumber,
    slot: Literal["clip", "start", "end"],
    take: TakeNumber,
    session: SessionDep,
    settings: SettingsDep,
    range: RangeHeader = None,
) -> FileResponse:
    path = await artifacts.take_file(session, settings, project_id, scene - 1, slot, take)
    return send_file(path, "video/mp4" if slot == "clip" else None)


@router.get(
    "/lines/{scene}/{line}",
    response_class=FileResponse,
    responses=file_responses("audio/wav"),
    summary="A spoken line (scene's narration: line 0; dialogue: 1..n) as WAV",
)
async def spoken_line(
    project_id: ProjectId,
    scene: SceneNumber,
    line: Annotated[int, Path(ge=0, le=1000, description="0: narration; 1..n: dialogue"), Digits],
    session: SessionDep,
    settings: SettingsDep,
    range: RangeHeader = None,
) -> FileResponse:
    path = await artifacts.spoken_line(session, settings, project_id, scene - 1, line)
    return send_file(path, "audio/wav")


@router.get(
    "/subtitles.{kind}",
    response_class=FileResponse,
    responses=file_responses("text/vtt", "application/x-subrip"),
    summary="The final video's subtitles (WebVTT or SRT), from the lines' real placements",
)
async def subtitles(
    project_id: ProjectId,
    kind: Literal["vtt", "srt"],
    session: SessionDep,
    settings: SettingsDep,
    range: RangeHeader = None,
) -> FileResponse:
    path = await artifacts.subtitles(session, settings, project_id, kind)
    media = "text/vtt" if kind == "vtt" else "application/x-subrip"
    return send_file(path, media, filename=f"vidpipe-{project_id}.{kind}")


# HEAD answers like GET (download tools and media players ask it first): the same handler, so
# the same checks and headers; FileResponse leaves the body out. Kept out of the API
# description, where it would only repeat each GET under a clashing operation id.
for _route in [route for route in router.routes if isinstance(route, APIRoute)]:
    router.add_api_route(
        _route.path.removeprefix(router.prefix),
        _route.endpoint,
        methods=["HEAD"],
        response_class=FileResponse,
        include_in_schema=False,
    )
