"""Wide band and telephone band: a voice heard over a phone line sounds like another voice.

A telephone line cuts speech to 300-3400 Hz and mu-law, and two stages read which
band a call is in (``call_band``):
- voiceprints: a speaker encoder places the same voice elsewhere through the line
  (``docs/diarization.md``, "Voiceprints"), so a voiceprint keeps one embedding per
  band, ``wide`` from the speech as recorded, ``phone`` from the same speech through
  ``telephone_channel``, and a call is compared in its own band;
- recognition: telephone-band calls are decoded with a beam (``asr.py``).
"""

from __future__ import annotations

import numpy as np

from listenlens.pipeline.constants import SAMPLE_RATE

WIDE = "wide"
PHONE = "phone"
BANDS = (WIDE, PHONE)

# A telephone line carries nothing above 4 kHz (8 kHz sampling). Share of the energy of
# the louder frames above 4.5 kHz (clear of the resampler's edge), measured: wide-band
# recordings 1e-5 (a dull TTS voice) to 1e-2 (AMI meetings, TTS voices); the same
# through ``telephone_channel``, and the pyannote telephone sample, at most 3.4e-7.
_NARROW_MAX_HIGH_SHARE = 2e-6
_PROBE_S = 60.0  # enough speech to tell, spread over the call
_PROBE_FRAME = 512


def telephone_line(x: np.ndarray) -> np.ndarray:
    """A 16 kHz signal as a telephone line carries it, at 8 kHz: 300-3400 Hz, G.711 mu-law."""
    from scipy.signal import butter, resample_poly, sosfilt

    y = resample_poly(x, 1, 2)
    y = sosfilt(butter(4, [300, 3400], btype="band", fs=SAMPLE_RATE // 2, output="sos"), y)
    mu = 255.0  # G.711 mu-law: 8-bit codes on a companded scale
    code = np.round(np.sign(y) * np.log1p(mu * np.minimum(np.abs(y), 1.0)) / np.log1p(mu) * 127) / 127
    return (np.sign(code) * np.expm1(np.abs(code) * np.log1p(mu)) / mu).astype(np.float32)


def telephone_channel(x: np.ndarray) -> np.ndarray:
    """``telephone_line`` back at 16 kHz, as ``load_audio`` gives a telephone recording."""
    from scipy.signal import resample_poly

    return resample_poly(telephone_line(x), 2, 1).astype(np.float32)


def high_band_share(x: np.ndarray) -> float:
    """The share of the signal's energy above 4.5 kHz, over its louder frames (speech, not
    the silence between), from at most ``_PROBE_S`` of frames spread over it."""
    x = np.asarray(x, dtype=np.float32)
    n = len(x) // _PROBE_FRAME
    if n == 0:
        return 0.0
    frames = x[: n * _PROBE_FRAME].reshape(n, _PROBE_FRAME)
    keep = int(_PROBE_S * SAMPLE_RATE / _PROBE_FRAME)
    if n > keep:
        frames = frames[np.linspace(0, n - 1, keep).round().astype(int)]
    power = np.abs(np.fft.rfft(frames * np.hanning(_PROBE_FRAME), axis=1)) ** 2
    total = power.sum(axis=1)
    loud = total >= np.percentile(total, 70)
    if not np.any(total[loud] > 0):
        return 0.0
    high = np.fft.rfftfreq(_PROBE_FRAME, 1 / SAMPLE_RATE) > 4500  # clear of the 4 kHz edge
    return float(power[loud][:, high].sum() / power[loud].sum())


def call_band(samples: np.ndarray, source_rate: int | None = None) -> str:
    """``phone`` for a call sampled at 8 kHz or less, or with next to no energy above
    4 kHz (a telephone recording stored at a higher rate); ``wide`` otherwise."""
    if source_rate and source_rate <= 8000:
        return PHONE
    return PHONE if high_band_share(samples) < _NARROW_MAX_HIGH_SHARE else WIDE
