"""The local screenwriter: the prompt's own words, an arc, a chained storyboard, deterministic."""

from __future__ import annotations

import re

import pytest

from vidpipe.config import Settings
from vidpipe.providers.base import Role, StoryboardRequest
from vidpipe.providers.local import (
    PROVIDERS,
    LocalImageProvider,
    LocalStoryboardProvider,
    LocalVideoProvider,
)
from vidpipe.providers.local.screenwriter import write_storyboard
from vidpipe.providers.local.words import COLOR_WORDS, content_words

HEX = re.compile(r"^#[0-9A-F]{6}$")


def request(prompt: str, style: str = "cinematic", scenes: int | None = None) -> StoryboardRequest:
    return StoryboardRequest(
        prompt=prompt, style=style, aspect_ratio="16:9", clip_duration=4.0, scene_count=scenes
    )


def test_registry_exports_one_provider_per_role() -> None:
    from vidpipe.providers.local import LocalNarrationProvider

    assert PROVIDERS == [
        LocalStoryboardProvider,
        LocalImageProvider,
        LocalVideoProvider,
        LocalNarrationProvider,
    ]
    assert {p.provider_id for p in PROVIDERS} == {"local"}
    assert [p.role for p in PROVIDERS] == [Role.STORYBOARD, Role.IMAGE, Role.VIDEO, Role.NARRATION]
    assert not any(p.needs_key for p in PROVIDERS)


async def test_provider_is_deterministic(tmp_path) -> None:
    provider = LocalStoryboardProvider(Settings(data_dir=tmp_path))
    req = request("A lone astronaut walks across a red desert at sunset")
    first = await provider.write_storyboard(req)
    second = await provider.write_storyboard(req)
    assert first.model_dump() == second.model_dump()


def test_prompt_words_in_every_scene() -> None:
    prompt = "A lighthouse keeper watches a storm roll over the ocean"
    words = content_words(prompt)
    assert {"lighthouse", "keeper", "storm", "ocean"} <= set(words)
    board = write_storyboard(request(prompt, scenes=5))
    for scene in board.scenes:
        for text in (scene.scene_description, scene.start_frame_prompt, scene.end_frame_prompt):
            missing = [w for w in words if w not in text.lower()]
            assert not missing, (missing, text)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 20])
def test_scene_count_is_honoured(count: int) -> None:
    board = write_storyboard(request("a fox in a snowy forest", scenes=count))
    assert len(board.scenes) == count


def test_writer_chooses_three_to_five_scenes() -> None:
    prompts = [f"a journey number {i} through the mountains" for i in range(12)]
    counts = {len(write_storyboard(request(p)).scenes) for p in prompts}
    assert counts <= {3, 4, 5}
    assert len(counts) > 1  # chosen from the prompt, not fixed


def test_arc_and_chain() -> None:
    board = write_storyboard(request("a city wakes up at dawn", scenes=5))
    beats = [s.scene_description.split(":")[0] for s in board.scenes]
    assert beats == ["Establishing", "Development", "Development", "Climax", "Resolution"]
    for previous, scene in zip(board.scenes, board.scenes[1:], strict=False):
        assert previous.end_frame_prompt in scene.start_frame_prompt
    assert "fade out" in board.scenes[-1].transition_notes
    assert all(s.video_motion_prompt for s in board.scenes)


@pytest.mark.parametrize(
    "style", ["cinematic", "anime", "watercolor", "noir", "documentary", "pixel art", "claymation"]
)
def test_style_guide_follows_style(style: str) -> None:
    guide = write_storyboard(request("a quiet harbour", style=style)).style_guide
    assert style in guide.visual_style.lower()
    assert 4 <= len(guide.color_palette) <= 6
    assert all(HEX.match(c) for c in guide.color_palette), guide.color_palette
    assert len(set(guide.color_palette)) == len(guide.color_palette)
    assert guide.camera_style


def test_style_aliases_map_to_known_looks() -> None:
    guide = write_storyboard(request("a boy and his dog", style="Studio Ghibli")).style_guide
    assert "cel shading" in guide.visual_style
    assert "Studio Ghibli" in guide.visual_style


@pytest.mark.parametrize("word", ["red", "golden", "blue", "night", "sunset", "forest", "ocean"])
def test_colour_words_shape_the_palette(word: str) -> None:
    palette = write_storyboard(
        request(f"a {word} landscape with a tower")
    ).style_guide.color_palette
    assert COLOR_WORDS[word][0] in palette


def test_palette_without_colour_words_depends_on_style_and_prompt() -> None:
    palettes = {
        tuple(write_storyboard(request(f"story {i}", style=s)).style_guide.color_palette)
        for i in range(6)
        for s in ("cinematic", "noir")
    }
    assert len(palettes) >= 3


def test_odd_prompts_still_give_a_valid_storyboard() -> None:
    for prompt in ["it", "!!!", "x" * 10, "word " * 800]:
        board = write_storyboard(request(prompt))
        assert 3 <= len(board.scenes) <= 5
        assert all(s.start_frame_prompt and s.end_frame_prompt for s in board.scenes)
