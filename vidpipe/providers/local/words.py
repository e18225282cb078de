"""Shared vocabulary of the local provider: tokens, stopwords, colour words, seeds.

The screenwriter, the image renderer and the clip renderer read the same words, so a word in the
prompt (say "sunset") shapes the palette, the picture and the camera move consistently.
"""

from __future__ import annotations

import hashlib
import re

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")

STOPWORDS = frozenset(
    """
    a about above across after again against all almost along also although am among an and
    another any anyone anything are around as at away be because been before being below
    beneath beside between beyond both but by can could did do does doing done down during each
    either else even ever every few for from further get gets getting go goes going gone got
    had has have having he her here hers herself him himself his how i if in inside into is it
    its itself just let like made make makes many may me might more most much must my myself
    near neither next no nor not now of off often on once one only onto or other others our
    ours out over own per please quite rather really same shall she should show showing shows
    since so some something somewhere such than that the their theirs them themselves then there
    these they thing things this those though through throughout thus till to too toward towards
    under until up upon us very via video was we well were what when where whether which while
    who whom whose why will with within without would yet you your yours yourself
    """.split()
)

# Colour words → a few swatches each. Order in a prompt decides order in the palette.
COLOR_WORDS: dict[str, tuple[str, ...]] = {
    "red": ("#C0392B", "#E74C3C"),
    "crimson": ("#9B1B30", "#DC143C"),
    "scarlet": ("#B22222", "#FF2400"),
    "orange": ("#E67E22", "#F5A05A"),
    "amber": ("#FFB000", "#C77800"),
    "golden": ("#E8B04B", "#F6D365", "#B8860B"),
    "gold": ("#D4AF37", "#F6D365"),
    "yellow": ("#F1C40F", "#F7DC6F"),
    "green": ("#27AE60", "#7DCEA0"),
    "emerald": ("#0F7B4F", "#50C878"),
    "blue": ("#2E86DE", "#1B4F72", "#85C1E9"),
    "azure": ("#3A8DDE", "#9CCBF0"),
    "teal": ("#117A78", "#48C9B0"),
    "cyan": ("#00A8C6", "#7FE3F0"),
    "turquoise": ("#1ABC9C", "#76D7C4"),
    "purple": ("#6C3483", "#A569BD"),
    "violet": ("#7D3C98", "#C39BD3"),
    "magenta": ("#C2185B", "#F06292"),
    "pink": ("#F48FB1", "#F8BBD0"),
    "white": ("#F4F6F7", "#D5DBDB"),
    "silver": ("#BDC3C7", "#ECF0F1"),
    "grey": ("#7F8C8D", "#BFC9CA"),
    "gray": ("#7F8C8D", "#BFC9CA"),
    "black": ("#111418", "#2C3E50"),
    "brown": ("#6E4B2A", "#A0785A"),
    "neon": ("#FF2E97", "#00F0FF", "#7A04EB"),
    "night": ("#0B1D3A", "#1B2A4E", "#3C4F7A"),
    "midnight": ("#070B1E", "#191970", "#2E3A6B"),
    "dusk": ("#2C2451", "#7B4B94", "#E07A5F"),
    "twilight": ("#2A2356", "#5C4B8A", "#D98E73"),
    "sunset": ("#FF7E5F", "#FEB47B", "#C0392B", "#6A3A6E"),
    "sunrise": ("#FFB88C", "#FFD8A8", "#DE6262"),
    "dawn": ("#F9C9B6", "#F3A683", "#7A9CC6"),
    "forest": ("#2D5A27", "#4E7D3A", "#A3B18A", "#1B3A1A"),
    "jungle": ("#1E5631", "#4C9A2A", "#A4DE02"),
    "ocean": ("#0077B6", "#00B4D8", "#90E0EF", "#03045E"),
    "sea": ("#1F6F8B", "#4FB0C6", "#A9DEF9"),
    "lake": ("#2F6690", "#81C3D7", "#D9E9F0"),
    "desert": ("#EDC9AF", "#D2A679", "#B5651D"),
    "sand": ("#E6C79C", "#C2A878"),
    "snow": ("#F8FBFF", "#DDE7F0", "#A7BED3"),
    "winter": ("#E8F1F8", "#A7BED3", "#5B7DA1"),
    "ice": ("#D6F0FF", "#9AD0EC", "#4A90B8"),
    "fire": ("#FF4500", "#FF8C00", "#FFD700"),
    "autumn": ("#C0582B", "#E3A857", "#8C3B1E"),
    "spring": ("#A8E6CF", "#FFD3B6", "#FFAAA5"),
    "summer": ("#FFD166", "#06D6A0", "#118AB2"),
    "storm": ("#2F3640", "#596275", "#8395A7"),
    "rain": ("#4B6584", "#778CA3", "#A5B1C2"),
    "fog": ("#C8CED3", "#9AA5AE"),
    "mist": ("#D4DCE2", "#A3B1BC"),
    "space": ("#05060F", "#1C1F4A", "#6C5B7B"),
    "galaxy": ("#0B0C2A", "#3D2C8D", "#C06C84"),
    "lava": ("#8B0000", "#FF4500", "#2B2B2B"),
    "mountain": ("#5D6D7E", "#AAB7B8", "#283747"),
    "city": ("#1C2833", "#566573", "#F5B041"),
    "cyberpunk": ("#0D0221", "#FF2E97", "#00F0FF", "#7A04EB"),
}

