"""The ``embedded`` diarizer: who spoke when in a mono recording, on CPU, offline.

1. Speech detection (``pipeline.vad``, Silero) keeps only the speech.
2. The speech frames are joined into one stream and cut into windows of ``window_s``
   every ``step_s``; resemblyzer's voice encoder embeds each window (batched).
3. The window embeddings are clustered (``cluster.cluster_speakers``); the number of
   speakers is found from a linkage-ratio threshold unless the caller gives it.
4. Each 10 ms frame is scored against every speaker: the mean of the (per-speaker
   z-scored) similarities of the windows that cover it.
5. A speaker change close to a pause moves into the pause; short same-speaker pauses
   are bridged.
6. Overlapped speech (``overlap.py``, a read-out of whisper's encoder) gets a second
   speaker: the nearest other speaker in time, since two people talk at once mostly
   where one takes over from the other.

Long calls stay in bounded memory: the mel spectrogram is computed a minute at a time,
windows are embedded in batches, and clustering looks at a bounded sample.
"""

from __future__ import annotations

import numpy as np

from listenlens.errors import AudioError
from listenlens.pipeline.audio import Audio
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.diarize.base import Diarization, Progress, SpeakerActivity, check_counts, no_progress
from listenlens.pipeline.diarize.cluster import cluster_speakers
from listenlens.pipeline.diarize.embedded_encoder import (
    FRAME_S,
    embed_ragged,
    embed_windows,
    mel_frames,
    shared_encoder,
    window_starts,
)
from listenlens.pipeline.diarize.overlap import FRAME_S as OVERLAP_FRAME_S
from listenlens.pipeline.diarize.overlap import WINDOW_S as OVERLAP_WINDOW_S
from listenlens.pipeline.diarize.settings import EmbeddedSettings
from listenlens.pipeline.timeline import Turn, annotation_turns, turns_annotation
from listenlens.pipeline.vad import speech_regions


