"""Attribution: every recognised word gets the speaker who said it, and a confidence.

On a mono call two kinds of evidence meet, and neither is right alone:

* **the diarizer's frame activity** (``SpeakerActivity``: how strongly each speaker is
  heard in each frame). A word goes to the speaker most active over it, and the margin
  over the runner-up is how sure that is. Where one voice is heard the margin is near 1;
  at a turn edge the two ramps cross and the margin is small; in overlapped speech both
  speakers are active and the frames cannot say whose voice a word is.
* **the recogniser's sentences**. Whisper follows one voice through a stretch of speech
  and punctuates where that voice's sentence ends, so the words between two sentence
  ends (final punctuation, a pause of ``SENTENCE_PAUSE_S``, or a recogniser segment
  that opens with a capital: Whisper also starts segments mid-sentence, in lower case)
  are, short of evidence to the contrary, one speaker's.

So each word first takes the frames' answer; a word the frames are unsure of (margin
under ``UNSURE_MARGIN``: a turn edge, an overlap) then takes the speaker of the nearest
word of its recogniser sentence that the frames are sure of. A word's timestamp is
least exact at a sentence's edges, where a speaker change falls, so a sentence's last
word (the one carrying its final punctuation) or first word that the frames give to
someone else joins its sentence unless the frames are sure beyond ``EDGE_SURE_MARGIN``.
The word keeps the confidence of the evidence that placed it.

Backends without frame activity fall back to the turns: a word goes to the speaker
whose turns cover most of it, a word in a gap between turns to the nearest turn. On a
dual-channel call a word belongs to its channel's party, and a word heard on both
channels (crosstalk the per-channel regions did not exclude) is kept once, on the
channel where it is loudest. A word transcribed on one channel only can still be the
other party's voice leaking in (a speaker's own speech region runs on through a short
pause while the other party talks, and the recogniser writes down what leaks in there):
it is dropped when its channel is no louder over it than the measured leak of the other
channels predicts (``drop_leaked_words``).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

import numpy as np

from listenlens.pipeline.asr import AsrSegment, word_key
from listenlens.pipeline.constants import LEVEL_FRAME_S as FRAME_S
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.diarize.base import SpeakerActivity
from listenlens.pipeline.diarize.channels import LeakPath, frame_levels_db, noise_floor_db, predicted_leak_db
from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.timeline import Turn, Word

# A word this far from every turn still goes to the nearest one: the recogniser's
# word edges and the diarizer's turn edges disagree by a few hundred ms.
NEAREST_TURN_MAX_S = 2.0
# Two words on different channels are the same utterance heard twice if their texts
# match and their centres are this close.
DUPLICATE_MAX_OFFSET_S = 0.35
# Frame activity margins (0-1, the most active speaker's mean activity over a word minus
# the runner-up's). Under UNSURE_MARGIN the frames cannot decide and the sentence does;
# a sentence-edge word leaves its sentence only when the frames are sure beyond
# EDGE_SURE_MARGIN (the edge is where word timestamps are least exact).
UNSURE_MARGIN = 0.5
EDGE_SURE_MARGIN = 0.9
# Below this activity nobody is heard over a word (it lies in a gap of the diarizer's
# speech): the turns decide.
HEARD_MIN = 0.05
# A pause this long between two recognised words ends a sentence even without punctuation.
SENTENCE_PAUSE_S = 1.0
# A word is its own channel's speech only when that channel beats the other channels'
# predicted leak over it by this much (the channels diarizer's per-frame margin,
# ``ChannelTuning.leak_margin_db``: genuine speech is 15+ dB above its leak, even in an
# overlap, while a leak's level wanders a few dB around its measured gain).
LEAK_WORD_MARGIN_DB = 6.0
# ...and only where that predicted leak is audible on the channel at all: above its noise
# floor by this much (the diarizer's ``active_db``). Over quieter leak there is nothing to
# mistake for speech, and a soft word of the channel's own is kept.
LEAK_AUDIBLE_DB = 10.0
# A word's level is taken over at least this long from its start: the recogniser puts the
# first word of a turn that cuts in at its onset with no length at all ("Right," at 28.82 to
# 28.82), a frame or two early, where only the other voice's leak is heard yet.
LEAK_WORD_MIN_S = 0.3
# Confidence of a word placed by the nearest turn or a gap: the diarizer did not hear it.
GAP_CONFIDENCE = 0.5
_SENTENCE_END = re.compile(r"[.?!…]+[\"')\]]*$")


def attribute_words(
    segments: list[AsrSegment],
    turns: list[Turn],
    channel_of: dict[str, int] | None = None,
    activity: SpeakerActivity | None = None,
) -> list[Word]:
    """Each recognised word with its speaker and ``speaker_confidence``."""
    by_channel: dict[int, list[str]] = {}
    for label, ch in (channel_of or {}).items():
        by_channel.setdefault(ch, []).append(label)
    index = _TurnIndex(turns)
    known = {t.speaker for t in turns}
    if activity is not None and not known <= set(activity.labels):
        # The turns were relabelled after diarization (a split by voiceprint): the frames
        # no longer speak for every speaker, so the turns decide.
        activity = None
    words: list[Word] = []
    sentence_of: list[int] = []
    sentence, last_end = 0, None
    for seg in segments:
        allowed = by_channel.get(seg.channel) if seg.channel is not None else None
        # Whisper starts segments mid-sentence too: a segment that opens in lower case
        # goes on with the sentence before it.
        if seg.words and not seg.words[0].text.strip()[:1].islower():
            sentence += 1
        for w in seg.words:
            if last_end is not None and w.start - last_end >= SENTENCE_PAUSE_S:
                sentence += 1
            last_end = w.end
            speaker: str | None
            if allowed is not None and len(allowed) == 1:
                speaker, confidence = allowed[0], 1.0
            elif activity is not None and allowed is None:
                speaker, confidence = _by_activity(activity, known, index, w.start, w.end)
            else:
                speaker, confidence = index.speaker_for(w.start, w.end, allowed)
            if speaker is not None:
                words.append(Word(w.start, max(w.end, w.start), w.text, speaker, w.probability, confidence))
                sentence_of.append(sentence)
            if _SENTENCE_END.search(w.text.strip()):
                sentence += 1
    if activity is not None and not by_channel:
        words = _by_sentence(words, sentence_of)
    words.sort(key=lambda w: (w.start, w.end))
    return words


def _by_activity(activity: SpeakerActivity, known: set[str], index: _TurnIndex, start: float, end: float) -> tuple[str | None, float]:
    """The speaker most active over [start, end) and the margin over the runner-up."""
    act = {k: v for k, v in activity.mean(start, end).items() if k in known}
    ranked = sorted(act.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < HEARD_MIN:
        return index.speaker_for(start, end)
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    return ranked[0][0], float(min(1.0, max(0.0, ranked[0][1] - second)))


def _by_sentence(words: list[Word], sentence_of: list[int]) -> list[Word]:
    """Words the frames are unsure of take their recogniser sentence's speaker (see the module doc)."""
    out = list(words)
    groups: dict[int, list[int]] = {}
    for i, s in enumerate(sentence_of):
        groups.setdefault(s, []).append(i)
    for idx in groups.values():
        sure = [i for i in idx if words[i].speaker_confidence >= UNSURE_MARGIN]
        if not sure:
            continue
        for i in idx:
            if words[i].speaker_confidence >= UNSURE_MARGIN:
                continue
            # The nearest sure word of the sentence; the earlier one on a tie (a voice
            # carries on into an overlap more often than it starts in one).
            j = min(sure, key=lambda k: (abs(k - i), k > i))
            out[i] = replace(words[i], speaker=words[j].speaker)
        if len(idx) >= 3:
            for edge, inner in ((idx[0], idx[1:]), (idx[-1], idx[:-1])):
                others = {out[k].speaker for k in inner}
                if len(others) == 1 and out[edge].speaker not in others and words[edge].speaker_confidence < EDGE_SURE_MARGIN:
                    out[edge] = replace(out[edge], speaker=out[inner[0]].speaker)
    return out


