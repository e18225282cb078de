"""A rule-based screenwriter: the prompt's own words, arranged into a dramatic arc.

Deterministic for the same request, offline and instant. The words it chooses for light and camera
("pushed in closer", "golden light", "stars", "pans right") are the ones the local image and clip
renderers react to, so a storyboard from here renders into pictures that follow it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vidpipe.providers.base import (
    DialogueLine,
    ReferenceNote,
    SceneSpec,
    Storyboard,
    StoryboardProvider,
    StoryboardRequest,
    StyleGuide,
)
from vidpipe.providers.local.words import (
    COLOR_WORDS,
    STOPWORDS,
    color_word,
    content_words,
    keyword_set,
    seed_of,
    tokens,
)
from vidpipe.providers.screenplay import WORDS_PER_SECOND


@dataclass(frozen=True)
class _Look:
    visual_style: str
    camera_style: str
    palettes: tuple[tuple[str, ...], ...]


_LOOKS: dict[str, _Look] = {
    "cinematic": _Look(
        "cinematic film look: widescreen composition, shallow depth of field, volumetric light, "
        "rich contrast and a teal-and-orange grade",
        "slow dolly push-ins, smooth gimbal pans and motivated reveals; steady, deliberate pacing",
        (
            ("#1B2A41", "#324A5F", "#CCC9DC", "#E09F3E", "#9E2A2B"),
            ("#0B132B", "#1C2541", "#3A506B", "#5BC0BE", "#F4A259"),
            ("#14213D", "#2B4162", "#FCA311", "#E5E5E5", "#7D4E57"),
        ),
    ),
    "anime": _Look(
        "anime: clean cel shading, bold outlines, saturated flat colours and painted skies",
        "dynamic pans, held dramatic poses and layered parallax moves",
        (
            ("#5DADE2", "#AED6F1", "#F9E79F", "#F1948A", "#2E4053"),
            ("#7FB3D5", "#FAD7A0", "#F5B7B1", "#82E0AA", "#34495E"),
            ("#85C1E9", "#FDEBD0", "#EC7063", "#58D68D", "#1B2631"),
        ),
    ),
    "watercolor": _Look(
        "watercolor illustration: soft washes, bleeding edges, visible paper texture, muted "
        "pigments",
        "slow drifting pans across the painting and gentle zooms",
        (
            ("#A9CCE3", "#F5CBA7", "#D7BDE2", "#A2D9CE", "#7B7D7D"),
            ("#D6EAF8", "#FADBD8", "#D5F5E3", "#F9E79F", "#5D6D7E"),
            ("#AED6F1", "#E8DAEF", "#FDEBD0", "#ABEBC6", "#616A6B"),
        ),
    ),
    "noir": _Look(
        "film noir: high-contrast black and white, hard shadows, pools of light, smoke and rain",
        "low angles, slow push-ins and locked-off frames with long, tense holds",
        (
            ("#0A0A0A", "#2B2B2B", "#5E5E5E", "#A8A8A8", "#EDEDED"),
            ("#111111", "#333333", "#777777", "#BBBBBB", "#F5F5F5"),
        ),
    ),
    "documentary": _Look(
        "naturalistic documentary: available light, true-to-life colour, observational framing",
        "steady observational framing, slow pans and long-lens push-ins",
        (
            ("#6B8E9B", "#C9D6DF", "#8C7A5B", "#4F6F52", "#2E3B32"),
            ("#7A9CB3", "#D8D2C2", "#A0845C", "#5B7553", "#343A40"),
        ),
    ),
    "fantasy": _Look(
        "high fantasy painting: luminous skies, epic scale, glowing magic and rich detail",
        "sweeping crane moves, slow reveals and heroic push-ins",
        (
            ("#2E1A47", "#6A4C93", "#F7B801", "#43AA8B", "#F4F1DE"),
            ("#1D3557", "#457B9D", "#E9C46A", "#2A9D8F", "#F1FAEE"),
        ),
    ),
    "cyberpunk": _Look(
        "cyberpunk: neon-lit night, rain-slick reflections, holograms and deep shadow",
        "gliding drone moves between towers, slow push-ins through the haze",
        (
            ("#0D0221", "#261447", "#FF2E97", "#00F0FF", "#F9C80E"),
            ("#120136", "#035AA6", "#40BAD5", "#FF4C29", "#FCBF1E"),
        ),
    ),
    "pixel art": _Look(
        "pixel art: chunky pixels, limited palette, crisp retro game look",
        "side-scrolling pans and snappy, stepped camera moves",
        (
            ("#29366F", "#3B5DC9", "#41A6F6", "#73EFF7", "#F4F4F4", "#38B764"),
            ("#1A1C2C", "#5D275D", "#B13E53", "#EF7D57", "#FFCD75", "#A7F070"),
        ),
    ),
    "vintage": _Look(
        "vintage film: faded colours, warm cast, soft halation and gentle grain",
        "locked-off tripod frames and slow, hand-cranked pans",
        (
            ("#8D6E63", "#D7CCC8", "#A1887F", "#6D8B74", "#3E2723"),
            ("#B08968", "#EDE0D4", "#7F5539", "#9C6644", "#3D405B"),
        ),
    ),
    "sketch": _Look(
        "pencil sketch: graphite lines, cross-hatching, paper white and soft smudges",
        "slow pans across the page and gentle zooms into details",
        (
            ("#F5F5F0", "#D9D9D4", "#9A9A95", "#5C5C58", "#2A2A28"),
            ("#FAF8F0", "#DCD7C9", "#A29E90", "#65625A", "#2F2D29"),
        ),
    ),
    "oil painting": _Look(
        "oil painting: thick impasto brushwork, warm glazes and painterly light",
        "slow, contemplative pans and gentle push-ins, like walking up to a canvas",
        (
            ("#264653", "#2A9D8F", "#E9C46A", "#F4A261", "#E76F51"),
            ("#3D405B", "#81B29A", "#F2CC8F", "#E07A5F", "#F4F1DE"),
        ),
    ),
    "3d render": _Look(
        "polished 3D render: soft global illumination, clean materials, gentle depth of field",
        "smooth orbiting moves, dolly push-ins and precise, eased motion",
        (
            ("#4EA8DE", "#5E60CE", "#F8F9FA", "#FFB703", "#023047"),
            ("#8ECAE6", "#219EBC", "#FFB703", "#FB8500", "#023047"),
        ),
    ),
    "minimalist": _Look(
        "minimalist: simple shapes, generous negative space, a few flat colours",
        "locked-off frames and slow, precise slides",
        (
            ("#F1FAEE", "#A8DADC", "#457B9D", "#E63946", "#1D3557"),
            ("#FAFAFA", "#E0E0E0", "#FFB4A2", "#6D6875", "#22223B"),
        ),
    ),
}

# Other spellings of a style → the look it means.
_STYLE_ALIASES: dict[str, str] = {
    "film": "cinematic",
    "movie": "cinematic",
    "hollywood": "cinematic",
    "epic": "cinematic",
    "manga": "anime",
    "ghibli": "anime",
    "cartoon": "anime",
    "watercolour": "watercolor",
    "aquarelle": "watercolor",
    "black and white": "noir",
    "monochrome": "noir",
    "b&w": "noir",
    "nature": "documentary",
    "realistic": "documentary",
    "photoreal": "documentary",
    "magic": "fantasy",
    "neon": "cyberpunk",
    "sci-fi": "cyberpunk",
    "pixel": "pixel art",
    "8-bit": "pixel art",
    "retro": "vintage",
    "pencil": "sketch",
    "charcoal": "sketch",
    "oil": "oil painting",
    "painterly": "oil painting",
    "impressionist": "oil painting",
    "3d": "3d render",
    "cgi": "3d render",
    "pixar": "3d render",
    "minimal": "minimalist",
    "flat": "minimalist",
}

_FALLBACK_PALETTES: tuple[tuple[str, ...], ...] = (
    ("#264653", "#2A9D8F", "#E9C46A", "#F4A261", "#E76F51"),
    ("#22223B", "#4A4E69", "#9A8C98", "#C9ADA7", "#F2E9E4"),
    ("#003049", "#D62828", "#F77F00", "#FCBF49", "#EAE2B7"),
    ("#2B2D42", "#8D99AE", "#EDF2F4", "#EF233C", "#D90429"),
    ("#1B4332", "#40916C", "#95D5B2", "#D8F3DC", "#081C15"),
)

# Light arcs: (opening light, then one per following beat). Chosen by the prompt's time of day.
_LIGHT_ARCS: dict[str, tuple[str, ...]] = {
    "night": (
        "moonlit night under a sky of stars",
        "deeper night, stars brighten overhead",
        "stars blaze across the dark sky, cool moonlight",
        "the first light of dawn warms the horizon",
    ),
    "evening": (
        "warm golden hour light, the sun low",
        "the sun sinks lower, golden light stretches long",
        "a burning sunset glow fills the sky",
        "soft dusk light fades to twilight",
    ),
    "day": (
        "clear daylight with soft clouds",
        "the light warms as the day turns",
        "golden light breaks through with dramatic glow",
        "soft dusk glow settles over everything",
    ),
}

_NIGHT_WORDS = {
    "night",
    "midnight",
    "moon",
    "moonlit",
    "star",
    "stars",
    "starry",
    "nocturnal",
    "neon",
    "cyberpunk",
}
_EVENING_WORDS = {"sunset", "dusk", "evening", "twilight", "golden", "sundown"}

# What moves on its own in a shot, by the things the prompt names.
_AMBIENT: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"rain", "storm", "rainy", "stormy", "drizzle"}), "rain streaks down"),
    (frozenset({"snow", "snowy", "blizzard", "winter"}), "snow drifts down"),
    (
        frozenset({"sea", "ocean", "wave", "waves", "beach", "lake", "river", "water", "shore"}),
        "waves roll and shimmer",
    ),
    (frozenset({"fire", "flame", "flames", "candle", "lava", "volcano"}), "flames flicker"),
    (
        frozenset({"forest", "tree", "trees", "woods", "jungle", "garden", "leaves", "grass"}),
        "leaves and branches sway in the breeze",
    ),
    (
        frozenset({"city", "street", "skyline", "town", "neon", "cyberpunk", "traffic"}),
        "city lights flicker and traffic streaks past",
    ),
    (frozenset({"space", "galaxy", "planet", "star", "stars", "cosmic"}), "stars twinkle"),
    (frozenset({"sky", "cloud", "clouds", "wind", "mountain", "mountains"}), "clouds drift"),
)

_PAN_DIRECTIONS = ("right", "left")

# Common verbs and adjectives: fine in the subject, poor as the thing a camera moves toward.
_NOT_THINGS = frozenset(
    """
    walks walk runs run flies fly swims swim sits sit stands stand looks look dances dance
    rises rise falls fall moves move drives drive sails sail explores explore wanders wander
    climbs climb jumps jump floats float drifts drift glides glide races race chases chase
    watches watch waits wait meets meet finds find becomes become turns turn crosses cross
    lone small big tiny huge giant old young ancient new little large tall short vast quiet
    calm bright dark beautiful lonely mysterious magical epic dramatic peaceful gentle wild
    slowly quickly soft hard warm cold cool hot deep high low far
    red crimson scarlet orange amber golden gold yellow green emerald blue azure teal cyan
    turquoise purple violet magenta pink white silver grey gray black brown
    """.split()
)


class LocalStoryboardProvider(StoryboardProvider):
    """Storyboards from rules and the prompt's own words. Free, offline, deterministic."""

    provider_id = "local"

    async def write_storyboard(self, request: StoryboardRequest) -> Storyboard:
        return write_storyboard(request)


