"""Dual-channel diarization: one party per channel, as call-recording platforms store calls.

The channel already says who speaks; the work is finding *when*. Two things get in the
way. The other party's voice leaks into each channel (line echo, handset crosstalk:
typically 15 to 35 dB down and a few ms to ~50 ms late), and a voice detector run on
one channel hears that leak as speech. So each channel is judged in three layers, on
10 ms frames:

1. speech-like: within ``vad_reach_s`` of a frame Silero VAD (``pipeline/vad.py``)
   calls speech on the channel alone. Silero says *whether* there is speech; where the
   sound of that speech begins and ends is left to the energy layers below, which
   resolve 10 ms where Silero's frames are 32 ms and its probability lags soft onsets;
2. audible: frame energy clearly above the channel's own noise floor;
3. own, not leak: louder than what the other channels' leak into it predicts. The leak
   path from channel d into channel c is measured on the call itself: its delay is the
   lag that best aligns c's level with d's while d talks (the leak follows d's level
   exactly, c's own speech does not), its gain is the upper quartile of the level
   difference then (an upper value, so a leak that wanders with AGC or codec is still
   covered).

A frame is the channel's own speech when all three hold. Genuine overlaps survive,
because a party who really talks over the other is far louder in their own channel than
the leak of the other voice is. Frames are then joined across the speaker's own short
pauses, even while the other party talks on through them, but not across a pause the
other party fills with a short reply of their own (a backchannel), and padded slightly.

``is_effectively_mono`` catches "stereo" files whose channels carry the same mix
(duplicated mono, or one channel silent): those go down the mono path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.ndimage import binary_dilation

from listenlens.errors import AudioError
from listenlens.pipeline.audio import Audio
from listenlens.pipeline.constants import LEVEL_FRAME_S as FRAME_S
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.diarize.base import Diarization, Progress, mask_runs, no_progress
from listenlens.pipeline.diarize.settings import ChannelTuning
from listenlens.pipeline.timeline import Turn
from listenlens.pipeline.vad import speech_regions

# dst's level must follow src's at least this well (Pearson, dB) to be called leak.
MIN_LEAK_CORRELATION = 0.3
# ...and be audible under at least this share of src's clear speech.
MIN_LEAK_SHARE = 0.25


@dataclass(frozen=True)
class LeakPath:
    """How channel ``src`` leaks into channel ``dst``."""

    src: int
    dst: int
    delay_s: float
    gain_db: float  # level in dst relative to src while only src speaks (upper quartile)
    frames: int  # frames the estimate rests on
    basis: str = "measured"  # or "none" (no leak found), "too little speech", "reverse path"

    @property
    def known(self) -> bool:
        return self.basis in ("measured", "reverse path")


class ChannelDiarizer:
    name = "channels"

    def __init__(self, tuning: ChannelTuning | None = None):
        self.tuning = tuning or ChannelTuning()

    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int = 1,
        max_speakers: int = 6,
        progress: Progress = no_progress,
    ) -> Diarization:
        if audio.channels < 2:
            raise AudioError(
                "the channels diarizer needs one party per channel, but this recording has one channel: "
                "use --diarizer auto or embedded"
            )
        if audio.sample_rate != SAMPLE_RATE:
            raise AudioError(f"the channels diarizer takes 16 kHz audio, got {audio.sample_rate} Hz: decode with load_audio")
        tuning = self.tuning
        n_ch = audio.channels
        labels = [f"CH{c}" for c in range(n_ch)]

        levels = frame_levels_db(audio.samples)
        floors = np.array([noise_floor_db(lv) for lv in levels])
        vad = np.zeros_like(levels, dtype=bool)
        for c in range(n_ch):
            progress("speech detection", c, n_ch)
            regions = speech_regions(audio.channel(c), threshold=tuning.vad_threshold, min_speech_s=0.0, pad_s=0.0)
            for start, end in regions:
                vad[c, int(start / FRAME_S) : int(np.ceil(end / FRAME_S))] = True
        progress("speech detection", n_ch, n_ch)
        reach = int(round(tuning.vad_reach_s / FRAME_S))
        near_speech = binary_dilation(vad, structure=np.ones((1, 2 * reach + 1), bool)) if reach > 0 else vad

        audible = levels > (floors[:, None] + tuning.active_db)
        paths = [
            estimate_leak(levels, vad & audible, floors, src, dst, max_delay_s=tuning.max_leak_delay_s)
            for dst in range(n_ch)
            for src in range(n_ch)
            if src != dst
        ]
        paths = _borrow_reverse_paths(paths)
        leak = predicted_leak_db(levels, paths)
        dominant = audible & (levels > leak + tuning.leak_margin_db)
        own = near_speech & dominant

        turns: list[Turn] = []
        for c in range(n_ch):
            others = np.asarray(np.delete(own, c, axis=0).any(axis=0)) if n_ch > 1 else np.zeros(own.shape[1], bool)
            for start, end in _frames_to_spans(own[c], others, tuning, duration=audio.duration):
                turns.append(Turn(start, end, labels[c]))
        turns.sort(key=lambda t: (t.start, t.end, t.speaker))
        progress("channels", 1, 1)

        info = {
            "channels": n_ch,
            "noise_floor_db": [round(float(f), 1) for f in floors],
            "leak": [
                {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(p).items()} for p in paths
            ],
        }
        if num_speakers is not None and num_speakers != n_ch:
            info["note"] = f"num_speakers={num_speakers} ignored: one party per channel gives {n_ch}"
        return Diarization(turns=turns, backend=self.name, channel_of={lbl: c for c, lbl in enumerate(labels)}, info=info)


# -- duplicate stereo ---------------------------------------------------------------

# Channels whose waveforms correlate this well (at the best small lag) carry one mix.
MONO_CORRELATION = 0.9
# A channel this far below the loudest one is treated as empty.
EMPTY_CHANNEL_DB = 40.0
# Two channels are independent when at least this much audible time departs from
# their usual level difference by DEPARTURE_DB (one party louder in "their" channel).
INDEPENDENT_S = 0.5
DEPARTURE_DB = 8.0


def is_effectively_mono(audio: Audio, *, max_lag_s: float = 0.03) -> bool:
    """True when the channels carry one mix, so the call goes down the mono path.

    Identical channels, channels equal up to gain, a tiny delay or codec noise, and
    files whose extra channels are empty all count as mono. A dual-channel call with
    crosstalk does not: each party is far louder in their own channel than in the
    other, so the level difference between channels swings with who speaks, while for
    a duplicated mix it stays constant.
    """
    x = np.asarray(audio.samples, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] < 2:
        return True
    rms_db = 10 * np.log10(np.mean(x.astype(np.float64) ** 2, axis=1) + 1e-20)
    live = [c for c in range(x.shape[0]) if rms_db[c] > rms_db.max() - EMPTY_CHANNEL_DB]
    if len(live) < 2:
        return True
    ref = live[int(np.argmax(rms_db[live]))]
    for c in live:
        if c == ref:
            continue
        if _max_correlation(x[ref], x[c], max_lag=int(max_lag_s * audio.sample_rate)) >= MONO_CORRELATION:
            continue
        if _independent_seconds(x[ref], x[c]) < INDEPENDENT_S:
            continue
        return False
    return True


def _max_correlation(a: np.ndarray, b: np.ndarray, *, max_lag: int, block: int = 8192, blocks: int = 40) -> float:
    """Largest |normalized cross-correlation| within ``max_lag`` samples.

    Summed over up to ``blocks`` evenly spread blocks, so a long call costs the same as
    a short one.
    """
    n = min(a.size, b.size)
    if n == 0:
        return 0.0
    block = min(block, n)
    starts = np.unique(np.linspace(0, n - block, num=min(blocks, max(1, n // block))).astype(int))
    nfft = 1 << int(np.ceil(np.log2(2 * block)))
    cross = np.zeros(nfft // 2 + 1, dtype=np.complex128)
    ea = eb = 0.0
    for s in starts:
        xa = a[s : s + block].astype(np.float64)
        xb = b[s : s + block].astype(np.float64)
        xa -= xa.mean()
        xb -= xb.mean()
        cross += np.fft.rfft(xa, nfft) * np.conj(np.fft.rfft(xb, nfft))
        ea += float(xa @ xa)
        eb += float(xb @ xb)
    if ea <= 0 or eb <= 0:
        return 0.0
    cc = np.fft.irfft(cross, nfft)
    lags = np.concatenate([cc[: max_lag + 1], cc[-max_lag:]]) if max_lag > 0 else cc[:1]
    return float(np.max(np.abs(lags)) / np.sqrt(ea * eb))


def _independent_seconds(a: np.ndarray, b: np.ndarray) -> float:
    """Audible time where the a/b level difference departs from its usual value."""
    la, lb = frame_levels_db(np.stack([a, b]))
    fa, fb = noise_floor_db(la), noise_floor_db(lb)
    audible = (la > fa + 15) | (lb > fb + 15)
    if audible.sum() < 10:
        return 0.0
    diff = (la - lb)[audible]
    return float(np.sum(np.abs(diff - np.median(diff)) > DEPARTURE_DB) * FRAME_S)


# -- levels and leak ------------------------------------------------------------------


def frame_levels_db(samples: np.ndarray, frame: int = int(FRAME_S * SAMPLE_RATE)) -> np.ndarray:
    """Mean power of each 10 ms frame in dB, shape (channels, frames)."""
    x = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    n = x.shape[1] // frame
    power = np.square(x[:, : n * frame].reshape(x.shape[0], n, frame), dtype=np.float32).mean(axis=2)
    return 10 * np.log10(power + 1e-12)


def noise_floor_db(levels_db: np.ndarray) -> float:
    if levels_db.size == 0:
        return -120.0
    # Digital silence (exact zeros) would put the floor at -120 dB and make any hiss
    # "audible"; the floor is taken over frames that carry some signal.
    live = levels_db[levels_db > -110]
    return float(np.percentile(live if live.size else levels_db, 10))


def estimate_leak(
    levels: np.ndarray,
    speaking: np.ndarray,
    floors: np.ndarray,
    src: int,
    dst: int,
    *,
    max_delay_s: float = 0.25,
    min_frames: int = 50,
) -> LeakPath:
    """Measure the leak of ``src`` into ``dst`` from frames where ``src`` speaks clearly.

    While only src speaks, dst's level is src's level (delayed) plus a constant gain, so
    the lag at which dst's level best follows src's (Pearson, in dB) is the delay and
    the upper quartile of their difference is the gain. Frames where dst is as loud as
    src (genuine overlap) are left out of the gain.
    """
    # Frames where src clearly speaks and is the louder channel: dst hears only leak
    # there, or now and then its own speech, which does not follow src's level.
    loud = speaking[src] & (levels[src] > floors[src] + 20) & (levels[src] > levels[dst] + 3)
    idx = np.flatnonzero(loud)
    n = levels.shape[1]
    max_lag = int(round(max_delay_s / FRAME_S))
    if idx.size < min_frames:
        return LeakPath(src, dst, 0.0, -120.0, int(idx.size), "too little speech")
    corr = np.full(max_lag + 1, -1.0)
    for lag in range(0, max_lag + 1):
        j = idx[idx + lag < n]
        if j.size >= min_frames:
            corr[lag] = np.corrcoef(levels[src, j], levels[dst, j + lag])[0, 1]
    corr = np.nan_to_num(corr, nan=-1.0)
    best_lag = int(np.argmax(corr))
    j = idx[idx + best_lag < n]
    heard = levels[dst, j + best_lag]
    # Below dst's floor there is no leak to measure, and where dst is about as loud as
    # src it is dst's own voice (a genuine overlap), not leak.
    keep = (heard > floors[dst] + 3) & (heard < levels[src, j] - 3)
    diff = heard[keep] - levels[src, j[keep]]
    if corr[best_lag] < MIN_LEAK_CORRELATION or diff.size < max(min_frames, MIN_LEAK_SHARE * idx.size):
        # dst's level does not follow src's, or is audible under src's speech only now
        # and then (dst's own replies): no leak path worth modelling. A false leak path
        # would erase dst's genuine overlapping speech.
        return LeakPath(src, dst, 0.0, -120.0, int(diff.size), "none")
    return LeakPath(src, dst, best_lag * FRAME_S, float(np.percentile(diff, 75)), int(diff.size))


def _borrow_reverse_paths(paths: list[LeakPath]) -> list[LeakPath]:
    """A party who barely speaks (a few "yeah"s) gives too little to measure their leak
    on; the path the other way is the same line and recorder, so it stands in."""
    by_pair = {(p.src, p.dst): p for p in paths}
    out = []
    for p in paths:
        reverse = by_pair.get((p.dst, p.src))
        if p.basis == "too little speech" and reverse is not None and reverse.basis == "measured":
            p = LeakPath(p.src, p.dst, reverse.delay_s, reverse.gain_db, 0, "reverse path")
        out.append(p)
    return out


def leak_paths(info: list[dict]) -> list[LeakPath]:
    """The leak paths a diarization reported (its ``info["leak"]``), as ``LeakPath``s."""
    return [LeakPath(**p) for p in info]


def predicted_leak_db(levels: np.ndarray, paths: list[LeakPath]) -> np.ndarray:
    """Level each channel would show from the other channels' leak alone."""
    n_ch, n = levels.shape
    out = np.full((n_ch, n), -200.0)
    for p in paths:
        if not p.known:
            continue
        lag = int(round(p.delay_s / FRAME_S))
        src = levels[p.src]
        # The delay is known to a frame; take the loudest of the neighbouring frames so
        # a sub-frame offset cannot under-predict an onset.
        widened = np.maximum.reduce([np.roll(src, k) for k in (-1, 0, 1)])
        shifted = np.full(n, -200.0)
        if lag < n:
            shifted[lag:] = widened[: n - lag]
        out[p.dst] = np.maximum(out[p.dst], shifted + p.gain_db)
    return out


