"""The benchmark's built calls: the telephone-quality transform."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from make_long_call import telephone_band  # noqa: E402


def _tone(hz: float, seconds: float = 1.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(16000 * seconds)) / 16000
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _rms_db(x: np.ndarray) -> float:
    x = x[len(x) // 4 :]  # past the filter's onset
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20))


def test_telephone_band_halves_the_rate_and_keeps_the_voice_band_only():
    voice, hum, hiss = _tone(1000), _tone(60), _tone(6000)
    out = telephone_band(voice)
    assert out.dtype == np.float32 and len(out) == len(voice) // 2
    assert abs(_rms_db(out) - _rms_db(voice)) < 1.0
    assert _rms_db(telephone_band(hum)) < _rms_db(hum) - 30
    assert _rms_db(telephone_band(hiss)) < _rms_db(hiss) - 30


def test_telephone_band_is_companded_to_g711_codes():
    out = telephone_band(_tone(1000))
    assert len(np.unique(np.abs(out))) <= 128  # 7 bits of magnitude, as mu-law carries