def write_storyboard(request: StoryboardRequest) -> Storyboard:
    """The storyboard for a request: the same request always gives the same storyboard."""
    prompt = " ".join(request.prompt.split())
    seed = seed_of("storyboard", prompt.lower(), request.style.lower())
    count = request.scene_count or 3 + seed % 3
    style_guide = _style_guide(prompt, request.style, seed)
    scenes = _cast(_scenes(prompt, style_guide, count, seed), prompt, request.references)
    if request.wants_sound:
        scenes = _with_sound(scenes, prompt, request)
    return Storyboard(style_guide=style_guide, scenes=scenes)


def _cast(
    scenes: list[SceneSpec], prompt: str, references: tuple[ReferenceNote, ...]
) -> list[SceneSpec]:
    """Who appears where, by a plain rule: a reference the idea names is in every scene;
    one it does not name makes a closing appearance in the last scene."""
    if not references:
        return scenes
    named = set(re.findall(r"[\w'.-]+", prompt.casefold()))
    cast: list[list[ReferenceNote]] = [[] for _ in scenes]
    for note in references:
        in_idea = all(word in named for word in note.name.casefold().split())
        for index in range(len(scenes)) if in_idea else [len(scenes) - 1]:
            cast[index].append(note)
    return [
        scene.model_copy(
            update={
                "references": [note.name for note in notes],
                "scene_description": scene.scene_description
                + "".join(f" {_appearance(note)}" for note in notes),
            }
        )
        for scene, notes in zip(scenes, cast, strict=True)
    ]


