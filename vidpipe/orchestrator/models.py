"""The provider and model of each role, per project and per take.

A project stores the providers it was made with and, when the user chose one (`generate
--video-model google:veo-3.1-fast-generate-001`, `edit --video-model …`), the model; a scene may
carry its own video model (`redo --scene N --clip --model …`). Providers read their model from
Settings, so a project's providers are built from a copy of the settings with its models set:
the model is in each provider's options and so in every fingerprint (a new model makes exactly
the artifacts it draws stale).

Every door calls `choose_models` (generate, fork, edit) or `check_choice` (redo) in one line;
they refuse a shut-down, unknown or role-mismatched id with one line naming the closest ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, UnknownProviderError
from vidpipe.providers.base import Provider, ProviderSet, VideoProvider
from vidpipe.providers.catalog import (
    ModelChoice,
    check_model,
    configured_model,
    load_catalog,
    model_setting,
    parse_choice,
)

if TYPE_CHECKING:
    from vidpipe.db.models import Project, Scene
    from vidpipe.providers.registry import ProviderRegistry

ROLES = ("storyboard", "image", "video")


@dataclass(frozen=True)
class RoleModel:
    """One role's provider and model (None: the provider's configured model)."""

    provider: str
    model: str | None = None

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.model}" if self.model else self.provider


@dataclass(frozen=True)
class ProjectModels:
    storyboard: RoleModel
    image: RoleModel
    video: RoleModel

    def of(self, role: str) -> RoleModel:
        return getattr(self, role)


def check_choice(text: str, role: str, *, field: str | None = None) -> RoleModel:
    """`PROVIDER[:MODEL]` checked against the catalog for `role` (BadInputError otherwise).
    A refusal carries the field (by default `video_model` for the video role), which each door
    names its own way (`--video-model`, a `loc`)."""
    field = field or f"{role}_model"
    try:
        choice: ModelChoice = parse_choice(text)
        _check_provider(choice.provider, role)
        check_model(choice.provider, choice.model, role)
    except BadInputError as exc:
        raise BadInputError(str(exc), field=field) from None
    if choice.model is not None and model_setting(choice.provider, role) is None:
        known = load_catalog().entries(role=role, provider=choice.provider)
        if len(known) > 1:  # the provider could not be told which one: refuse, never ignore
            reason = (
                f"the {choice.provider} provider takes its {role} model from its settings only; "
                f"write {choice.provider} alone"
            )
            raise BadInputError(reason, field=field)
    return RoleModel(choice.provider, choice.model)


def _check_provider(provider: str, role: str) -> None:
    """A provider no one registered for `role` is refused here, as the option's problem; later
    the registry would name the VIDPIPE_<ROLE>_PROVIDER setting, which the user did not set."""
    from vidpipe.providers.base import Role
    from vidpipe.providers.registry import load_registry

    load_registry().check_known(Role(role), provider)


def check_configured(settings: Settings, provider: str, role: str) -> None:
    """The model the settings give `provider` in `role` is not shut down (nor unknown)."""
    model = configured_model(settings, provider, role)
    setting = model_setting(provider, role)
    check_model(provider, model, role, option=f"VIDPIPE_{setting.upper()}" if setting else None)


def choose_models(
    settings: Settings,
    *,
    storyboard: str | None = None,
    image: str | None = None,
    video: str | None = None,
) -> ProjectModels:
    """The providers and models of a new project: each `--<role>-model` given, else the
    configured provider with its configured model; all checked before anything is written."""
    given = {"storyboard": storyboard, "image": image, "video": video}
    chosen: dict[str, RoleModel] = {}
    for role in ROLES:
        text = given[role]
        if text:
            chosen[role] = check_choice(text, role)
            if chosen[role].model is None:
                check_configured(settings, chosen[role].provider, role)
        else:
            provider = str(getattr(settings, f"{role}_provider"))
            check_configured(settings, provider, role)
            chosen[role] = RoleModel(provider)
    return ProjectModels(**chosen)


def project_models(project: Project) -> ProjectModels:
    """What a stored project uses (columns absent on old rows: the configured models)."""
    return ProjectModels(
        storyboard=RoleModel(project.storyboard_provider, project.storyboard_model),
        image=RoleModel(project.image_provider, project.image_model),
        video=RoleModel(project.video_provider, project.video_model),
    )


def settings_for(
    settings: Settings, models: ProjectModels | list[tuple[str, RoleModel]]
) -> Settings:
    """A copy of `settings` whose model settings name the chosen models."""
    pairs = (
        [(role, models.of(role)) for role in ROLES] if isinstance(models, ProjectModels) else models
    )
    update: dict[str, object] = {}
    for role, chosen in pairs:
        name = model_setting(chosen.provider, role) if chosen.model else None
        if name is not None:
            update[name] = chosen.model
    return settings.model_copy(update=update) if update else settings


def build_providers(
    registry: ProviderRegistry,
    settings: Settings,
    models: ProjectModels,
    *,
    chosen: Iterable[str] = (),
) -> ProviderSet:
    """The providers of a project (or of a project about to be made). `chosen`: the roles whose
    model the request named; a provider that cannot be made for one of them (a name no provider
    has, a key not set) is refused as that request's `<role>_model` field, so that a client or
    the page shows it at the model it chose rather than as a problem of the whole request."""
    tuned = settings_for(settings, models)
    try:
        return registry.build(
            tuned, models.storyboard.provider, models.image.provider, models.video.provider
        )
    except BadInputError as exc:
        if exc.field is None:
            _blame_chosen(registry, tuned, models, chosen)
        raise


def _blame_chosen(
    registry: ProviderRegistry, settings: Settings, models: ProjectModels, chosen: Iterable[str]
) -> None:
    """Raise the refusal of the first chosen role whose provider cannot be made alone."""
    for role in chosen:
        check_buildable(registry, settings, role, models.of(role), field=f"{role}_model")


def check_buildable(
    registry: ProviderRegistry, settings: Settings, role: str, chosen: RoleModel, *, field: str
) -> None:
    """The provider of a model a request chose can be made here (it exists, its key or server
    is set); refused as `field` otherwise, before anything is written."""
    from vidpipe.providers.base import Role

    registry.check_known(Role(role), chosen.provider, field=field)
    try:
        registry.get(Role(role), chosen.provider)(settings_for(settings, [(role, chosen)]))
    except BadInputError as exc:
        raise BadInputError(str(exc), field=field) from None


def build_project_providers(
    registry: ProviderRegistry, settings: Settings, project: Project
) -> ProviderSet:
    """The project's providers, with the video provider of each scene that has its own model.

    A provider the project was made with that is not installed here is named as the project's:
    the VIDPIPE_<ROLE>_PROVIDER settings choose the providers of new projects only."""
    models = project_models(project)
    try:
        providers = build_providers(registry, settings, models)
        add_narrator(registry, settings, project, providers)
        for scene in project.scenes:
            own = scene_video_model(scene)
            if own is not None and own != models.video:
                providers.scene_video[scene.scene_index] = video_provider(registry, settings, own)
    except UnknownProviderError as exc:
        raise UnknownProviderError(
            exc.role,
            exc.name,
            exc.known,
            f"this project was made with it: install the plugin that provides it (the "
            f"VIDPIPE_{exc.role.upper()}_PROVIDER setting chooses for new projects only)",
        ) from None
    return providers


def estimate_providers(
    registry: ProviderRegistry, settings: Settings, texts: dict[str, str | None]
) -> ProviderSet:
    """For an estimate only, when `build_providers` refused: each role's provider where it can
    be made here, else a stand-in priced from the model's catalog entry (a key not set, a shut
    down model), so a paid model that cannot run yet is still priced, never shown as free. A
    model the catalog does not know has no price: the configured provider's stands in."""
    from vidpipe.providers.base import ImageProvider, StoryboardProvider

    found = {role: _priced(registry, settings, role, texts.get(role)) for role in ROLES}
    storyboard, image, video = found["storyboard"], found["image"], found["video"]
    assert isinstance(storyboard, StoryboardProvider) and isinstance(image, ImageProvider)
    assert isinstance(video, VideoProvider)
    return ProviderSet(storyboard=storyboard, image=image, video=video)


