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
import threading
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from listenlens.errors import ModelError

SAMPLE_RATE = 16000
FRAME_S = 0.02  # one whisper encoder frame
_CHUNK_S = 30  # the encoder's fixed input length
_CHUNK = _CHUNK_S * SAMPLE_RATE
_CHUNK_FRAMES = 1500


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
    def load(cls, path=None) -> "OverlapModel":
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

    def features(self, x: np.ndarray, *, skip=None, progress=None) -> np.ndarray:
        """Encoder frames (n x 384) of ``x``; chunks for which ``skip(start_s, end_s)``
        is true are left at zero (no speech there, nothing to detect).
        ``progress(done, total)`` is called after each 30 s chunk."""
        n = len(x) // (SAMPLE_RATE // 50)
        out = np.zeros((n, 384), dtype=np.float32)
        chunks = range(0, len(x), _CHUNK)
        for i, start in enumerate(chunks):
            if progress is not None:
                progress(i, len(chunks))
            seg = x[start : start + _CHUNK]
            a = start // (SAMPLE_RATE // 50)
            b = min(n, a + len(seg) // (SAMPLE_RATE // 50))
            if b <= a or (skip is not None and skip(start / SAMPLE_RATE, (start + len(seg)) / SAMPLE_RATE)):
                continue
            out[a:b] = encode_chunk(self.encoder, seg)[: b - a]
        return out

    def probabilities(self, x: np.ndarray, *, skip=None, progress=None) -> np.ndarray:
        """Per 20 ms frame of ``x``, the probability that two or more people speak."""
        return self.model.probabilities(self.features(x, skip=skip, progress=progress))

    @staticmethod
    def chunks(n_samples: int) -> int:
        return -(-n_samples // _CHUNK)


def encode_chunk(model, seg: np.ndarray) -> np.ndarray:
    """Whisper encoder output (1500 x d) for up to 30 s of 16 kHz audio."""
    mel = model.feature_extractor(seg.astype(np.float32))
    if mel.shape[1] < 2 * _CHUNK_FRAMES:
        mel = np.pad(mel, ((0, 0), (0, 2 * _CHUNK_FRAMES - mel.shape[1])))
    return np.asarray(model.encode(mel[:, : 2 * _CHUNK_FRAMES]))[0]


_lock = threading.Lock()
_whisper = None


def shared_whisper_encoder():
    """The bundled ``tiny.en`` model, loaded once per process, used for its encoder only."""
    global _whisper
    with _lock:
        if _whisper is None:
            from faster_whisper import WhisperModel

            from listenlens.models.registry import asr_model_path

            _whisper = WhisperModel(asr_model_path(None), device="cpu", compute_type="int8")
        return _whisper