def _appearance(note: ReferenceNote) -> str:
    return (
        f"{note.name} ({note.description}) is in view."
        if note.description
        else (f"{note.name} is in view.")
    )


# ------------------------------------------------------------------ sound


def _with_sound(
    scenes: list[SceneSpec], prompt: str, request: StoryboardRequest
) -> list[SceneSpec]:
    """The sound fields asked for: a short narration line per scene from the prompt's words,
    spoken lines for the scene's references or the characters the prompt names, ambience."""
    limit = max(4, int(request.clip_duration * WORDS_PER_SECOND))
    characters = _named_characters(prompt, request.references)
    named = {word.casefold() for name in characters for word in name.split()}
    words = [w for w in _focus_words(prompt) if w not in named | _WEATHER] or ["moment"]
    opening = prompt.strip().rstrip(".!?;:,")
    out: list[SceneSpec] = []
    for k, (scene, beat) in enumerate(zip(scenes, _beats(len(scenes)), strict=True)):
        focus = words[k % len(words)]
        update: dict[str, object] = {}
        if request.narration:
            update["narration"] = _narration_line(beat, opening, focus, characters, limit)
        if request.dialogue:
            speakers = list(scene.references) or characters
            update["dialogue"] = _lines(speakers, beat, focus, k)
        if request.sound:
            update["sound"] = _sound_line(prompt, beat)
        out.append(scene.model_copy(update=update))
    return out


