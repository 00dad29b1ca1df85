"""Speech detection: where in a signal someone speaks.

Uses the Silero VAD that faster-whisper ships (ONNX through onnxruntime, no torch), so
it runs offline on CPU and costs a few milliseconds per second of audio. The model is
loaded once per process (faster-whisper caches it).

The defaults suit phone calls: turns follow each other closely, so a pause of
``min_silence_s`` already separates two stretches of speech, and the padding is small
because every padded millisecond of silence counts as false alarm for the diarizer and
delays the turn boundaries the scorecard measures (patience, wait time).
"""

from __future__ import annotations

import numpy as np

from listenlens.errors import AudioError
from listenlens.pipeline.constants import SAMPLE_RATE

# Silero VAD probability above which a 32 ms frame is speech (its authors' default).
DEFAULT_THRESHOLD = 0.5
# Silence shorter than this inside speech does not split it: shorter gaps are breaths
# and plosive closures, not the end of a turn.
DEFAULT_MIN_SILENCE_S = 0.25
# Speech shorter than this is dropped: clicks and line noise, not words.
DEFAULT_MIN_SPEECH_S = 0.15
# Padding added to each side of a region: Silero's frames are 32 ms and it reacts late
# to soft onsets and releases.
DEFAULT_PAD_S = 0.05

# The signal is cut into pieces this long so memory stays bounded on long recordings
# (Silero batches the whole input at once); each piece costs ~40 MB at most.
_PIECE_S = 600.0


def speech_regions(
    samples_16k: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_silence_s: float = DEFAULT_MIN_SILENCE_S,
    min_speech_s: float = DEFAULT_MIN_SPEECH_S,
    pad_s: float = DEFAULT_PAD_S,
) -> list[tuple[float, float]]:
    """Return the speech regions of a 16 kHz mono signal as ``(start, end)`` seconds.

    Regions are sorted, disjoint and inside ``[0, len(samples_16k) / SAMPLE_RATE]``.
    Raises ``AudioError`` for a signal that is not one channel of numbers.
    """
    x = _as_mono(samples_16k)
    if not 0.0 < threshold < 1.0:
        raise AudioError(f"VAD threshold {threshold} is outside (0, 1): use a probability such as 0.5")
    if min_silence_s < 0 or min_speech_s < 0 or pad_s < 0:
        raise AudioError("VAD durations must be zero or positive seconds")
    if x.size == 0:
        return []

    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=int(round(min_silence_s * 1000)),
        min_speech_duration_ms=int(round(min_speech_s * 1000)),
        speech_pad_ms=int(round(pad_s * 1000)),
    )
    piece = int(_PIECE_S * SAMPLE_RATE)
    regions: list[tuple[float, float]] = []
    for offset in range(0, x.size, piece):
        chunk = x[offset : offset + piece]
        for ts in get_speech_timestamps(chunk, options, sampling_rate=SAMPLE_RATE):
            regions.append(((offset + ts["start"]) / SAMPLE_RATE, (offset + ts["end"]) / SAMPLE_RATE))
    return _merge(regions, min_gap=min_silence_s, duration=x.size / SAMPLE_RATE)


def _as_mono(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples)
    if x.ndim == 2 and 1 in x.shape:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise AudioError(
            f"speech detection takes one channel, got an array of shape {x.shape}: pass audio.channel(i) or audio.mono()"
        )
    if not np.issubdtype(x.dtype, np.number):
        raise AudioError(f"speech detection takes numeric samples, got {x.dtype}")
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        # A few corrupt samples must not poison the detector's recurrent state.
        x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    return x


def _merge(regions: list[tuple[float, float]], *, min_gap: float, duration: float) -> list[tuple[float, float]]:
    """Join regions closer than ``min_gap`` (pieces split at a boundary) and clip them."""
    out: list[list[float]] = []
    for start, end in sorted(regions):
        start, end = max(0.0, start), min(duration, end)
        if end <= start:
            continue
        if out and start - out[-1][1] < min_gap:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(round(s, 3), round(e, 3)) for s, e in out]
