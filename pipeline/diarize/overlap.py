"""Overlapped-speech detection for mono recordings: where two people talk at once.

A mono recording mixes both parties, and a voice embedding of a 1.6 s window cannot
tell "two voices at once" from "one voice, then the other": both look like a blend.
Whisper's encoder can; it was trained on speech with crosstalk and its 20 ms frames
carry how many voices are present. So the detector is a linear read-out of those frames:

1. The bundled faster-whisper ``tiny.en`` encoder (whatever model the ASR uses) turns
   each 30 s of audio into 1500 frames of 384 features.
2. Features are averaged over ``smooth_frames`` (0.5 s): overlap is a property of a
   stretch of speech, not of one 20 ms frame.
3. A logistic regression gives each frame the probability that two or more people
   speak in it.

The weights (``models/weights/overlap_tiny_en.npz``) are trained by
``scripts/train_overlap.py`` on the AMI *train* split of ``../shared/data`` plus mixtures
of its single-speaker stretches (half of them band-limited to telephone quality);
development, test and the phone-call sample are held apart. What it scores there is in
``docs/diarization.md``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from listenlens.errors import ModelError
from listenlens.pipeline.constants import WHISPER_FRAME_S as FRAME_S
from listenlens.pipeline.constants import WHISPER_FRAME_SAMPLES as _HOP
from listenlens.pipeline.constants import WHISPER_WINDOW_FRAMES as _CHUNK_FRAMES
from listenlens.pipeline.constants import WHISPER_WINDOW_S as WINDOW_S  # noqa: F401 - the name the diarizers import


@dataclass(frozen=True)
class OverlapModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    smooth_frames: int
    threshold: float
    info: dict

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Per-frame overlap probability from raw encoder features (frames x 384)."""
        if len(features) == 0:
            return np.zeros(0, dtype=np.float32)
        smoothed = uniform_filter1d(features, self.smooth_frames, axis=0, mode="nearest")
        z = ((smoothed - self.mean) / self.scale) @ self.coef + self.intercept
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def save(self, path) -> None:
        np.savez(
            path,
            mean=self.mean,
            scale=self.scale,
            coef=self.coef,
            intercept=np.float64(self.intercept),
            smooth_frames=np.int64(self.smooth_frames),
            threshold=np.float64(self.threshold),
            info=np.array(json.dumps(self.info)),
        )

    @classmethod
    def load(cls, path=None) -> OverlapModel:
        from listenlens.models.registry import overlap_weights_path

        path = path or overlap_weights_path()
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(
                    mean=z["mean"],
                    scale=z["scale"],
                    coef=z["coef"],
                    intercept=float(z["intercept"]),
                    smooth_frames=int(z["smooth_frames"]),
                    threshold=float(z["threshold"]),
                    info=json.loads(str(z["info"])),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(
                f"the overlap detector's weights at {path} cannot be read ({exc}): "
                "reinstall listenlens, or run scripts/train_overlap.py"
            ) from exc


class OverlapDetector:
    """Overlap probabilities for a 16 kHz mono signal, 30 s at a time."""

    def __init__(self, model: OverlapModel | None = None, *, encoder=None):
        self.model = model or OverlapModel.load()
        self._encoder = encoder

    @property
    def encoder(self):
        if self._encoder is None:
            self._encoder = shared_whisper_encoder()
        return self._encoder

    def probabilities(self, x: np.ndarray, spans=None, *, progress=None) -> np.ndarray:
        """Per 20 ms frame of ``x``, the probability that two or more people speak.

        Only ``spans`` (seconds; default: all of ``x``) are looked at, 0 elsewhere. The
        encoder always takes 30 s, so the spans (each with ``_CONTEXT_S`` of context) are
        packed into as few 30 s windows as they fit in: on a call where most hand-overs
        have a pause, only a fraction of the speech needs encoding.
        ``progress(done, total)`` is called after each window.
        """
        n = len(x) // _HOP
        out = np.zeros(n, dtype=np.float32)
        if spans is None:
            spans = [(0.0, n * FRAME_S)]
        pieces = _pieces(spans, n)
        windows = _pack(pieces)
        gap = np.zeros(_GAP_FRAMES * _HOP, dtype=np.float32)
        for i, window in enumerate(windows):
            if progress is not None:
                progress(i, len(windows))
            audio = np.concatenate([part for a, b in window for part in (x[a * _HOP : b * _HOP], gap)])
            feats = encode_chunk(self.encoder, audio)
            at = 0
            for a, b in window:
                out[a:b] = self.model.probabilities(feats[at : at + (b - a)])
                at += b - a + _GAP_FRAMES
        if progress is not None:
            progress(len(windows), len(windows))
        return out


_CONTEXT_S = 1.0  # audio either side of a span: the 0.5 s smoothing and the encoder's view
_GAP_FRAMES = 10  # 0.2 s of silence between packed pieces


def _pieces(spans, n: int) -> list[tuple[int, int]]:
    """Spans with context, in encoder frames, merged, and cut to fit one window each."""
    ctx = int(_CONTEXT_S / FRAME_S)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        a, b = max(0, int(start / FRAME_S) - ctx), min(n, int(np.ceil(end / FRAME_S)) + ctx)
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    room = _CHUNK_FRAMES - _GAP_FRAMES
    return [(a, min(b, a + room)) for a0, b in merged for a in range(a0, b, room)]


def _pack(pieces: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Pieces in order, into windows of at most one encoder input each."""
    windows: list[list[tuple[int, int]]] = []
    used = _CHUNK_FRAMES
    for a, b in pieces:
        size = b - a + _GAP_FRAMES
        if used + size > _CHUNK_FRAMES:
            windows.append([])
            used = 0
        windows[-1].append((a, b))
        used += size
    return windows


def encode_chunk(model, seg: np.ndarray) -> np.ndarray:
    """Whisper encoder output (1500 x d) for up to 30 s of 16 kHz audio."""
    mel = model.feature_extractor(seg.astype(np.float32))
    if mel.shape[1] < 2 * _CHUNK_FRAMES:
        mel = np.pad(mel, ((0, 0), (0, 2 * _CHUNK_FRAMES - mel.shape[1])))
    return np.asarray(model.encode(mel[:, : 2 * _CHUNK_FRAMES]))[0]


def shared_whisper_encoder():
    """The bundled ``tiny.en`` on CPU, used for its encoder only.

    Loaded through the ASR's cache with the ASR's defaults (int8, one thread per core),
    so when the ASR runs tiny.en too both use one model, and CTranslate2's default of
    4 threads does not oversubscribe a 2-core machine.
    """
    from listenlens.models.registry import SMALL_ASR, asr_model_path
    from listenlens.pipeline.asr import load_whisper

    return load_whisper(asr_model_path(SMALL_ASR), "cpu", "int8", os.cpu_count() or 1)