def _frames_to_spans(
    own: np.ndarray, others: np.ndarray, tuning: ChannelTuning, *, duration: float
) -> list[tuple[float, float]]:
    """Own-speech frames -> (start, end) spans, joined across the speaker's own pauses."""
    closure = int(round(tuning.closure_s / FRAME_S))
    pause = int(round(tuning.pause_s / FRAME_S))
    latch = int(round(tuning.latch_s / FRAME_S))
    min_len = int(round(tuning.min_speech_s / FRAME_S))
    # The other party's replies, as stretches: their frames joined over stop closures,
    # so a fragment of someone talking on through the pause is not taken for a reply.
    other_runs = [(s, e) for s, e in _closed(mask_runs(others), closure) if e - s >= min_len]
    joined: list[list[int]] = []
    for s, e in mask_runs(own):
        if joined:
            gap_start, gap = joined[-1][1], s - joined[-1][1]
            if gap <= closure or (gap <= pause and not _fits_inside(other_runs, gap_start - latch, s + latch)):
                joined[-1][1] = e
                continue
        joined.append([s, e])
    out = []
    for s, e in joined:
        if e - s < min_len:
            continue
        out.append(
            (round(max(0.0, s * FRAME_S - tuning.pad_s), 3), round(min(duration, e * FRAME_S + tuning.pad_s), 3))
        )
    return out


def _closed(runs: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Runs joined wherever the gap between them is at most ``gap`` frames."""
    out: list[list[int]] = []
    for s, e in runs:
        if out and s - out[-1][1] <= gap:
            out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _fits_inside(runs: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether some run lies wholly inside [start, end): the other party spoke in the
    pause (a backchannel), as opposed to talking on through it."""
    return any(start <= s and e <= end for s, e in runs)