class EmbeddedDiarizer:
    """Diarizer protocol implementation. Reuse one instance (or share the encoder)."""

    name = "embedded"

    def __init__(self, settings: EmbeddedSettings | None = None, *, encoder=None, overlap_detector=None):
        self.settings = settings or EmbeddedSettings()
        self._encoder = encoder
        self._overlap = overlap_detector

    @property
    def overlap_detector(self):
        if self._overlap is None:
            from listenlens.pipeline.diarize.overlap import OverlapDetector

            self._overlap = OverlapDetector()
        return self._overlap

    @property
    def encoder(self):
        if self._encoder is None:
            self._encoder = shared_encoder()
        return self._encoder

    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int = 1,
        max_speakers: int = 6,
        progress: Progress = no_progress,
    ) -> Diarization:
        check_counts(num_speakers, min_speakers, max_speakers)
        s = self.settings
        x = audio.mono()
        duration = len(x) / audio.sample_rate
        if audio.sample_rate != SAMPLE_RATE:
            raise AudioError(f"the embedded diarizer takes 16 kHz audio, got {audio.sample_rate} Hz: load it with load_audio")
        info = {"speech_s": 0.0}
        progress("diarize", 0, 1)
        regions = speech_regions(
            x,
            threshold=s.vad_threshold,
            min_silence_s=s.vad_min_silence_s,
            min_speech_s=s.vad_min_speech_s,
            pad_s=s.vad_pad_s,
        )
        n_frames = int(np.ceil(len(x) / (audio.sample_rate * FRAME_S)))
        speech = _frame_mask(regions, n_frames)
        idx = np.flatnonzero(speech)
        info["speech_s"] = round(len(idx) * FRAME_S, 2)
        if len(idx) == 0:
            progress("diarize", 1, 1)
            return Diarization(turns=[], backend=self.name, info=info)

        mel = mel_frames(x)[: n_frames][idx[idx < n_frames]]
        idx = idx[: len(mel)]
        win = int(round(s.window_s / FRAME_S))
        step = max(1, int(round(s.step_s / FRAME_S)))
        starts = window_starts(len(mel), win, step)
        # The overlap detector needs at most one encoder window per WINDOW_S of audio.
        overlap_steps = -(-len(x) // (OVERLAP_WINDOW_S * audio.sample_rate)) if s.overlap else 0
        total = len(starts) + overlap_steps
        emb = embed_windows(
            self.encoder,
            mel,
            starts,
            win,
            progress=lambda done, _: progress("diarize", done, total + 1),
            level_norm=s.level_norm,
        )
        win = min(win, len(mel))

        if num_speakers is None and len(idx) * FRAME_S < 2 * s.window_s:
            # Too little speech to tell voices apart: one speaker is the honest answer.
            num_speakers = max(1, min_speakers)
        clustering = cluster_speakers(
            emb,
            merge_similarity=s.merge_similarity,
            num_speakers=num_speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            min_share=s.min_share,
            positions=starts,
            min_gap=win,
            outlier_share=s.outlier_share,
            expected_speakers=s.expected_speakers,
            extra_similarity=s.extra_similarity,
        )
        raw = emb @ clustering.centroids.T
        sims = _calibrated(raw) if s.calibrate and raw.shape[1] > 1 else raw
        scores = _frame_scores(sims, starts, win, len(mel))
        labels = np.argmax(scores, axis=1)
        labels = _absorb_short_runs(labels, scores, int(round(s.min_turn_s / FRAME_S)))
        if s.snap_s > 0:
            labels = _snap_to_pauses(labels, idx, int(round(s.snap_s / FRAME_S)))
        if s.region_max_s and clustering.centroids.shape[0] > 1:
            labels = _judge_short_regions(self.encoder, mel, idx, labels, raw, clustering.centroids, s)
        second = None
        if s.overlap and clustering.centroids.shape[0] > 1:
            # The detector's window count is known only now: scale it to the share reserved.
            flagged = self._overlapped(
                x, idx, labels, s, lambda done, n: progress("diarize", len(starts) + overlap_steps * done // max(n, 1), total + 1)
            )
            second = _second_speaker(labels, flagged)
            info["overlap_s"] = round(float(np.sum(second >= 0)) * FRAME_S, 2)
        info["detects_overlap"] = s.overlap

        names = _names_by_first_turn(labels)
        turns = _turns(idx, labels, names, s.bridge_s, duration)
        if second is not None:
            turns = _union_by_speaker(turns + _turns(idx[second >= 0], second[second >= 0], names, 0.0, duration))
        info.update(
            speakers=len(set(names.values())),
            windows=total,
            centroid_similarity=np.round(clustering.centroids @ clustering.centroids.T, 3).tolist(),
        )
        progress("diarize", total + 1, total + 1)
        activity = _activity(idx, labels, second, scores, names, n_frames) if clustering.centroids.shape[0] > 1 else None
        return Diarization(turns=turns, backend=self.name, info=info, activity=activity)

    def _overlapped(self, x, idx, labels, s: EmbeddedSettings, progress) -> np.ndarray:
        """Per speech frame (``idx``), whether two or more people speak in it."""
        candidates = _stretches_with_a_change(idx, labels) if s.overlap_needs_change else np.ones(len(idx), bool)
        spans = [(idx[a] * FRAME_S, (idx[b - 1] + 1) * FRAME_S) for a, b, on in _bool_runs(candidates, idx) if on]
        detector = self.overlap_detector
        p = detector.probabilities(x, spans, progress=progress)
        threshold = detector.model.threshold if s.overlap_threshold is None else s.overlap_threshold
        per = int(round(OVERLAP_FRAME_S / FRAME_S))  # detector frames are 20 ms, ours 10 ms
        flagged = candidates & (p[np.minimum(idx // per, len(p) - 1)] > threshold)
        min_len = int(round(s.overlap_min_s / FRAME_S))
        reach = None if s.overlap_reach_s is None else int(round(s.overlap_reach_s / FRAME_S))
        changes = np.flatnonzero(np.diff(labels)) + 1
        for a, b, on in _bool_runs(flagged, idx):
            if on and (b - a < min_len or (reach is not None and _distance(changes, a, b) > reach)):
                flagged[a:b] = False
        return flagged


def _distance(points: np.ndarray, a: int, b: int) -> int:
    """Frames from the run [a, b) to the nearest of the sorted ``points`` (0 inside)."""
    if len(points) == 0:
        return np.iinfo(np.int64).max
    i = np.searchsorted(points, a)
    near = [points[j] for j in (i - 1, i) if 0 <= j < len(points)]
    return int(min(max(0, a - p, p - b) for p in near))


def _bool_runs(mask: np.ndarray, idx: np.ndarray) -> list[tuple[int, int, bool]]:
    """Runs of equal ``mask`` values that a pause (a gap in ``idx``) also ends."""
    brk = np.flatnonzero((np.diff(mask.astype(np.int8)) != 0) | (np.diff(idx) > 1)) + 1
    bounds = np.concatenate([[0], brk, [len(idx)]])
    return [(int(a), int(b), bool(mask[a])) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def _judge_short_regions(encoder, mel, idx, labels, raw_sims, centroids, s: EmbeddedSettings) -> np.ndarray:
    """Relabel short pause-bounded stretches whose own voice is clearly another speaker's."""
    labels = labels.copy()
    # Pause-bounded stretches: breaks in the absolute frame index of the speech frames.
    cuts = np.flatnonzero(np.diff(idx) > 1) + 1
    bounds = np.concatenate([[0], cuts, [len(idx)]])
    if s.region_max_s is None:  # the caller judges regions only when a maximum is set
        return labels
    lo, hi = int(s.region_min_s / FRAME_S), int(s.region_max_s / FRAME_S)
    regions = [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if lo <= b - a <= hi]
    if not regions:
        return labels
    mean, std = raw_sims.mean(axis=0), np.maximum(raw_sims.std(axis=0), 1e-3)
    voices = embed_ragged(encoder, [mel[a:b] for a, b in regions], level_norm=s.level_norm)
    for (a, b), own in zip(regions, voices):
        score = (own @ centroids.T - mean) / std if s.calibrate else own @ centroids.T
        current = np.bincount(labels[a:b], minlength=len(centroids)).argmax()
        best = int(np.argmax(score))
        if best != current and score[best] - score[current] >= s.region_margin:
            labels[a:b] = best
    return labels


def _frame_mask(regions: list[tuple[float, float]], n_frames: int) -> np.ndarray:
    mask = np.zeros(n_frames, dtype=bool)
    for start, end in regions:
        mask[int(round(start / FRAME_S)) : int(round(end / FRAME_S))] = True
    return mask


def _calibrated(sims: np.ndarray) -> np.ndarray:
    """Each speaker's similarities as z-scores over all windows of the call.

    A steady voice has higher similarities all round, so windows that mix two voices
    at a change lean to it and the other speaker's turns shrink at both ends (by up to
    a second on synthesized calls). Standardizing each speaker's column removes that
    lean.
    """
    return (sims - sims.mean(axis=0)) / np.maximum(sims.std(axis=0), 1e-3)


def _frame_scores(window_sims: np.ndarray, starts: np.ndarray, win: int, n: int) -> np.ndarray:
    """Per frame, the mean similarity to each speaker of the windows covering it."""
    k = window_sims.shape[1]
    acc = np.zeros((n + 1, k), dtype=np.float64)
    count = np.zeros(n + 1, dtype=np.float64)
    starts = np.minimum(starts, n - 1)
    ends = np.minimum(starts + win, n)
    np.add.at(acc, starts, window_sims)
    np.add.at(acc, ends, -window_sims)
    np.add.at(count, starts, 1.0)
    np.add.at(count, ends, -1.0)
    acc, count = np.cumsum(acc, axis=0)[:n], np.cumsum(count)[:n]
    return (acc / np.maximum(count, 1.0)[:, None]).astype(np.float32)


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end, label) of each run of equal labels."""
    if len(labels) == 0:
        return []
    cut = np.flatnonzero(np.diff(labels)) + 1
    bounds = np.concatenate([[0], cut, [len(labels)]])
    return [(int(a), int(b), int(labels[a])) for a, b in zip(bounds[:-1], bounds[1:])]


def _absorb_short_runs(labels: np.ndarray, scores: np.ndarray, min_len: int) -> np.ndarray:
    """Give runs shorter than ``min_len`` frames to the better-scoring neighbour."""
    labels = labels.copy()
    for _ in range(10):
        runs = _runs(labels)
        short = [r for r in runs if r[1] - r[0] < min_len]
        if not short or len(runs) == 1:
            break
        # Shortest first, so a flicker of two short runs becomes one decision.
        a, b, _ = min(short, key=lambda r: r[1] - r[0])
        i = runs.index((a, b, labels[a]))
        options = [runs[j][2] for j in (i - 1, i + 1) if 0 <= j < len(runs)]
        labels[a:b] = max(options, key=lambda lab: scores[a:b, lab].mean())
    return labels


def _snap_to_pauses(labels: np.ndarray, idx: np.ndarray, reach: int) -> np.ndarray:
    """Move each speaker change to the nearest pause within ``reach`` frames.

    Speakers mostly hand over in a pause, and a window that straddles the pause sees
    both voices, so the change found from window scores lands late or early by up to
    half a window. The pause (a gap in the speech frames) is where it belongs.
    """
    pauses = np.flatnonzero(np.diff(idx) > 1) + 1  # stream positions just after a gap
    if len(pauses) == 0:
        return labels
    out = labels.copy()
    changes = np.flatnonzero(np.diff(labels)) + 1
    for n, c in enumerate(changes):
        near = pauses[np.abs(pauses - c) <= reach]
        if len(near) == 0:
            continue
        p = int(near[np.argmin(np.abs(near - c))])
        # Never jump over a neighbouring change: the turn in between would vanish.
        lo = changes[n - 1] if n > 0 else 0
        hi = changes[n + 1] if n + 1 < len(changes) else len(labels)
        if not lo < p < hi:
            continue
        before, after = labels[c - 1], labels[c]
        if p < c:
            out[p:c] = after
        else:
            out[c:p] = before
    return out


def _stretches_with_a_change(idx: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per speech frame: does its pause-bounded stretch of speech hold a speaker change?"""
    out = np.zeros(len(idx), dtype=bool)
    for a, b, _ in _bool_runs(out, idx):  # an all-false mask: runs end only at pauses
        out[a:b] = bool(np.any(labels[a:b] != labels[a]))
    return out


def _second_speaker(labels: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """For each flagged frame, the speaker of the nearest other turn; -1 elsewhere.

    Two people talk at once mostly where one cuts in on (or hands over to) the other,
    so the voice heard with the labelled speaker is the one whose turn lies nearest.
    """
    second = np.full(len(labels), -1, dtype=labels.dtype)
    runs = _runs(labels)
    for i, (a, b, _) in enumerate(runs):
        frames = np.flatnonzero(flagged[a:b]) + a
        if len(frames) == 0:
            continue
        before = runs[i - 1] if i > 0 else None
        after = runs[i + 1] if i + 1 < len(runs) else None
        if before is None or after is None:
            neighbour = before or after
            if neighbour is not None:
                second[frames] = neighbour[2]
            continue
        # Nearer neighbour per frame: the turn that ended before it or the one after.
        nearer_after = (after[0] - frames) < (frames - (before[1] - 1))
        second[frames] = np.where(nearer_after, after[2], before[2])
    return second


def _activity(idx, labels, second, scores, names: dict[int, str], n_frames: int) -> SpeakerActivity:
    """Frame activity from the final labels, softened by how far the labelled speaker's
    similarity leads the runner-up's (a turn edge, where the windows mix two voices,
    leads by little); a flagged overlap hears both speakers fully."""
    cols = sorted(names, key=lambda c: names[c])
    act = np.zeros((n_frames, len(cols)), dtype=np.float32)
    sc = scores[:, cols]
    mine = np.array([cols.index(int(v)) for v in labels])
    rows = np.arange(len(idx))
    own = sc[rows, mine]
    rival = np.where(np.arange(len(cols))[None, :] == mine[:, None], -np.inf, sc).max(axis=1) if len(cols) > 1 else own - 4.0
    lead = np.tanh(np.maximum(own - rival, 0.0))
    act[idx, mine] = 0.5 + 0.5 * lead
    if len(cols) > 1:
        runner = np.where(np.arange(len(cols))[None, :] == mine[:, None], -np.inf, sc).argmax(axis=1)
        act[idx, runner] = 0.5 - 0.5 * lead
    count = np.zeros(n_frames, dtype=np.int8)
    count[idx] = 1
    if second is not None:
        on = second >= 0
        act[idx[on], [cols.index(int(v)) for v in second[on]]] = 1.0
        act[idx[on], mine[on]] = 1.0
        count[idx[on]] = 2
    return SpeakerActivity(frame_s=FRAME_S, first_s=FRAME_S / 2, labels=[names[c] for c in cols], activity=act, count=count)


def _names_by_first_turn(labels: np.ndarray) -> dict[int, str]:
    order = list(dict.fromkeys(int(v) for v in labels))
    return {lab: f"SPEAKER_{i:02d}" for i, lab in enumerate(order)}


def _turns(idx, labels, names, bridge_s, duration, join_gap: int = 1) -> list[Turn]:
    """Turns in recording time from per-speech-frame labels (``idx``: frame numbers)."""
    if len(idx) == 0:
        return []
    # A new turn starts where the label changes or the speech has a gap.
    brk = np.flatnonzero((np.diff(labels) != 0) | (np.diff(idx) > join_gap)) + 1
    bounds = np.concatenate([[0], brk, [len(idx)]])
    spans: dict[str, list[list[float]]] = {}
    for a, b in zip(bounds[:-1], bounds[1:]):
        name = names[int(labels[a])]
        start, end = idx[a] * FRAME_S, min(duration, (idx[b - 1] + 1) * FRAME_S)
        spans.setdefault(name, []).append([start, end])
    turns: list[Turn] = []
    for name, items in spans.items():
        merged: list[list[float]] = []
        for start, end in items:
            if merged and start - merged[-1][1] <= bridge_s and not _other_speaks(spans, name, merged[-1][1], start):
                merged[-1][1] = end
            else:
                merged.append([start, end])
        turns += [Turn(round(a, 3), round(b, 3), name) for a, b in merged]
    turns.sort(key=lambda t: (t.start, t.end, t.speaker))
    return turns


def _union_by_speaker(turns: list[Turn], collar_s: float = 0.1) -> list[Turn]:
    """One turn per stretch a speaker is heard, whether alone or under someone else.

    Gaps up to ``collar_s`` close: where the heard-alone and heard-under pieces meet,
    frame rounding leaves slivers of 10-20 ms, far shorter than any pause (the VAD's
    shortest is 0.25 s), and a word straddling one would go to the other speaker.
    """
    return annotation_turns(turns_annotation(turns).support(collar=collar_s))


def _other_speaks(spans, name, start, end) -> bool:
    return any(a < end and b > start for other, items in spans.items() if other != name for a, b in items)
