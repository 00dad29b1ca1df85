"""Split a one-speaker mono diarization by the rep's known voice.

Clustering can hear two similar voices as one (``docs/diarization.md``). When the rep's
voiceprint is known, each stretch of speech is compared with it directly: if a clear
share of the speech is the rep's voice and a clear share is not, the two are two
speakers, whatever the clustering said. Windows of 1.6 s every 0.4 s are scored; each
10 ms frame takes the mean score of the windows over it, smoothed over half a second.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.ndimage import median_filter

from listenlens.pipeline.diarize.base import Diarization
from listenlens.pipeline.diarize.embedded_encoder import FRAME_S, embed_windows, mel_frames, shared_encoder, window_starts
from listenlens.pipeline.timeline import Turn
from listenlens.pipeline.voiceprints.embed import WINDOW_FRAMES, span_frames
from listenlens.pipeline.voiceprints.match import KnownVoice
from listenlens.pipeline.voiceprints.settings import VoiceprintSettings

_STEP_FRAMES = 40
_SMOOTH_FRAMES = 51


def split_by_voice(
    samples: np.ndarray, dia: Diarization, voice: KnownVoice, settings: VoiceprintSettings, *, encoder=None
) -> Diarization | None:
    """``dia`` with its one speaker split into the rep's voice and another, or None when
    the speech is not clearly two voices (or ``dia`` has more than one speaker)."""
    labels = sorted({t.speaker for t in dia.turns})
    if len(labels) != 1 or dia.channel_of:
        return None
    mel = mel_frames(np.asarray(samples, dtype=np.float32))
    idx = span_frames([(t.start, t.end) for t in dia.turns], len(mel))
    if len(idx) < WINDOW_FRAMES:
        return None
    speech = mel[idx]
    starts = window_starts(len(speech), WINDOW_FRAMES, _STEP_FRAMES)
    emb = embed_windows(encoder or shared_encoder(), speech, starts, WINDOW_FRAMES)
    target = np.asarray(voice.embedding, dtype=np.float32)
    scores = emb @ (target / max(float(np.linalg.norm(target)), 1e-12))
    total = np.zeros(len(speech))
    weight = np.zeros(len(speech))
    for s, score in zip(starts, scores):
        total[s : s + WINDOW_FRAMES] += score
        weight[s : s + WINDOW_FRAMES] += 1
    frame_score = median_filter(total / np.maximum(weight, 1), size=_SMOOTH_FRAMES, mode="nearest")
    hi, lo = settings.match_threshold, settings.match_threshold - settings.split_margin
    matched_s = float(np.sum(frame_score >= hi)) * FRAME_S
    other_s = float(np.sum(frame_score < lo)) * FRAME_S
    if matched_s < settings.split_min_s or other_s < settings.split_min_s:
        return None
    is_rep = frame_score >= 0.5 * (hi + lo)
    rep_label = labels[0]
    other_label = _free_label(rep_label)
    turns: list[Turn] = []
    # Runs of one side over consecutive original frames; a gap between turns ends a run.
    breaks = np.flatnonzero((np.diff(idx) != 1) | (np.diff(is_rep.astype(np.int8)) != 0)) + 1
    for a, b in zip(np.r_[0, breaks], np.r_[breaks, len(idx)]):
        turns.append(Turn(idx[a] * FRAME_S, (idx[b - 1] + 1) * FRAME_S, rep_label if is_rep[a] else other_label))
    info = dict(dia.info)
    info["voiceprint_split"] = {
        "voice": voice.name, "speaker": rep_label, "other": other_label,
        "matched_s": round(matched_s, 2), "other_s": round(other_s, 2),
        "mean_score": round(float(np.mean(scores)), 3),
    }
    return replace(dia, turns=turns, info=info)


def _free_label(label: str) -> str:
    prefix = label.rstrip("0123456789") or "SPEAKER_"
    digits = label[len(prefix):]
    n = int(digits) + 1 if digits else 1
    return f"{prefix}{n:02d}"