class _TurnIndex:
    def __init__(self, turns: list[Turn]):
        self.turns = sorted(turns, key=lambda t: t.start)
        self.starts = [t.start for t in self.turns]
        self.max_len = max((t.duration for t in self.turns), default=0.0)

    def speaker_for(self, start: float, end: float, allowed: list[str] | None = None) -> tuple[str | None, float]:
        """The speaker whose turns cover most of [start, end) and the share of the word
        by which they lead; in a gap, the nearest turn's speaker at ``GAP_CONFIDENCE``."""
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
            ranked = sorted(overlap.values(), reverse=True)
            lead = (ranked[0] - (ranked[1] if len(ranked) > 1 else 0.0)) / max(end - start, 1e-6)
            return max(overlap.items(), key=lambda kv: kv[1])[0], float(min(1.0, max(0.0, lead)))
        return (nearest[1], GAP_CONFIDENCE) if nearest else (None, 0.0)


def drop_crosstalk_duplicates(per_channel: list[list[AsrSegment]], samples: np.ndarray) -> list[AsrSegment]:
    """Merge per-channel transcripts, keeping a word heard on two channels only once."""
    flat = [(seg, i, w) for segs in per_channel for seg in segs for i, w in enumerate(seg.words)]
    drop: set[tuple[int, int]] = set()
    by_text: dict[str, list[tuple[AsrSegment, int]]] = {}
    for seg, i, w in flat:
        by_text.setdefault(word_key(w.text), []).append((seg, i))
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


