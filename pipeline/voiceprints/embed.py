"""A voice as one vector: the mean of the speaker encoder's window embeddings over speech.

resemblyzer's GE2E encoder (``diarize/embedded_encoder.py``) embeds 1.6 s windows every
0.8 s; their mean, made unit length, is the voice. Only the speaker's own speech goes in:
stretches where someone else talks at the same time are left out, so a voiceprint never
learns the other party's voice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from listenlens.pipeline.diarize.embedded_encoder import FRAME_S, embed_windows, mel_frames, shared_encoder, window_starts

MODEL = "resemblyzer-ge2e-256"  # stored with every voiceprint: another encoder's vectors do not compare
WINDOW_FRAMES = 160  # 1.6 s, the encoder's training partials
STEP_FRAMES = 80
# A voice is clear after a minute or two of speech; on a long call, windows spread evenly
# over the speaker's speech stand for the rest, so an hour costs what three minutes do.
MAX_WINDOWS = 240


@dataclass(frozen=True)
class Voice:
    """A unit embedding of someone's speech and how much speech it was made from."""

    embedding: np.ndarray
    speech_s: float
    model: str = MODEL

    def similarity(self, other: np.ndarray) -> float:
        return cosine(self.embedding, other)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def span_frames(spans: list[tuple[float, float]], n_frames: int) -> np.ndarray:
    """Mel frame indices inside ``spans`` (seconds), in order."""
    mask = np.zeros(n_frames, dtype=bool)
    for start, end in spans:
        a, b = max(0, int(round(start / FRAME_S))), min(n_frames, int(round(end / FRAME_S)))
        if b > a:
            mask[a:b] = True
    return np.flatnonzero(mask)


def window_embeddings(mel: np.ndarray, encoder=None) -> np.ndarray:
    """Unit embeddings of 1.6 s windows every 0.8 s over ``mel`` (frames, 40)."""
    encoder = encoder or shared_encoder()
    starts = window_starts(len(mel), WINDOW_FRAMES, STEP_FRAMES)
    if len(starts) > MAX_WINDOWS:
        starts = starts[np.linspace(0, len(starts) - 1, MAX_WINDOWS).round().astype(int)]
    return embed_windows(encoder, mel, starts, WINDOW_FRAMES)


def embed_speech(
    samples: np.ndarray, spans: list[tuple[float, float]] | None = None, *, min_speech_s: float = 1.0, encoder=None
) -> Voice | None:
    """The voice in ``samples`` (16 kHz mono) over ``spans`` (all of it if None); None when
    the spans hold less than ``min_speech_s`` of audio."""
    mel = mel_frames(np.asarray(samples, dtype=np.float32))
    if spans is not None:
        mel = mel[span_frames(spans, len(mel))]
    speech_s = len(mel) * FRAME_S
    if speech_s < min_speech_s or len(mel) == 0:
        return None
    emb = window_embeddings(mel, encoder)
    good = np.linalg.norm(emb, axis=1) > 0
    if not np.any(good):
        return None
    return Voice(unit(emb[good].mean(axis=0)), round(speech_s, 2))


def enrollment_voice(samples: np.ndarray, *, min_speech_s: float = 1.0, encoder=None) -> Voice | None:
    """The voice of an enrollment clip: its speech found by Silero VAD, pauses left out."""
    from listenlens.pipeline.vad import speech_regions

    spans = speech_regions(np.asarray(samples, dtype=np.float32))
    return embed_speech(samples, spans, min_speech_s=min_speech_s, encoder=encoder) if spans else None
