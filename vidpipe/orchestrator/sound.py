"""A new project's sound options: the narration voice, subtitles, music bed and loudness.

The music file is checked before anything is written (any audio ffmpeg can read) and copied into
the project folder under its content hash, so the project keeps working if the user's file moves
and a different file is a different mix.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidpipe.config import Settings
from vidpipe.db.models import AudioArtifact, Project
from vidpipe.errors import BadInputError
from vidpipe.pipeline.fingerprints import bytes_hash, file_hash
from vidpipe.pipeline.sound import AUDIO
from vidpipe.providers.base import ProviderSet
from vidpipe.sound_options import SoundOptions
from vidpipe.storage import OUTPUT, ProjectStorage

MAX_MUSIC_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class MusicFile:
    path: Path
    content_hash: str
    duration: float
    name: str | None = None  # the file name the user gave it, shown instead of the stored one


def check_music(path: str | Path, label: str | None = None) -> MusicFile:
    """A readable audio file, or BadInputError about the field `music` (named `label`, else by
    its path)."""
    file = Path(path).expanduser()
    label = label or str(path)
    if not file.exists():
        raise BadInputError(f"{label}: no such file", field="music")
    if not file.is_file():
        raise BadInputError(f"{label}: not a file", field="music")
    if file.stat().st_size > MAX_MUSIC_BYTES:
        raise BadInputError(f"{label}: larger than 200 MB", field="music")
    duration, _ = _decode_audio(file, label)
    return MusicFile(file, file_hash(file), duration, file.name)


def _decode_audio(file: Path, label: str) -> tuple[float, str]:
    """Its duration in seconds and ffmpeg's name of its format, read by decoding its header."""
    import av  # here: only a project with music needs it

    try:
        with av.open(str(file)) as container:
            if not container.streams.audio:
                raise BadInputError(f"{label}: it has no audio stream", field="music")
            stream = container.streams.audio[0]
            duration = (
                float(stream.duration * stream.time_base)
                if stream.duration is not None and stream.time_base is not None
                else float(container.duration or 0) / 1_000_000
            )
            kind = str(container.format.name).split(",")[0]
    except av.FFmpegError as exc:  # its words only: the message names no path on this machine
        reason = exc.strerror or type(exc).__name__
        raise BadInputError(
            f"{label}: not audio ffmpeg can read ({reason})", field="music"
        ) from None
    if duration <= 0:
        raise BadInputError(f"{label}: it lasts no time", field="music")
    return duration, kind


MUSIC_UPLOADS = "uploads/music"  # under the data directory: uploaded music beds
MAX_MUSIC_UPLOAD_BYTES = 50 * 1024 * 1024  # what the API and the page take (the CLI: 200 MB)
_MUSIC_ID = re.compile(r"[0-9a-f]{40}")
_KINDS = {"mp3": "mp3", "wav": "wav", "ogg": "ogg", "flac": "flac", "mov": "m4a", "aac": "aac"}
NAME_SUFFIX = ".name"  # beside an upload: the file name it was uploaded with
MAX_NAME_CHARS = 200


def shown_name(filename: str | None) -> str | None:
    """The name a user gave an uploaded file, as it may be shown: its last path part (a browser
    may send a Windows path), without control characters, at most 200 characters."""
    if not filename:
        return None
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()[:MAX_NAME_CHARS]
    return cleaned or None


