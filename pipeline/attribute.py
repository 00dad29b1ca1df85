"""Attribution: every recognised word gets the speaker who said it.

A word goes to the speaker whose turns cover most of it; a word in a gap between turns
goes to the nearest turn. Attribution is per word, so a recogniser segment that spans a
speaker change is split at the change (``utterances`` regroups words by speaker).
On a dual-channel call a word belongs to its channel's party, and a word heard on both
channels (crosstalk the per-channel regions did not exclude) is kept once, on the
channel where it is loudest.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np

from listenlens.pipeline.asr import AsrSegment
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.timeline import Turn, Word

# A word this far from every turn still goes to the nearest one: the recogniser's
# word edges and the diarizer's turn edges disagree by a few hundred ms.
NEAREST_TURN_MAX_S = 2.0
# Two words on different channels are the same utterance heard twice if their texts
# match and their centres are this close.
DUPLICATE_MAX_OFFSET_S = 0.35


def attribute_words(segments: list[AsrSegment], turns: list[Turn], channel_of: dict[str, int] | None = None) -> list[Word]:
    by_channel: dict[int, list[str]] = {}
    for label, ch in (channel_of or {}).items():
        by_channel.setdefault(ch, []).append(label)
    index = _TurnIndex(turns)
    words: list[Word] = []
    for seg in segments:
        allowed = by_channel.get(seg.channel) if seg.channel is not None else None
        for w in seg.words:
            if allowed is not None and len(allowed) == 1:
                speaker = allowed[0]
            else:
                speaker = index.speaker_for(w.start, w.end, allowed)
            if speaker is not None:
                words.append(Word(w.start, max(w.end, w.start), w.text, speaker, w.probability))
    words.sort(key=lambda w: (w.start, w.end))
    return words


class _TurnIndex:
    def __init__(self, turns: list[Turn]):
        self.turns = sorted(turns, key=lambda t: t.start)
        self.starts = [t.start for t in self.turns]
        self.max_len = max((t.duration for t in self.turns), default=0.0)

    def speaker_for(self, start: float, end: float, allowed: list[str] | None = None) -> str | None:
        # Only turns starting after start - max_len can reach the word.
        lo = bisect.bisect_left(self.starts, start - self.max_len - NEAREST_TURN_MAX_S)
        hi = bisect.bisect_right(self.starts, end + NEAREST_TURN_MAX_S)
        overlap: dict[str, float] = {}
        nearest: tuple[float, str] | None = None
        for t in self.turns[lo:hi]:
            if allowed is not None and t.speaker not in allowed:
                continue
            ov = min(end, t.end) - max(start, t.start)
            if ov > 0 or (ov == 0 and end == start and t.start <= start <= t.end):
                overlap[t.speaker] = overlap.get(t.speaker, 0.0) + max(ov, 1e-6)
            gap = max(t.start - end, start - t.end, 0.0)
            if gap <= NEAREST_TURN_MAX_S and (nearest is None or gap < nearest[0]):
                nearest = (gap, t.speaker)
        if overlap:
            return max(overlap.items(), key=lambda kv: kv[1])[0]
        return nearest[1] if nearest else None


def drop_crosstalk_duplicates(per_channel: list[list[AsrSegment]], samples: np.ndarray) -> list[AsrSegment]:
    """Merge per-channel transcripts, keeping a word heard on two channels only once."""
    flat = [(seg, i, w) for segs in per_channel for seg in segs for i, w in enumerate(seg.words)]
    drop: set[tuple[int, int]] = set()
    by_text: dict[str, list[tuple[AsrSegment, int]]] = {}
    for seg, i, w in flat:
        by_text.setdefault(_norm(w.text), []).append((seg, i))
    for key, occurrences in by_text.items():
        if not key or len(occurrences) < 2:
            continue
        occurrences.sort(key=lambda o: _mid(o[0].words[o[1]]))
        for a, (seg_a, ia) in enumerate(occurrences):
            wa = seg_a.words[ia]
            # Sorted by time: only the next few occurrences can be close enough.
            for seg_b, ib in occurrences[a + 1 :]:
                wb = seg_b.words[ib]
                if _mid(wb) - _mid(wa) > DUPLICATE_MAX_OFFSET_S:
                    break
                if seg_a.channel == seg_b.channel:
                    continue
                ea = _energy(samples[seg_a.channel], wa.start, wa.end)
                eb = _energy(samples[seg_b.channel], wb.start, wb.end)
                drop.add((id(seg_b), ib) if ea >= eb else (id(seg_a), ia))
    merged: list[AsrSegment] = []
    for segs in per_channel:
        for seg in segs:
            kept = [w for i, w in enumerate(seg.words) if (id(seg), i) not in drop]
            if kept:
                merged.append(
                    AsrSegment(kept[0].start, kept[-1].end, " ".join(w.text for w in kept), kept, seg.channel)
                )
    merged.sort(key=lambda s: s.start)
    return merged


@dataclass
class Utterance:
    speaker: str
    start: float
    end: float
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def utterances(words: list[Word], *, max_gap_s: float = 1.5, max_len_s: float = 12.0) -> list[Utterance]:
    """Group consecutive words of one speaker; break at long pauses and, in long
    stretches, at sentence ends (for captions and the readable transcript)."""
    out: list[Utterance] = []
    for w in words:
        cur = out[-1] if out else None
        if (
            cur is None
            or cur.speaker != w.speaker
            or w.start - cur.end > max_gap_s
            or (cur.end - cur.start > max_len_s and _ends_sentence(cur.words[-1].text))
        ):
            out.append(Utterance(w.speaker, w.start, w.end, [w]))
        else:
            cur.words.append(w)
            cur.end = max(cur.end, w.end)
    return out


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", "?", "!"))


def _mid(w) -> float:
    return 0.5 * (w.start + w.end)


def _norm(text: str) -> str:
    return re.sub(r"[^\w']", "", text.lower())


def _energy(x: np.ndarray, start: float, end: float) -> float:
    seg = x[int(start * SAMPLE_RATE) : max(int(end * SAMPLE_RATE), int(start * SAMPLE_RATE) + 1)]
    return float(np.mean(seg.astype(np.float64) ** 2)) if seg.size else 0.0