def drop_leaked_words(
    segments: list[AsrSegment], samples: np.ndarray, paths: list[LeakPath], *, margin_db: float = LEAK_WORD_MARGIN_DB
) -> list[AsrSegment]:
    """Segments without the words that are another channel's voice leaking into theirs.

    ``paths``: how each channel leaks into each other (the channels diarizer's measured
    ``LeakPath``s). A word on channel c is leak when, over its frames, c's power is
    within ``margin_db`` of (or below) the leak the other channels predict there, and that
    leak is audible on c: the same sound, louder on its own channel, was heard here as an
    echo of it.
    """
    x = np.atleast_2d(np.asarray(samples))
    if x.shape[0] < 2 or not any(p.known for p in paths):
        return segments
    levels = frame_levels_db(x)
    leak = predicted_leak_db(levels, paths)
    floors = [noise_floor_db(lv) for lv in levels]
    n = levels.shape[1]
    out: list[AsrSegment] = []
    for seg in segments:
        c = seg.channel
        if c is None or c >= x.shape[0]:
            out.append(seg)
            continue
        kept = []
        for w in seg.words:
            a = min(max(int(w.start / FRAME_S), 0), n - 1)
            b = min(max(int(np.ceil(max(w.end, w.start + LEAK_WORD_MIN_S) / FRAME_S)), a + 1), n)
            own, heard = _power_db(levels[c, a:b]), _power_db(leak[c, a:b])
            if not (heard > floors[c] + LEAK_AUDIBLE_DB and own < heard + margin_db):
                kept.append(w)
        if len(kept) == len(seg.words):
            out.append(seg)
        elif kept:
            out.append(AsrSegment(kept[0].start, kept[-1].end, " ".join(w.text for w in kept), kept, seg.channel))
    return out


def _power_db(levels_db: np.ndarray) -> float:
    """Mean power of frames given in dB, in dB (loud frames dominate, as the ear hears)."""
    return float(10 * np.log10(np.mean(np.power(10.0, levels_db / 10.0)) + 1e-20))


@dataclass
class Utterance:
    speaker: str
    start: float
    end: float
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def utterances(words: list[Word], *, max_gap_s: float | None = None, max_len_s: float = 12.0) -> list[Utterance]:
    """Group consecutive words of one speaker; break at the pause that ends a line
    everywhere else (the metrics' ``pause_s``, as in ``pipeline/lines.py``) and, since a
    caption must stay short, in long stretches at sentence ends (captions and the
    terminal transcript)."""
    if max_gap_s is None:
        max_gap_s = MetricsConfig().pause_s
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


def _energy(x: np.ndarray, start: float, end: float) -> float:
    seg = x[int(start * SAMPLE_RATE) : max(int(end * SAMPLE_RATE), int(start * SAMPLE_RATE) + 1)]
    return float(np.mean(seg.astype(np.float64) ** 2)) if seg.size else 0.0