class MusicPool:
    """Uploaded music beds waiting to be named by a project (POST /api/music, the New video
    form). Kept once per content, the id is the content hash; a file that is not audio is
    refused and nothing is kept. The name it was uploaded with is kept beside it
    (`<id>.name`; the latest upload of the same content names it), so a project shows it."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / MUSIC_UPLOADS

    def add(self, data: bytes, label: str = "music", name: str | None = None) -> MusicFile:
        if len(data) > MAX_MUSIC_UPLOAD_BYTES:
            raise BadInputError(f"{label}: larger than 50 MiB", field="music")
        self.root.mkdir(parents=True, exist_ok=True)
        # unique per call: the same file may be uploaded by two requests at once
        tmp = self.root / f".{os.getpid()}.{uuid.uuid4().hex}.part"
        try:
            tmp.write_bytes(data)
            duration, kind = _decode_audio(tmp, label)
            content_hash = bytes_hash(data)
            target = self.root / f"{content_hash}.{_KINDS.get(kind, 'audio')}"
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        name = shown_name(name)
        if name is not None:
            named = self.root / f".{os.getpid()}.{uuid.uuid4().hex}.name.part"
            named.write_text(name, encoding="utf-8")
            os.replace(named, self.root / f"{content_hash}{NAME_SUFFIX}")
        return MusicFile(target, content_hash, duration, name)

    def get(self, upload_id: str, label: str = "music") -> MusicFile:
        """The music of an upload id; an unknown id is bad input."""
        if _MUSIC_ID.fullmatch(upload_id):
            for path in self.root.glob(f"{upload_id}.*"):
                if path.suffix == NAME_SUFFIX:
                    continue
                duration, _ = _decode_audio(path, label)
                return MusicFile(path, upload_id, duration, self.name_of(upload_id))
        raise BadInputError(f"no uploaded music with id {upload_id!r}", field="music")

    def name_of(self, upload_id: str) -> str | None:
        """The name an upload was given; None for an unknown id or one uploaded without."""
        if not _MUSIC_ID.fullmatch(upload_id):
            return None
        try:
            return shown_name((self.root / f"{upload_id}{NAME_SUFFIX}").read_text("utf-8"))
        except (OSError, UnicodeDecodeError):
            return None  # uploaded without a name (or the name was collected): none is shown


def new_sound_options(
    settings: Settings,
    *,
    subtitles: str = "off",
    loudness: float = -14.0,
    auto_duration: bool = False,
    providers: ProviderSet | None = None,
) -> SoundOptions:
    """The options of a new project: the configured voice, and whether dialogue is spoken by it
    (not when the video model speaks the dialogue itself)."""
    # a model with its own sound speaks the dialogue put into its prompt
    speaks = bool(providers is not None and providers.video.makes_audio())
    return SoundOptions(
        narration_provider=settings.narration_provider,
        voice=settings.narration_voice,
        speed=settings.narration_speed,
        voice_dialogue=not speaks,
        subtitles=subtitles,
        loudness=loudness,
        auto_duration=auto_duration,
    )


def attach_music(project: Project, storage: ProjectStorage, music: MusicFile) -> None:
    """Copy the music into the project folder and name it in the project's sound options."""
    extension = music.path.suffix.lower().lstrip(".")[:8] or "audio"
    relative = f"{AUDIO}/music-{music.content_hash[:16]}.{extension}"
    target = storage.resolve(relative)
    if not target.is_file():
        storage.write_bytes(relative, music.path.read_bytes())
    options = SoundOptions.model_validate(project.sound_options or {})
    options.music, options.music_hash, options.music_name = (
        relative,
        music.content_hash,
        music.name,
    )
    project.sound_options = options.model_dump(mode="json")


AUTO_MIN_SECONDS = 4.0  # `--clip-duration auto`: the shortest scene


def clip_duration_option(text: str) -> tuple[float, bool]:
    """A clip duration as typed: seconds, or `auto` (each scene sized to its spoken lines)."""
    if text.strip().lower() == "auto":
        return AUTO_MIN_SECONDS, True
    try:
        return float(text), False
    except ValueError:
        raise BadInputError(
            f"{text!r}; give seconds (e.g. 4) or auto", field="clip_duration"
        ) from None


def edit_sound(
    project: Project, storage: ProjectStorage, edit: Any, music: MusicFile | None
) -> None:
    """`edit --subtitles/--loudness/--music`: new sound options. The final video's fingerprint
    holds them, so the project goes back to the stitch: a re-mix (loudness, music) or only a
    re-mux (subtitles); no clip or keyframe is made again."""
    options = SoundOptions.model_validate(project.sound_options or {})
    subtitles = getattr(edit, "subtitles", None)
    loudness = getattr(edit, "loudness", None)
    if subtitles is None and loudness is None and music is None:
        return
    if subtitles is not None:
        options.subtitles = subtitles
    if loudness is not None:
        options.loudness = loudness
    project.sound_options = options.model_dump(mode="json")
    if music is not None:
        attach_music(project, storage, music)


def fork_sound(original: Project, twin: Project, storage: ProjectStorage, session: Any) -> set[str]:
    """A fork keeps the original's spoken lines, mix, music and joined picture: their rows are
    copied and their files (returned, relative) linked, so it speaks nothing again."""
    files: set[str] = set()
    for row in original.audio:
        session.add(
            AudioArtifact(
                project_id=twin.id,
                **{column: getattr(row, column) for column in _AUDIO_COLUMNS},
            )
        )
        files.add(row.file_path)
    options = SoundOptions.model_validate(original.sound_options or {})
    if options.music:
        files.add(options.music)
    pictures = storage.root / OUTPUT
    files |= {f"{OUTPUT}/{p.name}" for p in pictures.glob("picture-*.mp4") if p.is_file()}
    return {name for name in files if _is_file(storage, name)}


_AUDIO_COLUMNS = (
    "kind", "scene_index", "line_index", "speaker", "text", "provider", "voice", "speed",
    "fingerprint", "file_path", "content_hash", "duration_seconds", "start_seconds", "details",
)  # fmt: skip


def _is_file(storage: ProjectStorage, relative: str) -> bool:
    try:
        return storage.resolve(relative).is_file()
    except ValueError:
        return False
