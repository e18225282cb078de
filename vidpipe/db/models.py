"""Tables. The database is the truth about progress; files are the truth about artifacts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    prompt: Mapped[str] = mapped_column(Text)
    style: Mapped[str] = mapped_column(String(64))
    aspect_ratio: Mapped[str] = mapped_column(String(8))
    resolution: Mapped[str] = mapped_column(String(8))
    clip_duration: Mapped[float] = mapped_column(Float)
    fps: Mapped[int] = mapped_column(Integer, default=24)
    requested_scenes: Mapped[int | None] = mapped_column(Integer)
    crossfade: Mapped[float] = mapped_column(Float, default=0.0)
    max_cost: Mapped[float | None] = mapped_column(Float)
    estimated_cost: Mapped[float | None] = mapped_column(Float)  # at creation, for spent vs plan
    storyboard_provider: Mapped[str] = mapped_column(String(64))
    image_provider: Mapped[str] = mapped_column(String(64))
    video_provider: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    style_guide: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    output_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Iterating: the inputs the final output was made from; a review gate to stop at;
    # where a paused project goes next; a stop asked of the lease holder; the project it forks.
    output_fingerprint: Mapped[str | None] = mapped_column(String(64))
    pause_after: Mapped[str | None] = mapped_column(String(16))  # "storyboard" | "keyframes"
    paused_before: Mapped[str | None] = mapped_column(String(16))
    stop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forked_from: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    storyboard_version: Mapped[int] = mapped_column(Integer, default=1)  # the ETag of edits
    # `--takes K`: each clip is made as K takes and the best by fidelity is selected
    takes_per_clip: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Queue mode: a job for the project waits in the queue since then; cleared when a
    # worker picks it up.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The model of each role when the user chose one (`generate --video-model P:M`); None: the
    # provider's configured model (VIDPIPE_GOOGLE_VIDEO_MODEL...).
    storyboard_model: Mapped[str | None] = mapped_column(String(128))
    image_model: Mapped[str | None] = mapped_column(String(128))
    video_model: Mapped[str | None] = mapped_column(String(128))
    # `generate --narration/--dialogue`: the storyboard writer fills those fields of each scene
    # (vidpipe.pipeline.sound_fields also reads the prompt).
    wants_narration: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    wants_dialogue: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Sound: narration voice, subtitles, music bed, loudness (vidpipe.sound_options.SoundOptions);
    # None: none of these (the final video is the stitched clips).
    sound_options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # `out_of_date` (idle, edited since it was made): the earliest stage `resume` must redo.
    stale_stage: Mapped[str | None] = mapped_column(String(16))

    scenes: Mapped[list[Scene]] = relationship(
        back_populates="project", order_by="Scene.scene_index", cascade="all, delete-orphan"
    )
    runs: Mapped[list[PipelineRun]] = relationship(
        back_populates="project", order_by="PipelineRun.started_at", cascade="all, delete-orphan"
    )
    ledger: Mapped[list[ProviderCall]] = relationship(
        order_by="ProviderCall.created_at", viewonly=True
    )
    references: Mapped[list[Reference]] = relationship(
        back_populates="project", order_by="Reference.name", cascade="all, delete-orphan"
    )
    audio: Mapped[list[AudioArtifact]] = relationship(
        order_by="(AudioArtifact.kind, AudioArtifact.scene_index, AudioArtifact.line_index)",
        cascade="all, delete-orphan",
    )


class Scene(Base):
    __tablename__ = "scenes"
    __table_args__ = (UniqueConstraint("project_id", "scene_index"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    scene_index: Mapped[int] = mapped_column(Integer)
    scene_description: Mapped[str] = mapped_column(Text)
    start_frame_prompt: Mapped[str] = mapped_column(Text)
    end_frame_prompt: Mapped[str] = mapped_column(Text)
    video_motion_prompt: Mapped[str] = mapped_column(Text)
    transition_notes: Mapped[str] = mapped_column(Text, default="")
    # `redo --end-frame/--start-frame --direction`: appended to that frame's prompt, once
    frame_direction: Mapped[str | None] = mapped_column(Text)
    # A keyframe request with a client-chosen id ("<slot>:<id>"), committed before it is sent so
    # that a run killed meanwhile collects it by id instead of sending it again.
    pending_frame_request: Mapped[str | None] = mapped_column(Text)
    # Names of the project's references that appear in this scene
    references: Mapped[list[str] | None] = mapped_column("reference_names", JSON, default=list)
    # Sound, all optional: spoken lines ({"speaker": ..., "line": ...}), a voice-over line, and
    # ambience/effects in words.
    dialogue: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=list)
    narration: Mapped[str] = mapped_column(Text, default="", server_default="")
    sound: Mapped[str] = mapped_column(Text, default="", server_default="")
    # `redo --scene N --clip --model P:M`: the scene's clip is made on this video model
    # ("provider:model") instead of the project's; None: the project's.
    video_model: Mapped[str | None] = mapped_column(String(200))
    # `--clip-duration auto`: this scene's clip length, sized to its spoken lines; None: the
    # project's clip_duration.
    clip_duration: Mapped[float | None] = mapped_column(Float)

    project: Mapped[Project] = relationship(back_populates="scenes")
    keyframes: Mapped[list[Keyframe]] = relationship(
        back_populates="scene", cascade="all, delete-orphan"
    )
    clip: Mapped[VideoClip | None] = relationship(
        back_populates="scene", cascade="all, delete-orphan", uselist=False
    )


def scene_texts(scene: Scene) -> dict[str, Any]:
    """A scene's storyboard texts, as the storyboard document and the project document both
    show them (lists copied, missing texts as empty)."""
    return {
        "scene_description": scene.scene_description,
        "start_frame_prompt": scene.start_frame_prompt,
        "end_frame_prompt": scene.end_frame_prompt,
        "video_motion_prompt": scene.video_motion_prompt,
        "transition_notes": scene.transition_notes,
        "references": list(scene.references or []),
        "dialogue": list(scene.dialogue or []),
        "narration": scene.narration or "",
        "sound": scene.sound or "",
    }


def clip_seconds(project: Project, scene: Scene) -> float:
    """How long the scene's clip is to be: its own length (`--clip-duration auto`) or the
    project's."""
    return scene.clip_duration or project.clip_duration