_WEATHER = frozenset("rainy stormy snowy misty foggy sunny windy cloudy icy hazy".split())

_NARRATION: dict[str, str] = {
    "single": "{opening}.",
    "establishing": "{opening}.",
    "development": "Then we draw closer to the {focus}.",
    "climax": "Everything turns on the {focus}.",
    "resolution": "And then, at last, all is still.",
}

_SPOKEN: dict[str, tuple[str, ...]] = {
    "single": ("Look at the {focus}.", "It's beautiful."),
    "establishing": ("Look at the {focus}.", "Where are we?"),
    "development": ("Over there, the {focus}!", "Come on, keep up."),
    "climax": ("Hold on!", "Here it comes!"),
    "resolution": ("We made it.", "Yes. We did."),
}

# What a place sounds like, by the things the prompt names (checked in order).
_SOUNDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"rain", "storm", "rainy", "stormy", "drizzle"}), "rain patters steadily"),
    (frozenset({"sea", "ocean", "wave", "waves", "beach", "shore"}), "waves wash on the shore"),
    (frozenset({"lake", "river", "water", "stream"}), "water laps gently"),
    (frozenset({"fire", "flame", "flames", "candle", "campfire"}), "a fire crackles"),
    (
        frozenset({"forest", "tree", "trees", "woods", "jungle", "garden"}),
        "leaves rustle and birds call",
    ),
    (frozenset({"city", "street", "town", "traffic", "neon"}), "distant traffic hums"),
    (frozenset({"space", "galaxy", "planet", "cosmic"}), "a low, steady hum"),
    (frozenset({"wind", "mountain", "mountains", "sky", "cloud", "clouds"}), "wind blows softly"),
)


