"""Database: models, engine and session factory, migrations."""

from vidpipe.db.models import Base, Keyframe, PipelineRun, Project, ProviderCall, Scene, VideoClip

__all__ = ["Base", "Keyframe", "PipelineRun", "Project", "ProviderCall", "Scene", "VideoClip"]
