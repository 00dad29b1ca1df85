"""Split a one-speaker mono diarization by the rep's known voice.

Clustering can hear two similar voices as one (``docs/diarization.md``). When the rep's
voiceprint is known, each stretch of speech is compared with it directly: if a clear
share of the speech is the rep's voice and a clear share is not, the two are two
speakers, whatever the clustering said. Windows of the encoder's ``split_window_s`` every
``split_step_s`` of speech are scored (on a long call at most ``MAX_WINDOWS``, spread
evenly); each 10 ms frame takes the score of the windows around it, smoothed over half
a second. The comparison is in the call's band (``pipeline/band.py``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.ndimage import median_filter

from listenlens.pipeline.band import WIDE, telephone_channel
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.diarize.base import Diarization
from listenlens.pipeline.timeline import Turn
from listenlens.pipeline.voiceprints.embed import SpeechTape, window_times
from listenlens.pipeline.voiceprints.encoders import VoiceEncoder, get_encoder
from listenlens.pipeline.voiceprints.match import KnownVoice
from listenlens.pipeline.voiceprints.settings import VoiceprintSettings

FRAME_S = 0.01
_SMOOTH_FRAMES = 51
# The split runs only when the diarizer heard one voice; this caps its cost on a long
# call (400 CAM++ windows of 1.5 s: about half a minute on one core).
MAX_WINDOWS = 400


def split_by_voice(
    samples: np.ndarray, dia: Diarization, voice: KnownVoice, settings: VoiceprintSettings, *,
    encoder: VoiceEncoder | None = None, band: str = WIDE,
) -> Diarization | None:
    """``dia`` with its one speaker split into the rep's voice and another, or None when
    the speech is not clearly two voices (or ``dia`` has more than one speaker)."""
    labels = sorted({t.speaker for t in dia.turns})
    if len(labels) != 1 or dia.channel_of:
        return None
    encoder = encoder or get_encoder()
    print_band = voice.band_for(band)
    if voice.model != encoder.model or print_band is None:
        return None
    tape = SpeechTape(samples, [(t.start, t.end) for t in dia.turns])
    if tape.seconds < encoder.split_window_s:
        return None
    starts = window_times(tape.seconds, encoder.split_window_s, encoder.split_step_s, MAX_WINDOWS)
    clips = [tape.clip(s, s + encoder.split_window_s) for s in starts]
    if print_band != band:  # a wide-band call against a print that only knows the telephone band
        clips = [telephone_channel(c) for c in clips]
    emb = encoder.embed_clips(clips)
    target = np.asarray(voice.in_band(print_band), dtype=np.float32)
    scores = emb @ (target / max(float(np.linalg.norm(target)), 1e-12))
    # Speech time in 10 ms frames; each frame scored from the window centres around it.
    n = int(round(tape.seconds / FRAME_S))
    centres = starts + min(encoder.split_window_s, tape.seconds) / 2
    frame_score = np.interp((np.arange(n) + 0.5) * FRAME_S, centres, scores)
    frame_score = median_filter(frame_score, size=_SMOOTH_FRAMES, mode="nearest")
    hi, lo = settings.window_threshold, settings.window_threshold - settings.split_margin
    matched_s = float(np.sum(frame_score >= hi)) * FRAME_S
    other_s = float(np.sum(frame_score < lo)) * FRAME_S
    if matched_s < settings.split_min_s or other_s < settings.split_min_s:
        return None
    is_rep = frame_score >= 0.5 * (hi + lo)
    rep_label = labels[0]
    other_label = _free_label(rep_label)
    # Each speech frame back to call time: the pieces of speech laid end to end.
    piece = np.searchsorted(tape.offsets, np.arange(n) * FRAME_S * SAMPLE_RATE, side="right") - 1
    piece = np.clip(piece, 0, len(tape.pieces) - 1)
    call_t = tape.pieces[piece, 0] / SAMPLE_RATE + (np.arange(n) * FRAME_S - tape.offsets[piece] / SAMPLE_RATE)
    turns: list[Turn] = []
    # Runs of one side within one piece of speech; a gap between pieces ends a run.
    breaks = np.flatnonzero((np.diff(piece) != 0) | (np.diff(is_rep.astype(np.int8)) != 0)) + 1
    for a, b in zip(np.r_[0, breaks], np.r_[breaks, n]):
        end = min(float(call_t[b - 1]) + FRAME_S, float(tape.pieces[piece[b - 1], 1]) / SAMPLE_RATE)
        turns.append(Turn(round(float(call_t[a]), 3), round(end, 3), rep_label if is_rep[a] else other_label))
    info = dict(dia.info)
    info["voiceprint_split"] = {
        "voice": voice.name, "speaker": rep_label, "other": other_label,
        "matched_s": round(matched_s, 2), "other_s": round(other_s, 2),
        "mean_score": round(float(np.mean(scores)), 3), "band": print_band,
    }
    return replace(dia, turns=turns, info=info)


def _free_label(label: str) -> str:
    prefix = label.rstrip("0123456789") or "SPEAKER_"
    digits = label[len(prefix):]
    n = int(digits) + 1 if digits else 1
    return f"{prefix}{n:02d}"
