"""The recogniser's units of work, planned from the speech found so far.

    speech regions -> padded, joined chunks -> groups (bounded memory)
      -> clips of at most 30 s (Whisper's window) -> batches decoded together

The diarizer finds speech from the start of a call onwards, and recognition starts on
it before the diarizer is done. That only pays if it changes no word: a batch is
handed out once nothing found later can change it, and every step above depends only
on what comes before it, so the batches planned as the speech is found are exactly
the batches planned from all of it at once, and so are their words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from listenlens.pipeline.constants import SAMPLE_RATE

# Context kept around each speech region: Whisper clips word onsets without it.
REGION_PAD_S = 0.2
# Regions closer than this are joined, so a sentence is not cut at a breath.
REGION_JOIN_S = 0.3
# Speech is transcribed in pieces of at most this much joined audio: Whisper's features
# for a whole hour would hold gigabytes at once.
GROUP_MAX_S = 600.0
# The joined speech is decoded as clips of at most 30 s (Whisper's window), cut at the
# regions' edges, ``asr.batch_size`` clips at a time: the encoder and the decoder then
# work on several windows at once. 10-minute call, base int8, 2 cores: 22.1 s one window
# after another, 15.6 s four at a time, 15.1 s eight at a time; eight hold 425 MB more
# (the encoder's attention over every clip at once), so four is the default.
CLIP_MAX_S = 30.0
# A region longer than a clip is cut at its quietest 100 ms in the clip's last third.
CUT_SEARCH_S = 10.0

Span = tuple[int, int]  # sample indices, end exclusive


@dataclass(frozen=True, slots=True)
class Batch:
    """One decoding: ``chunks`` (sample spans of the call) are joined in order;
    ``clips`` are sample spans of that joined audio, decoded side by side, or ``None``
    for the whole joined audio, one window after another. ``chunks`` run from the
    start of the batch's group to the last chunk its clips reach, so that two plans
    that agree on a batch agree on its audio and on its words' times."""

    chunks: tuple[Span, ...]
    clips: tuple[Span, ...] | None

    @property
    def seconds(self) -> float:
        spans = self.clips if self.clips is not None else self.chunks
        return sum(b - a for a, b in spans) / SAMPLE_RATE

    def joined(self, samples: np.ndarray) -> np.ndarray:
        return np.concatenate([samples[a:b] for a, b in self.chunks])


def plan_batches(samples: np.ndarray, regions: Iterable[tuple[float, float]], settled_s: float | None,
                 batch_size: int | None) -> list[Batch]:
    """The batches that nothing found later can change, in call order.

    ``regions``: the speech found so far (seconds); every region that starts before
    ``settled_s`` is among them and complete (``None``: all the speech is known).
    ``batch_size``: clips per batch; ``None``: no clips, each group decoded whole.
    """
    chunks = speech_chunks(regions, len(samples))
    final = settled_s is None or settled_s * SAMPLE_RATE >= len(samples)
    if settled_s is not None and not final:
        # A region found later starts at settled_s or after; once padded, it joins a
        # chunk ending within REGION_JOIN_S of its own padded start.
        reach = (settled_s - REGION_PAD_S - REGION_JOIN_S) * SAMPLE_RATE
        chunks = [c for c in chunks if c[1] < reach]
    groups = chunk_groups(chunks, GROUP_MAX_S * SAMPLE_RATE)
    batches: list[Batch] = []
    for g, group in enumerate(groups):
        # A group closes when the next chunk does not fit, so only the last can grow.
        closed = final or g < len(groups) - 1
        if batch_size is None:
            if closed:
                batches.append(Batch(tuple(group), None))
            continue
        spans = clip_spans(samples, group)
        if not closed:
            spans = spans[:-1]  # the last clip may still take in chunks found later
        ends = np.cumsum([b - a for a, b in group])
        for i in range(0, len(spans), batch_size):
            clips = spans[i : i + batch_size]
            if len(clips) < batch_size and not closed:
                break
            last = int(np.searchsorted(ends, clips[-1][1]))  # the chunk the last clip ends in
            batches.append(Batch(tuple(group[: last + 1]), tuple(clips)))
    return batches


def speech_chunks(regions: Iterable[tuple[float, float]], n_samples: int) -> list[Span]:
    """Padded regions, those close together joined, as sample spans."""
    merged: list[list[float]] = []
    for start, end in sorted(regions):
        start, end = max(0.0, start - REGION_PAD_S), min(n_samples / SAMPLE_RATE, end + REGION_PAD_S)
        if end <= start:
            continue
        if merged and start <= merged[-1][1] + REGION_JOIN_S:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    spans = [(int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)) for a, b in merged]
    return [(a, b) for a, b in spans if b > a]


def chunk_groups(chunks: list[Span], max_samples: float) -> list[list[Span]]:
    """Chunks in groups of at most ``max_samples`` joined audio (a chunk longer than
    that stands alone), so memory stays bounded on long calls."""
    groups: list[list[Span]] = []
    size = 0
    for a, b in chunks:
        if not groups or size + (b - a) > max_samples:
            groups.append([])
            size = 0
        groups[-1].append((a, b))
        size += b - a
    return groups


def clip_spans(samples: np.ndarray, chunks: list[Span]) -> list[Span]:
    """Sample spans of the ``chunks`` of ``samples`` joined one after another, each at
    most ``CLIP_MAX_S`` long, cut only where one chunk meets the next, or inside a chunk
    too long for one clip at its quietest moment."""
    limit = int(CLIP_MAX_S * SAMPLE_RATE)
    search = int(CUT_SEARCH_S * SAMPLE_RATE)
    spans: list[Span] = []
    start = pos = 0
    for a, b in chunks:
        end = pos + (b - a)
        if end - start > limit and pos > start:
            spans.append((start, pos))
            start = pos
        while end - start > limit:
            # A clip that does not fit starts in this chunk, so the cut falls inside it.
            cut = pos + _quiet_cut(samples[a:b], start + limit - search - pos, start + limit - pos)
            spans.append((start, cut))
            start = cut
        pos = end
    if pos > start:
        spans.append((start, pos))
    return spans


def _quiet_cut(x: np.ndarray, a: int, b: int) -> int:
    """The middle of the quietest 100 ms frame of ``x[a:b]``."""
    frame = SAMPLE_RATE // 10
    n = max(1, (b - a) // frame)
    energy = [float(np.mean(np.square(x[a + i * frame : a + (i + 1) * frame], dtype=np.float64))) for i in range(n)]
    return a + int(np.argmin(energy)) * frame + frame // 2


def as_whisper_chunks(chunks: Iterable[Span]) -> list[dict]:
    """Sample spans as faster-whisper's chunk dicts (``restore_speech_timestamps``)."""
    return [{"start": a, "end": b} for a, b in chunks]