def _narration_line(beat: str, opening: str, focus: str, characters: list[str], limit: int) -> str:
    """The beat's line; the opening one is the prompt itself when it fits in the scene."""
    if beat in ("single", "establishing") and len(opening.split()) > limit:
        who = " and ".join(characters) if characters else f"the {focus}"
        line = f"It begins with {who}."
    else:
        line = _NARRATION[beat].format(opening=opening, focus=focus)
    return _fit(line[:1].upper() + line[1:], limit)


def _sound_line(prompt: str, beat: str) -> str:
    words = keyword_set(prompt)
    ambience = next((text for keys, text in _SOUNDS if words & keys), "a quiet room tone")
    line = f"Ambient noise: {ambience}."
    if beat == "climax":  # its end frame has birds scattering
        line = f"SFX: birds scatter with a flutter of wings. {line}"
    return line


def _lines(speakers: list[str], beat: str, focus: str, k: int) -> list[DialogueLine]:
    """One or two short lines; two speakers take turns, starting with a different one each
    scene. Nobody named: nobody speaks."""
    if not speakers:
        return []
    first, second = _SPOKEN[beat]
    order = speakers[k % len(speakers) :] + speakers[: k % len(speakers)]
    lines = [DialogueLine(speaker=order[0], line=first.format(focus=focus))]
    if len(order) > 1:
        lines.append(DialogueLine(speaker=order[1], line=second.format(focus=focus)))
    return lines


def _named_characters(prompt: str, references: tuple[ReferenceNote, ...]) -> list[str]:
    """Who can speak: the references, else names in the prompt (capitalised words; one that
    opens a sentence only when "and" and another name follow it, as in "Mara and Bo"), two
    at most."""
    if references:
        return [note.name for note in references][:2]
    tokens_ = re.findall(r"[\w'-]+|[.!?]", prompt)
    names: list[str] = []
    for i, word in enumerate(tokens_):
        if not (word[:1].isupper() and word.isalpha() and word != "I"):
            continue
        opens = i == 0 or tokens_[i - 1] in (".", "!", "?")
        follows = tokens_[i + 1 : i + 3]
        paired = len(follows) == 2 and follows[0] == "and" and follows[1][:1].isupper()
        if not opens or paired:
            names.append(word)
    return list(dict.fromkeys(names))[:2]


def _fit(text: str, limit: int) -> str:
    """At most `limit` words, ending on a full stop (never on a dangling little word)."""
    words = text.split()
    if len(words) <= limit:
        return text
    kept = words[:limit]
    while len(kept) > 1 and kept[-1].lower().strip(",;:") in STOPWORDS:
        kept.pop()
    return " ".join(kept).rstrip(",;:.") + "."


# ------------------------------------------------------------------ style guide


def _look_for(style: str) -> tuple[str, _Look | None]:
    wanted = " ".join(style.lower().split())
    if wanted in _LOOKS:
        return wanted, _LOOKS[wanted]
    for alias, name in sorted(_STYLE_ALIASES.items(), key=lambda kv: -len(kv[0])):
        if alias in wanted:
            return name, _LOOKS[name]
    for name in sorted(_LOOKS, key=len, reverse=True):
        if name in wanted:
            return name, _LOOKS[name]
    return wanted, None