def _priced(
    registry: ProviderRegistry, settings: Settings, role: str, text: str | None
) -> Provider:
    from vidpipe.providers.base import Role
    from vidpipe.providers.stand_in import stand_in

    configured = str(getattr(settings, f"{role}_provider"))
    for given in ([text] if text else []) + [configured]:
        try:
            chosen = check_choice(given, role)
            return registry.get(Role(role), chosen.provider)(
                settings_for(settings, [(role, chosen)])
            )
        except BadInputError:
            pass
        try:
            choice = parse_choice(given)
        except BadInputError:
            continue
        model = choice.model or configured_model(settings, choice.provider, role)
        entry = load_catalog().find(choice.provider, model) if model else None
        if entry is not None and entry.role == role:
            return stand_in(settings, entry)
    raise BadInputError(f"no {role} provider can be priced here", field=f"{role}_model")


def add_narrator(
    registry: ProviderRegistry, settings: Settings, project: Project, providers: ProviderSet
) -> None:
    """The provider that speaks the project's lines, once it has lines to speak (a project
    without lines never loads a voice; a first run gets one when its storyboard is written)."""
    from vidpipe.pipeline.sound import narration_provider

    speaker = narration_provider(project)  # None: the project speaks no lines
    if speaker is not None and providers.narration is None:
        providers.narration = registry.narrator(settings, speaker)


def video_provider(
    registry: ProviderRegistry, settings: Settings, chosen: RoleModel
) -> VideoProvider:
    from vidpipe.providers.base import Role

    cls = registry.get(Role.VIDEO, chosen.provider)
    provider = cls(settings_for(settings, [("video", chosen)]))
    assert isinstance(provider, VideoProvider)
    return provider


def scene_video_model(scene: Scene) -> RoleModel | None:
    """The video model a scene's clip is made with, when it is not the project's."""
    text = scene.video_model
    if not text:
        return None
    provider, _, model = text.partition(":")
    return RoleModel(provider, model or None)


def refuse_unknown_role(role: str) -> None:
    if role not in ROLES:
        raise BadInputError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
