"""Generate: check the options against the configured providers, the references and the budget
before anything is written; then create the project and hand it to the runner.

Two steps, because a door may ask for consent to the estimate between them (the CLI's prompt);
`generate` does both for doors that do not ask (the API, the page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from vidpipe.config import Settings
    from vidpipe.db.models import Project
    from vidpipe.orchestrator.projects import GenerateOptions
    from vidpipe.orchestrator.references import ReferenceSpec
    from vidpipe.orchestrator.sound import MusicFile
    from vidpipe.providers.base import ProviderSet
    from vidpipe.providers.registry import ProviderRegistry
    from vidpipe.runners.base import Runner


@dataclass
class CheckedGenerate:
    """Options that passed every check, with what the checks found."""

    options: GenerateOptions
    references: list[ReferenceSpec]
    estimate: float
    warnings: list[str] = field(default_factory=list)
    providers: ProviderSet | None = None  # the project's sound options ask its video provider
    music: MusicFile | None = None  # `--music`, checked (readable audio)


async def check_generate(
    settings: Settings,
    registry: ProviderRegistry,
    options: GenerateOptions,
    extra_references: Sequence[ReferenceSpec] = (),
    *,
    music: Path | None = None,
) -> CheckedGenerate:
    """Capabilities, references, music, estimate, budget, provider setup; writes nothing.

    `extra_references` are images the door has read itself (the CLI's --reference files); the
    options' own references (upload ids) are resolved here, and so is the options' music (an
    upload id). `music`: a file on this machine (the CLI's --music), checked to be audio ffmpeg
    reads."""
    from vidpipe.orchestrator.projects import (
        check_budget,
        check_capabilities,
        check_provider_setup,
        estimate_cost,
        generate_providers,
        reference_specs,
        reference_warnings,
    )
    from vidpipe.orchestrator.sound import MusicPool, check_music

    music_file = check_music(music) if music is not None else None
    if options.music is not None:
        music_file = MusicPool(settings.data_dir).get(options.music)
    references = reference_specs(options, settings, list(extra_references))
    # the models chosen for this video (or the configured ones), refused when shut down,
    # unknown or of another role
    providers = generate_providers(registry, settings, options)
    check_capabilities(options, providers)
    estimate = estimate_cost(options, providers, references)
    check_budget(options, estimate)
    await check_provider_setup(providers)
    warnings = reference_warnings(references, providers)
    return CheckedGenerate(options, references, estimate, warnings, providers, music_file)


async def start_generate(
    session: AsyncSession, settings: Settings, checked: CheckedGenerate, runner: Runner | None
) -> Project:
    """Create the project and hand it to the runner (None: only create it)."""
    from vidpipe.orchestrator.projects import create_project

    project = await create_project(
        session,
        settings,
        checked.options,
        checked.estimate,
        checked.references,
        providers=checked.providers,
        music=checked.music,
    )
    if runner is not None:
        await runner.enqueue(project.id)
    return project


async def generate(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner,
    options: GenerateOptions,
) -> tuple[Project, CheckedGenerate]:
    """Check, create, run (or queue): the whole use case for doors that ask no consent."""
    checked = await check_generate(settings, registry, options)
    project = await start_generate(session, settings, checked, runner)
    return project, checked


__all__ = ["CheckedGenerate", "check_generate", "generate", "start_generate"]