def keyframe_of(scene: Scene, position: str) -> Keyframe | None:
    """The scene's keyframe at `position` ("start" | "end"), if it has one."""
    return next((k for k in scene.keyframes if k.position == position), None)


class Keyframe(Base):
    """One image at one end of a scene. `inherited` rows share the previous scene's end file."""

    __tablename__ = "keyframes"
    __table_args__ = (UniqueConstraint("scene_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    scene_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scenes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[str] = mapped_column(String(8))  # "start" | "end"
    source: Mapped[str] = mapped_column(String(16))  # "generated" | "inherited"
    prompt: Mapped[str] = mapped_column(Text)
    file_path: Mapped[str] = mapped_column(Text)  # relative to the project folder
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Which take this is, the fingerprint of the inputs it stands for, its content
    # hash (an input of what is drawn or animated from it). None on rows made before fingerprints.
    take: Mapped[int] = mapped_column(Integer, default=1)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))

    scene: Mapped[Scene] = relationship(back_populates="keyframes")


class VideoClip(Base):
    __tablename__ = "video_clips"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    scene_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scenes.id", ondelete="CASCADE"), unique=True
    )
    # pending | submitting | submitted | submit_unknown | complete | failed | rai_filtered |
    # timed_out. `submitting`: being sent (its id, when client-chosen, is already stored);
    # `submit_unknown`: sent, answer lost; re-sent only with the user's consent.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    provider: Mapped[str] = mapped_column(String(64))
    operation_id: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(Text)  # relative to the project folder
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    has_audio: Mapped[bool | None] = mapped_column()
    error_message: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    take: Mapped[int] = mapped_column(Integer, default=1)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str | None] = mapped_column(Text)  # appended to the prompt, this take only
    # A round of takes (`--takes K`): how many this round makes (None: the project's K) and the
    # take numbers made so far (None: no round under way). The round ends by selecting the best.
    takes_wanted: Mapped[int | None] = mapped_column(Integer)
    round_takes: Mapped[list[int] | None] = mapped_column(JSON)
    # The key of its latest submission, on the ledger rows of that submission's attempts.
    submission: Mapped[str | None] = mapped_column(String(32))

    scene: Mapped[Scene] = relationship(back_populates="clip")


