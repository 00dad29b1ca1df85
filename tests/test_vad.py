"""Speech detection on synthesized speech and silence with known timing."""

from __future__ import annotations

import numpy as np
import pytest

from callsynth import SR, speak
from listenlens.errors import AudioError
from listenlens.pipeline.vad import speech_regions


def _place(clips: list[tuple[float, np.ndarray]], total_s: float, noise_db: float = -60.0) -> np.ndarray:
    x = np.random.default_rng(0).normal(0, 10 ** (noise_db / 20), int(total_s * SR)).astype(np.float32)
    for at, clip in clips:
        i = int(at * SR)
        x[i : i + len(clip)] += clip
    return x


@pytest.fixture(scope="module")
def two_phrases():
    a = speak("Good morning, thanks for calling.", "en-us+m3")
    b = speak("I would like to ask about my order.", "en-gb+f4")
    x = _place([(1.0, a), (1.0 + len(a) / SR + 1.5, b)], total_s=1.0 + (len(a) + len(b)) / SR + 1.5 + 1.0)
    truth = [(1.0, 1.0 + len(a) / SR), (2.5 + len(a) / SR, 2.5 + (len(a) + len(b)) / SR)]
    return x, truth


def test_finds_each_phrase_with_close_boundaries(two_phrases):
    x, truth = two_phrases
    regions = speech_regions(x)
    assert len(regions) == 2
    for (start, end), (t_start, t_end) in zip(regions, truth):
        assert abs(start - t_start) < 0.2
        assert abs(end - t_end) < 0.3


def test_short_pause_is_bridged_long_pause_splits(two_phrases):
    x, truth = two_phrases
    gap = truth[1][0] - truth[0][1]  # 1.5 s of silence between the phrases
    assert len(speech_regions(x, min_silence_s=gap + 0.5)) == 1
    assert len(speech_regions(x, min_silence_s=0.3)) == 2


def test_padding_widens_regions(two_phrases):
    x, _ = two_phrases
    tight = speech_regions(x, pad_s=0.0)
    padded = speech_regions(x, pad_s=0.2)
    assert padded[0][0] < tight[0][0] and padded[0][1] > tight[0][1]


def test_regions_sorted_disjoint_and_inside_signal(two_phrases):
    x, _ = two_phrases
    regions = speech_regions(x, pad_s=0.5)
    assert all(0.0 <= s < e <= len(x) / SR for s, e in regions)
    assert all(a[1] <= b[0] for a, b in zip(regions, regions[1:]))


def test_silence_and_noise_floor_have_no_speech():
    assert speech_regions(np.zeros(5 * SR, dtype=np.float32)) == []
    assert speech_regions(_place([], 5.0, noise_db=-50.0)) == []
    assert speech_regions(np.zeros(0, dtype=np.float32)) == []


def test_bad_input_is_a_clear_error():
    with pytest.raises(AudioError, match="one channel"):
        speech_regions(np.zeros((2, SR), dtype=np.float32))
    with pytest.raises(AudioError, match="threshold"):
        speech_regions(np.zeros(SR, dtype=np.float32), threshold=1.5)


def test_nan_samples_do_not_break_detection(two_phrases):
    x, truth = two_phrases
    y = x.copy()
    y[100:200] = np.nan  # in the leading silence
    regions = speech_regions(y)
    assert len(regions) == 2 and abs(regions[0][0] - truth[0][0]) < 0.2