def _style_guide(prompt: str, style: str, seed: int) -> StyleGuide:
    label = " ".join(style.split()) or "cinematic"
    name, look = _look_for(label)
    if look is None:
        visual = (
            f"{label}: a consistent {label} look in every shot, a clear subject, balanced "
            "composition and coherent lighting"
        )
        camera = "smooth, motivated camera moves: slow push-ins and gentle pans, steady framing"
        base = _FALLBACK_PALETTES[seed % len(_FALLBACK_PALETTES)]
    else:
        visual = look.visual_style if name == label.lower() else f"{label} — {look.visual_style}"
        camera = look.camera_style
        base = look.palettes[seed % len(look.palettes)]
    return StyleGuide(
        visual_style=visual, color_palette=_palette(prompt, base), camera_style=camera
    )


def _palette(prompt: str, base: tuple[str, ...]) -> list[str]:
    """4–6 hex colours: swatches of the prompt's colour words first, the style's after."""
    named = [c for c in (color_word(w) for w in content_words(prompt)) if c is not None]
    named = list(dict.fromkeys(named))
    swatches: list[str] = []
    depth = max((len(COLOR_WORDS[n]) for n in named), default=0)
    for i in range(depth):  # first swatch of every word, then the second ones, ...
        swatches.extend(COLOR_WORDS[n][i] for n in named if i < len(COLOR_WORDS[n]))
    palette = list(dict.fromkeys(s.upper() for s in swatches))[:4]
    target = 6 if len(palette) >= 4 else 5  # always some of the style's own colours
    for colour in base:
        if len(palette) >= target:
            break
        if colour.upper() not in palette:
            palette.append(colour.upper())
    return palette


# ------------------------------------------------------------------ scenes


def _beats(count: int) -> list[str]:
    """establishing → development… → climax → resolution, shortened for short stories."""
    if count == 1:
        return ["single"]
    if count == 2:
        return ["establishing", "resolution"]
    return ["establishing", *["development"] * (count - 3), "climax", "resolution"]


def _light_arc(prompt: str) -> tuple[str, ...]:
    words = keyword_set(prompt)
    if words & _NIGHT_WORDS:
        return _LIGHT_ARCS["night"]
    if words & _EVENING_WORDS:
        return _LIGHT_ARCS["evening"]
    return _LIGHT_ARCS["day"]


def _ambient(prompt: str) -> str:
    words = keyword_set(prompt)
    found = [text for keys, text in _AMBIENT if words & keys]
    return ", ".join(found[:2]) or "light shifts slowly and dust motes drift"


def _light_at(arc: tuple[str, ...], k: int, count: int) -> str:
    """Light at the end of scene k (k = -1: the opening), spread over the whole arc."""
    if k < 0:
        return arc[0]
    position = (k + 1) / count  # 0 < position <= 1
    return arc[min(len(arc) - 1, max(1, round(position * (len(arc) - 1))))]


def _subject(prompt: str, limit: int = 140) -> str:
    """The prompt as a phrase to build sentences on: no final stop, cut at a word boundary."""
    text = prompt.strip().rstrip(".!?;:,")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    first, _, rest = text.partition(" ")
    if first[:1].isupper() and (len(first) == 1 or first[1:].islower()) and first != "I":
        first = first.lower()
    return f"{first} {rest}".strip()


def _focus_words(prompt: str) -> list[str]:
    """Content words likely to be things (not colours, verbs or adjectives), in prompt order."""
    words = content_words(prompt)
    things = [
        w
        for w in words
        if w not in _NOT_THINGS and not w.endswith(("ing", "ed", "ly", "ful", "ous", "ish"))
    ]
    return things or words or tokens(prompt) or ["scene"]


