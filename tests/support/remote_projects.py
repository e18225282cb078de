"""Projects made the way `generate` makes them, for pipeline tests with configured providers."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import PipelineRun, ProviderCall
from vidpipe.orchestrator.projects import (
    GenerateOptions,
    check_budget,
    check_capabilities,
    create_project,
    estimate_cost,
    generate_providers,
)
from vidpipe.providers.registry import load_registry

T = TypeVar("T")


def with_providers(settings: Settings, storyboard: str, image: str, video: str) -> Settings:
    return settings.model_copy(
        update={"storyboard_provider": storyboard, "image_provider": image, "video_provider": video}
    )


async def new_project(
    session: AsyncSession, settings: Settings, options: dict[str, Any]
) -> uuid.UUID:
    """Create a project the way `generate` does: capabilities and budget checked first."""
    merged = GenerateOptions.model_validate({"prompt": "a red fox in a snowy forest", **options})
    providers = generate_providers(load_registry(), settings, merged)
    check_capabilities(merged, providers)
    estimate = estimate_cost(merged, providers)
    check_budget(merged, estimate)
    return (await create_project(session, settings, merged, estimate)).id


async def spent(session: AsyncSession, project_id: uuid.UUID) -> float:
    """What the ledger says may have been billed: every attempt but the refused, cancelled or
    server_error ones."""
    total = await session.scalar(
        select(func.sum(ProviderCall.cost)).where(
            ProviderCall.project_id == project_id,
            ProviderCall.status.not_in(("refused", "cancelled", "server_error")),
        )
    )
    return float(total or 0)


async def ledger_rows(session: AsyncSession, project_id: uuid.UUID) -> list[ProviderCall]:
    """The project's ledger, oldest attempt first, as the database has it now."""
    return await _rows(session, ProviderCall, project_id, ProviderCall.created_at)


async def runs_of(session: AsyncSession, project_id: uuid.UUID) -> list[PipelineRun]:
    """The project's runs, oldest first, as the database has them now."""
    return await _rows(session, PipelineRun, project_id, PipelineRun.started_at)


async def _rows(
    session: AsyncSession, table: type[T], project_id: uuid.UUID, order: Any
) -> list[T]:
    query = (
        select(table)
        .where(table.project_id == project_id)  # type: ignore[attr-defined]
        .order_by(order)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(query))
