"""A voice as one vector: the mean of the speaker encoder's window embeddings over speech.

The speaker's speech (only theirs: stretches where someone else talks at the same time
are left out, so a voiceprint never learns the other party's voice) is laid end to end
and cut into the encoder's windows (``encoders.py``); their mean, made unit length, is
the voice. On a long call, windows spread evenly over the speech stand for the rest, so
an hour costs what a minute does. A voice is kept per band (``pipeline/band.py``): the band the
speech was recorded in, and for wide-band speech its telephone-band copy as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from listenlens.pipeline.band import PHONE, WIDE, telephone_channel
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.voiceprints.encoders import DEFAULT_ENCODER, MODELS, VoiceEncoder, get_encoder

MODEL = MODELS[DEFAULT_ENCODER]  # the default encoder's name, stored with every voiceprint


@dataclass(frozen=True)
class Voice:
    """A unit embedding of someone's speech in the band it was heard in, and how much
    speech it was made from; ``phone``: the same speech through the telephone channel."""

    embedding: np.ndarray
    speech_s: float
    model: str = MODEL
    band: str = WIDE
    phone: np.ndarray | None = None

    def similarity(self, other: np.ndarray) -> float:
        return cosine(self.embedding, other)

    def in_band(self, band: str) -> np.ndarray | None:
        if band == self.band:
            return self.embedding
        return self.phone if band == PHONE else None

    @property
    def bands(self) -> dict[str, np.ndarray]:
        return {b: v for b in (WIDE, PHONE) if (v := self.in_band(b)) is not None}


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def sample_spans(spans: list[tuple[float, float]], n_samples: int) -> np.ndarray:
    """``spans`` (seconds) as merged, ordered (start, end) sample indices inside the signal."""
    rows = sorted((max(0, int(round(s * SAMPLE_RATE))), min(n_samples, int(round(e * SAMPLE_RATE)))) for s, e in spans)
    merged: list[list[int]] = []
    for a, b in rows:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return np.asarray(merged, dtype=np.int64).reshape(-1, 2)


class SpeechTape:
    """A speaker's speech laid end to end, read by speech time without copying it all."""

    def __init__(self, samples: np.ndarray, spans: list[tuple[float, float]] | None) -> None:
        self.samples = np.asarray(samples, dtype=np.float32)
        self.pieces = sample_spans(spans if spans is not None else [(0.0, len(samples) / SAMPLE_RATE)], len(samples))
        lengths = self.pieces[:, 1] - self.pieces[:, 0] if len(self.pieces) else np.zeros(0, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    @property
    def seconds(self) -> float:
        return float(self.offsets[-1]) / SAMPLE_RATE

    def clip(self, start_s: float, end_s: float) -> np.ndarray:
        """The speech between ``start_s`` and ``end_s`` of speech time."""
        a, b = int(round(start_s * SAMPLE_RATE)), min(int(round(end_s * SAMPLE_RATE)), int(self.offsets[-1]))
        out = []
        first = int(np.searchsorted(self.offsets, a, side="right")) - 1
        for k in range(max(first, 0), len(self.pieces)):
            lo, hi = int(self.offsets[k]), int(self.offsets[k + 1])
            if lo >= b:
                break
            s, e = max(a, lo), min(b, hi)
            if e > s:
                base = int(self.pieces[k, 0]) - lo
                out.append(self.samples[base + s : base + e])
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def window_times(total_s: float, window_s: float, step_s: float, max_windows: int | None = None) -> np.ndarray:
    """Start times of windows of ``window_s`` every ``step_s`` covering ``total_s`` (the
    tail too), at most ``max_windows`` of them spread evenly."""
    if total_s <= window_s:
        return np.zeros(1)
    starts = np.arange(0.0, total_s - window_s + 1e-9, step_s)
    if starts[-1] + window_s < total_s - 1e-6:
        starts = np.append(starts, total_s - window_s)
    if max_windows and len(starts) > max_windows:
        starts = starts[np.linspace(0, len(starts) - 1, max_windows).round().astype(int)]
    return starts


def _mean_embedding(encoder: VoiceEncoder, clips: list[np.ndarray]) -> np.ndarray | None:
    emb = encoder.embed_clips(clips)
    good = np.linalg.norm(emb, axis=1) > 0
    return unit(emb[good].mean(axis=0)) if np.any(good) else None


def embed_speech(
    samples: np.ndarray,
    spans: list[tuple[float, float]] | None = None,
    *,
    min_speech_s: float = 1.0,
    encoder: VoiceEncoder | None = None,
    band: str = WIDE,
    phone: bool = False,
) -> Voice | None:
    """The voice in ``samples`` (16 kHz mono, recorded in ``band``) over ``spans`` (all of
    it if None); None when the spans hold less than ``min_speech_s`` of audio. ``phone``:
    also embed the wide-band speech through the telephone channel."""
    encoder = encoder or get_encoder()
    tape = SpeechTape(samples, spans)
    speech_s = tape.seconds
    if speech_s < min_speech_s or speech_s == 0:
        return None
    starts = window_times(speech_s, encoder.window_s, encoder.step_s, encoder.max_windows)
    clips = [tape.clip(s, s + encoder.window_s) for s in starts]
    own = _mean_embedding(encoder, clips)
    if own is None:
        return None
    phone_emb = None
    if phone and band == WIDE:
        # Each window through the line on its own: the filter's start-up lasts milliseconds.
        phone_emb = _mean_embedding(encoder, [telephone_channel(c) for c in clips])
    return Voice(own, round(speech_s, 2), encoder.model, band, phone_emb)


def enrollment_voice(samples: np.ndarray, *, min_speech_s: float = 1.0, encoder: VoiceEncoder | None = None,
                     band: str | None = None) -> Voice | None:
    """The voice of an enrollment clip, in its band and the telephone band: its speech
    found by Silero VAD, pauses left out."""
    from listenlens.pipeline.band import call_band
    from listenlens.pipeline.vad import speech_regions

    samples = np.asarray(samples, dtype=np.float32)
    spans = speech_regions(samples)
    if not spans:
        return None
    return embed_speech(samples, spans, min_speech_s=min_speech_s, encoder=encoder,
                        band=band or call_band(samples), phone=True)
