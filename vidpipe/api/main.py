"""Assembles the FastAPI app: lifespan (database, background runner), auth, errors, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from vidpipe import __version__, web
from vidpipe.api.auth import RequireToken, api_token, require_token
from vidpipe.api.docs import install_docs
from vidpipe.api.errors import install_error_handlers
from vidpipe.api.guards import RefuseBadJson, install_guards
from vidpipe.api.offload import off_loop, warm_up
from vidpipe.api.openapi import describing_capabilities
from vidpipe.api.routes import (
    estimate,
    events,
    files,
    health,
    iterate,
    models,
    music,
    projects,
    references,
)
from vidpipe.api.schemas import UNAUTHORIZED, Responses
from vidpipe.api.sessions import LoginThrottle, SessionStore
from vidpipe.config import Settings
from vidpipe.db.engine import open_database
from vidpipe.providers.registry import ProviderRegistry, load_registry
from vidpipe.runners.background import Execute, background_runner

DESCRIPTION = """\
One text prompt in, a finished multi-scene MP4 out. `POST /api/generate` answers 202 at once;
the run goes on in this server's background pool. Poll `/status`, or stream `/events`.

Ids are full UUIDs. When `VIDPIPE_API_TOKEN` is set every endpoint but `/api/health` needs
`Authorization: Bearer <token>`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    registry: ProviderRegistry | None = None,
    execute: Execute | None = None,
) -> FastAPI:
    """The app. `execute` replaces how a queued project is run (tests make it cheap)."""
    settings = settings or Settings()
    registry = registry or load_registry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the configured providers must exist before the first request is accepted
        registry.build(
            settings, settings.storyboard_provider, settings.image_provider, settings.video_provider
        )
        await off_loop(settings.cpu_workers, warm_up)
        async with open_database(settings.effective_database_url) as sessions:
            app.state.sessions = sessions
            app.state.web_sessions.attach(sessions)
            if token:
                await app.state.web_sessions.purge()
            if settings.execution == "queue":  # workers run projects; we enqueue
                from vidpipe.runners.queue import QueueRunner, make_app

                queue = make_app(settings)
                async with queue.open_async():
                    app.state.runner = queued = QueueRunner(queue, sessions)
                    async with queued.relaying():  # the workers' live progress
                        yield
                return
            async with background_runner(sessions, settings, registry, execute=execute) as runner:
                app.state.runner = runner
                yield

    app = FastAPI(
        title="vidpipe",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local files by install_docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.registry = registry
    install_error_handlers(app)

    token = api_token(settings)
    app.state.web_sessions = SessionStore(token or "", settings.session_hours * 3600)
    app.state.login_throttle = LoginThrottle(settings.login_attempts)
    # with a token every router below needs it, and its schema says so
    deps = [Depends(require_token)] if token else None
    responses: Responses | None = UNAUTHORIZED if token else None
    app.add_middleware(RefuseBadJson)  # inside RequireToken: a body's refusal comes after 401
    if token:
        app.add_middleware(RequireToken, token=token, throttle=app.state.login_throttle)
    app.include_router(health.router)
    app.include_router(projects.router, dependencies=deps, responses=responses)
    app.include_router(files.router, dependencies=deps, responses=responses)
    app.include_router(events.router, dependencies=deps, responses=responses)
    app.include_router(estimate.router, dependencies=deps, responses=responses)
    app.include_router(iterate.router, dependencies=deps, responses=responses)
    app.include_router(references.router, dependencies=deps, responses=responses)
    app.include_router(music.router, dependencies=deps, responses=responses)
    app.include_router(models.router, dependencies=deps, responses=responses)
    install_docs(app)
    web.install(app)  # the page at /; its routes sit behind the same token
    app.openapi = describing_capabilities(app, settings, registry)  # type: ignore[method-assign]
    install_guards(app, settings)  # outermost: the Host check comes before anything else
    return app
