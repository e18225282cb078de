"""Dependencies shared by the routes: settings, a database session, the runner, the project.

All are `async def`: FastAPI runs a plain `def` dependency in its threadpool, a thread hop per
dependency per request that /status polling cannot afford.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.errors import ProjectNotFoundError
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.runners.base import Runner


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_registry(request: Request) -> ProviderRegistry:
    return request.app.state.registry


async def get_runner(request: Request) -> Runner:
    return request.app.state.runner


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[ProviderRegistry, Depends(get_registry)]
RunnerDep = Annotated[Runner, Depends(get_runner)]
# Closed when the handler returns, before the body is sent: a file download or an event stream
# never holds a database connection (or a SQLite read transaction) open.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    return request.app.state.sessions


SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]

ProjectId = Annotated[
    uuid.UUID,
    Path(description="The project's full id (a UUID, as `generate` and the list return it)."),
]


async def get_project(project_id: ProjectId, session: SessionDep) -> Project:
    """The project row alone (no scenes): cheap enough for polling."""
    project = await session.get(Project, project_id, populate_existing=True)
    if project is None:
        raise ProjectNotFoundError(f"no project with id {project_id}")
    return project


ProjectDep = Annotated[Project, Depends(get_project)]