# Plural and variant spellings that mean the same colour word.
COLOR_ALIASES: dict[str, str] = {
    "oceans": "ocean",
    "seas": "sea",
    "forests": "forest",
    "woods": "forest",
    "sunsets": "sunset",
    "nights": "night",
    "nighttime": "night",
    "reds": "red",
    "blues": "blue",
    "greens": "green",
    "mountains": "mountain",
    "cities": "city",
    "rainy": "rain",
    "stormy": "storm",
    "foggy": "fog",
    "misty": "mist",
    "snowy": "snow",
    "icy": "ice",
    "fiery": "fire",
    "lakes": "lake",
    "deserts": "desert",
    "sandy": "sand",
    "gilded": "golden",
    "sunlit": "golden",
    "glowing": "amber",
}


def tokens(text: str) -> list[str]:
    """Lower-case words of `text`, in order."""
    return [w.strip("'-").lower() for w in _WORD.findall(text) if w.strip("'-")]


def content_words(text: str, limit: int | None = None) -> list[str]:
    """The prompt's own meaningful words: no stopwords, no repeats, original order."""
    seen: dict[str, None] = {}
    for word in tokens(text):
        if word not in STOPWORDS and len(word) > 1 and word not in seen:
            seen[word] = None
    words = list(seen)
    return words[:limit] if limit is not None else words


def singular(word: str) -> str:
    """A rough singular, good enough for keyword lookup ("mountains" → "mountain")."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def keyword_set(text: str) -> set[str]:
    """Every token of `text` and its rough singular, for keyword matching."""
    found: set[str] = set()
    for word in tokens(text):
        found.add(word)
        found.add(singular(word))
    return found


def color_word(word: str) -> str | None:
    """The COLOR_WORDS key a word stands for, if any."""
    word = COLOR_ALIASES.get(word, word)
    if word in COLOR_WORDS:
        return word
    single = singular(word)
    return single if single in COLOR_WORDS else None


def seed_of(*parts: object) -> int:
    """A stable 64-bit seed from any printable parts (never Python's salted `hash`)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def parse_color(value: str, fallback_seed: int = 0) -> tuple[int, int, int]:
    """#RRGGBB or a CSS colour name → RGB; anything unreadable → a stable colour from its text."""
    from PIL import ImageColor  # Pillow only when a colour is parsed (not to re-stitch)

    try:
        rgb = ImageColor.getrgb(value.strip())
        return int(rgb[0]), int(rgb[1]), int(rgb[2])
    except (ValueError, AttributeError):
        s = seed_of(value, fallback_seed)
        return (s >> 16) & 0xFF, (s >> 8) & 0xFF, s & 0xFF
