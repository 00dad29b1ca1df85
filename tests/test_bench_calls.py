"""The benchmark's built calls: the telephone-quality transform and the voice-pair calls."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from make_long_call import VOICE_PAIRS, build_voice_calls, telephone_band  # noqa: E402


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


def test_voice_calls_differ_only_by_the_overlap(tmp_path, monkeypatch):
    import make_long_call

    monkeypatch.setattr(make_long_call, "VOICE_PAIRS", VOICE_PAIRS[:1])
    folders = build_voice_calls(tmp_path)
    assert sorted(folders) == ["voices-apart", "voices-overlap"]

    def turns(name):
        (rttm,) = folders[name].glob("*.rttm")
        assert rttm.with_suffix(".wav").is_file()
        rows = [line.split() for line in rttm.read_text(encoding="utf-8").splitlines()]
        return [(float(r[3]), float(r[3]) + float(r[4]), r[7]) for r in rows]

    def overlap(rows):
        return sum(
            max(0.0, min(a[1], b[1]) - max(a[0], b[0])) for i, a in enumerate(rows) for b in rows[i + 1 :] if a[2] != b[2]
        )

    apart, cut_in = turns("voices-apart"), turns("voices-overlap")
    assert {r[2] for r in apart} == set(VOICE_PAIRS[0]) and len(apart) == len(cut_in) == 12
    assert overlap(apart) == 0.0
    assert abs(overlap(cut_in) - 1.5) < 0.01


def test_real_voice_channels_close_up_over_the_overlaps():
    from make_long_call import _cut_overlaps, _solo_turns

    sr = 16000
    # A talks on through B's short reply at 1.0-1.5 s; later B cuts in on A at 4.5-5.0 s.
    turns = [(0.0, 3.0, "A"), (1.0, 1.5, "B"), (3.5, 5.0, "A"), (4.5, 6.0, "B")]
    solo = _solo_turns(turns, 6.0)
    stereo = np.zeros((2, 6 * sr), dtype=np.float32)
    for s, e, spk in solo:
        stereo["AB".index(spk), int(s * sr) : int(e * sr)] = 1.0 if spk == "A" else 2.0
    out, truth = _cut_overlaps(stereo, solo, turns)
    # One second of overlap leaves the time line; A's speech meets itself across the
    # first cut and is one turn, with no hole where B's reply was.
    assert out.shape == (2, 5 * sr)
    assert [(round(s, 3), round(e, 3), k) for s, e, k in truth] == [(0.0, 2.5, "A"), (3.0, 4.0, "A"), (4.0, 5.0, "B")]
    assert np.all(out[0, : int(2.5 * sr)] == 1.0) and np.all(out[1, : int(2.5 * sr)] == 0.0)
    assert np.all(out[1, int(4.0 * sr) :] == 2.0)