class PipelineRun(Base):
    __tablename__ = "pipeline_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total_duration_seconds: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    log: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    runner: Mapped[str | None] = mapped_column(String(200))

    project: Mapped[Project] = relationship(back_populates="runs")


class ProviderCall(Base):
    """The ledger: every attempt of a paid (or free) provider call, written before it is sent,
    with its cost. Only `refused` attempts are certainly not billed."""

    __tablename__ = "provider_calls"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pipeline_runs.id", ondelete="SET NULL")
    )
    step: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(64))
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # sent (written before the request left) | ok | failed | refused (not billed) | unknown
    status: Mapped[str] = mapped_column(String(16), default="ok")
    request: Mapped[str] = mapped_column(Text, default="")  # which request, e.g. "veo submit"
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)  # why an attempt failed or was refused
    # The provider's id of the request this attempt started (known once it answered), and the
    # clip submission it was made for (VideoClip.submission): how a request the service dropped,
    # or a submission stopped before it was sent, is settled as not billed.
    operation_id: Mapped[str | None] = mapped_column(Text)
    submission: Mapped[str | None] = mapped_column(String(32))


class Take(Base):
    """Every keyframe and clip ever made: files are never overwritten or deleted (but by
    `gc`); the scene's keyframe and clip rows point at the selected take."""

    __tablename__ = "takes"
    __table_args__ = (UniqueConstraint("project_id", "scene_index", "slot", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    scene_index: Mapped[int] = mapped_column(Integer)
    slot: Mapped[str] = mapped_column(String(8))  # "start" | "end" | "clip"
    number: Mapped[int] = mapped_column(Integer)
    file_path: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))  # "provider:model" that made it
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    direction: Mapped[str | None] = mapped_column(Text)
    fidelity: Mapped[float | None] = mapped_column(Float)  # dB: first/last frame vs keyframes
    auto_selected: Mapped[bool | None] = mapped_column()  # picked by fidelity out of K takes
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    has_audio: Mapped[bool | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the take was made from: its prompt (a frame's, or a clip's motion prompt), and for a
    # clip {"start": hash, "end": hash, "duration": s} of the frames it animates. None: older.
    prompt: Mapped[str | None] = mapped_column(Text)
    made_from: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Worker(Base):
    """A live `vidpipe worker`: registered at start, heartbeat while it runs."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid:nonce
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    concurrency: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_heartbeat: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reference(Base):
    """A reference image of a project: a character or object to keep the same in every
    scene that lists it. The file sits in the project folder under its content hash."""

    __tablename__ = "project_references"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    file_path: Mapped[str] = mapped_column(Text)  # relative to the project folder
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    # "user", or the provider that described the image
    description_source: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="references")


class AudioArtifact(Base):
    """A spoken line (`kind` "line": a scene's narration is line 0, its dialogue lines 1..n) or
    the project's mix ("mix", scene -1): a file in the project folder, named by its fingerprint
    (files are never overwritten), with what it was made from. The row points at the current
    file; older ones stay until `gc`."""

    __tablename__ = "audio_artifacts"
    __table_args__ = (UniqueConstraint("project_id", "kind", "scene_index", "line_index"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # "line" | "mix"
    scene_index: Mapped[int] = mapped_column(Integer)
    line_index: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str | None] = mapped_column(String(64))  # dialogue: who speaks
    text: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(64))
    voice: Mapped[str] = mapped_column(String(64))
    speed: Mapped[float] = mapped_column(Float)
    fingerprint: Mapped[str] = mapped_column(String(64))
    file_path: Mapped[str] = mapped_column(Text)  # relative to the project folder
    content_hash: Mapped[str] = mapped_column(String(64))
    duration_seconds: Mapped[float] = mapped_column(Float)
    start_seconds: Mapped[float | None] = mapped_column(Float)  # in the final video, when mixed
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # mix: measured loudness
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginSession(Base):
    """A web page login (token mode), shared by every server on this database. Only digests are
    kept: a dump of the table holds no usable cookie, and a row is valid only under the token it
    was made with (`token_mac`), so changing the token ends every session."""

    __tablename__ = "login_sessions"

    id_digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the id
    token_mac: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256(token, id_digest)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
