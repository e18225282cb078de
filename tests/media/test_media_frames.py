from __future__ import annotations

import math

import numpy as np
import pytest

from vidpipe.media.frames import count_frames, psnr, read_frame, read_frames_at


def test_read_frame_gives_rgb_uint8(make_clip):
    frame = read_frame(make_clip(color="red", audio=False), 0)
    assert frame.shape == (240, 320, 3)
    assert frame.dtype == np.uint8
    red, green, blue = frame.reshape(-1, 3).mean(axis=0)
    assert red > 200 and green < 50 and blue < 50


def test_negative_index_counts_from_the_end(make_clip):
    clip = make_clip()  # testsrc2 moves, so frames differ
    last, first, same_last, second_last = read_frames_at(clip, [-1, 0, 23, -2])
    assert np.array_equal(last, same_last)
    assert np.array_equal(read_frame(clip, -1), last)
    assert psnr(first, last) < 30
    assert psnr(second_last, last) < math.inf


def test_out_of_range_index(make_clip):
    clip = make_clip()
    with pytest.raises(IndexError, match="24 frames"):
        read_frame(clip, 24)
    with pytest.raises(IndexError):
        read_frame(clip, -25)


def test_count_frames(make_clip):
    clip = make_clip(fps=30, audio=False, duration=2.0)
    assert count_frames(clip) == 60
    assert count_frames(clip, decode=True) == 60


def test_psnr():
    a = np.zeros((4, 4, 3), dtype=np.uint8)
    assert psnr(a, a.copy()) == math.inf
    b = a + 1  # mse 1
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2), rel=1e-9)
    with pytest.raises(ValueError, match="shapes"):
        psnr(a, np.zeros((2, 2, 3), dtype=np.uint8))
