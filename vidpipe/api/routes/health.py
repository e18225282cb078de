"""GET /api/health: the server is up, its database answers, and which workers are live;
no token needed."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from vidpipe import __version__
from vidpipe.api.deps import RunnerDep, SessionDep, SettingsDep
from vidpipe.api.schemas import Health
from vidpipe.orchestrator.report import workers_document

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness and database check")
async def health(session: SessionDep, settings: SettingsDep, runner: RunnerDep) -> Health:
    await session.execute(text("SELECT 1"))
    return Health(
        status="ok",
        version=__version__,
        execution=settings.execution,
        workers=await workers_document(session, settings),
        runs_active=runner.active_count,
        runs_running=runner.running_count,
        max_runs=settings.api_max_runs,
    )