def _scenes(prompt: str, guide: StyleGuide, count: int, seed: int) -> list[SceneSpec]:
    words = _focus_words(prompt)
    subject = _subject(prompt) or " ".join(words)
    arc = _light_arc(prompt)
    ambient = _ambient(prompt)
    look = guide.visual_style.split(":")[0].split(" — ")[0].strip()
    scenes: list[SceneSpec] = []
    previous_end = ""
    for k, beat in enumerate(_beats(count)):
        focus = " and ".join(dict.fromkeys([words[k % len(words)], words[(k + 1) % len(words)]]))
        pan = _PAN_DIRECTIONS[(seed + k) % 2]  # alternating, so long stories don't drift
        light_start = _light_at(arc, k - 1, count)
        light_end = _light_at(arc, k, count)
        fill = {
            "subject": subject,
            "focus": focus,
            "pan": pan,
            "light0": light_start,
            "light1": light_end,
            "ambient": ambient,
            "look": look,
        }
        template = _TEMPLATES[beat]
        end = template["end"].format(**fill)
        if k == 0:
            start = template["start"].format(**fill)
        else:
            start = f"Opens exactly on the final frame of scene {k}: {previous_end}"
        scenes.append(
            SceneSpec(
                scene_description=template["description"].format(**fill),
                start_frame_prompt=start,
                end_frame_prompt=end,
                video_motion_prompt=template["motion"].format(**fill),
                transition_notes=(
                    "Final scene: hold on the last frame, then fade out."
                    if k == count - 1
                    else f"Cut on the matched frame: scene {k + 2} opens on this final image."
                ),
            )
        )
        previous_end = end
    return scenes


_TEMPLATES: dict[str, dict[str, str]] = {
    "single": {
        "description": (
            "A single complete moment of {subject}: it opens wide on {focus} and draws in as "
            "the light turns, a whole story in one shot."
        ),
        "start": "Wide establishing view of {subject}, {light0}, {focus} framed on the thirds, "
        "{look}",
        "end": "Closer view of {subject}, the camera has pushed in closer on {focus}, "
        "{light1}, {look}",
        "motion": "Slow push-in toward {focus}; {ambient}; calm, continuous movement",
    },
    "establishing": {
        "description": (
            "Establishing: the world of {subject} is introduced — its scale, its place and its "
            "mood — with {focus} in view."
        ),
        "start": "Wide establishing view of {subject}, {light0}, {focus} framed on the thirds, "
        "{look}",
        "end": "Closer view of {subject}, the camera has pushed in closer toward {focus}, "
        "{light1}, {look}",
        "motion": "Slow push-in toward {focus}; {ambient}; steady, unhurried pacing",
    },
    "development": {
        "description": (
            "Development: the story of {subject} moves forward; {focus} draws the eye as "
            "something changes."
        ),
        "start": "{subject}, {light0}, {look}",
        "end": "{subject}, the view has panned {pan} to reveal more of {focus}, {light1}, {look}",
        "motion": "Smooth pan {pan} following {focus}; {ambient}; the pace quickens a little",
    },
    "climax": {
        "description": (
            "Climax: {subject} at its most intense — {focus} dominates the frame at the turning "
            "point of the story."
        ),
        "start": "{subject}, {light0}, {look}",
        "end": "Dramatic close-up of {focus}, {subject} at its peak, {light1}, birds scatter "
        "across the sky, {look}",
        "motion": "Dramatic push-in on {focus}; {ambient}, faster; energy builds to a peak",
    },
    "resolution": {
        "description": (
            "Resolution: calm returns to {subject}; {focus} settles as the story comes to rest."
        ),
        "start": "{subject}, {light0}, {look}",
        "end": "Quiet final image of {subject}, the camera tilts up toward the sky, {light1}, "
        "calm and still, {look}",
        "motion": "Gentle tilt up and drift; {ambient}, slowing; motion settles into stillness",
    },
}
