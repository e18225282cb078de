"""Synthesized ambient audio for local clips: a filtered-noise bed under a soft drone chord.

Seeded by the motion prompt, so the same clip always sounds the same; stormy or watery words make
the bed louder and brighter, dark words make the chord minor. Fades in and out, so cuts never click.
"""

from __future__ import annotations

import numpy as np

from vidpipe.media.codec import AUDIO_RATE
from vidpipe.providers.local.words import keyword_set, seed_of

_ROOTS_HZ = (55.0, 61.74, 65.41, 73.42, 82.41, 98.0)
_MAJOR = (1.0, 5 / 4, 3 / 2, 2.0)
_MINOR = (1.0, 6 / 5, 3 / 2, 2.0)
_DARK = frozenset("night dark storm stormy noir rain shadow dramatic midnight tense cold".split())
_BRIGHT_BED = frozenset(
    "storm rain wind waves wave sea ocean city traffic fire flames snow faster".split()
)


def ambient_audio(seconds: float, prompt: str, seed: int = 0) -> np.ndarray:
    """Stereo float32 audio, shape (2, round(seconds·AUDIO_RATE)), peak about 0.35."""
    n = max(1, round(seconds * AUDIO_RATE))
    rng = np.random.default_rng(seed_of("ambient", prompt, seed))
    words = keyword_set(prompt)
    t = np.arange(n, dtype=np.float64) / AUDIO_RATE

    # noise bed: pink-ish low-passed noise, partly shared between channels for width
    busy = bool(words & _BRIGHT_BED)
    cutoff = 2200.0 if busy else 700.0
    common = rng.standard_normal(n)
    raw = np.stack([common + 0.6 * rng.standard_normal(n), common + 0.6 * rng.standard_normal(n)])
    freqs = np.fft.rfftfreq(n, 1.0 / AUDIO_RATE)
    shape = 1.0 / np.sqrt(1.0 + (freqs / cutoff) ** 4) / np.sqrt(np.maximum(freqs, 30.0) / 30.0)
    shape[freqs < 25.0] = 0.0
    bed = np.fft.irfft(np.fft.rfft(raw, axis=1) * shape, n=n, axis=1)
    bed /= np.sqrt(np.mean(bed**2)) + 1e-9
    swell_hz = rng.uniform(0.07, 0.2)
    swell = 0.65 + 0.35 * np.sin(2 * np.pi * swell_hz * t + rng.uniform(0, 2 * np.pi))
    bed *= swell * (0.5 if busy else 0.3)

    # drone: a soft chord, slightly detuned left and right so it beats slowly
    root = _ROOTS_HZ[int(rng.integers(len(_ROOTS_HZ)))]
    chord = _MINOR if words & _DARK else _MAJOR
    drone = np.zeros((2, n))
    for k, ratio in enumerate(chord):
        f = root * ratio * 2
        phase = rng.uniform(0, 2 * np.pi)
        level = 0.5 / (k + 1)
        trem = 0.8 + 0.2 * np.sin(2 * np.pi * rng.uniform(0.05, 0.15) * t + phase)
        for ch, detune in enumerate((-0.0015, 0.0015)):
            wave = np.sin(2 * np.pi * f * (1 + detune) * t + phase)
            wave += 0.2 * np.sin(4 * np.pi * f * (1 + detune) * t + phase * 1.7)
            drone[ch] += level * trem * wave
    mix = bed + drone * (0.6 if busy else 1.0)

    # gentle fades and a fixed peak level
    fade = min(0.6, seconds / 4)
    nf = max(1, round(fade * AUDIO_RATE))
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, min(nf, n)))
    envelope = np.ones(n)
    envelope[: ramp.size] = ramp
    envelope[n - ramp.size :] = np.minimum(envelope[n - ramp.size :], ramp[::-1])
    mix *= envelope
    mix *= 0.35 / (np.abs(mix).max() + 1e-9)
    return mix.astype(np.float32)
