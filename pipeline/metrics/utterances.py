"""Utterances: one speaker's continuous speech, with the words spoken in it.

Diarizers cut speech into pieces separated by tiny gaps; an utterance joins a
speaker's pieces when the silence between them is shorter than ``join_gap_s``, or
shorter than ``onset_gap_s`` when it is a hole the diarizer left where another voice
cut in (see ``_lost_at_onset``). Every floor-taking decision (turns, backchannels,
interruptions) is made per utterance.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from pyannote.core import Segment
from pyannote.core import Timeline as PTimeline

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.text import covered_by, join_words, listener_phrases, listener_tokens
from listenlens.pipeline.timeline import CallTimeline, Role, Word


@dataclass
class Utterance:
    speaker: str
    role: Role
    start: float
    end: float
    segments: list[Segment]  # the speaker's actual speech inside [start, end)
    words: list[Word] = field(default_factory=list)
    # The call has a transcript, yet the recogniser wrote no word of this utterance,
    # which is mostly under another speaker's voice: a recogniser follows the louder
    # voice, so a listener's hum there is often left unwritten.
    unheard: bool = False

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def text(self) -> str:
        return join_words(self.words)

    def overlap_with(self, start: float, end: float) -> float:
        """Seconds of this utterance's actual speech inside ``[start, end)``."""
        return sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in self.segments)


def speaker_support(timeline: CallTimeline, label: str) -> PTimeline:
    """The speaker's speech as a union of intervals.

    Speech turns are the timing truth; words are used only for a speaker that has
    words but no speech turns (a hand-made or words-only timeline).
    """
    support = timeline.support([label])
    if len(support) == 0:
        segs = [Segment(w.start, w.end) for w in timeline.words if w.speaker == label and w.end > w.start]
        support = PTimeline(segs).support()
    return support


def build_utterances(timeline: CallTimeline, config: MetricsConfig) -> list[Utterance]:
    """All utterances of the call, sorted by start (longer first on ties)."""
    out: list[Utterance] = []
    supports = {label: speaker_support(timeline, label) for label in timeline.labels()}
    for label, support in supports.items():
        role = timeline.role_of(label)
        others = sorted((seg.start, seg.end) for other, segs in supports.items() if other != label for seg in segs)
        mine: list[Utterance] = []
        for seg in support:
            if mine and seg.start - mine[-1].end < config.join_gap_s:
                mine[-1].end = max(mine[-1].end, seg.end)
                mine[-1].segments.append(seg)
            elif mine and _lost_at_onset(mine[-1], seg, others, timeline.words, config):
                # One utterance, but the hole is not counted as speech: an overlap is only
                # what the diarizer heard of both voices.
                mine[-1].end = seg.end
                mine[-1].segments.append(seg)
            else:
                mine.append(Utterance(label, role, seg.start, seg.end, [seg]))
        if mine:
            starts = [u.start for u in mine]
            for w in timeline.words:
                if w.speaker == label:
                    mine[_nearest(mine, starts, w.mid)].words.append(w)
        out.extend(mine)
    out.sort(key=lambda u: (u.start, -u.end, u.speaker))
    if timeline.words:
        out = [u for u in out if u.words or u.duration >= config.flicker_max_s]
        _mark_unheard(out)
    return out


# How near the other voice's start the hole must begin: a few frames of the diarizer.
ONSET_TOLERANCE_S = 0.2


def _lost_at_onset(
    before: Utterance, resumed: Segment, others: list[tuple[float, float]], words: list[Word], config: MetricsConfig
) -> bool:
    """Whether the silence between ``before`` and ``resumed`` is the diarizer losing this
    voice where another cut in: ``before`` held the floor (it lasted ``backchannel_max_s``
    or more), the silence is shorter than ``onset_gap_s`` and begins within
    ``ONSET_TOLERANCE_S`` of where another voice starts, that voice talks through the
    silence and the resumed piece, and the resumed piece is not a listener's "mm-hmm" by
    its words (a hum the recogniser did not write is taken as more of the same voice)."""
    end = before.end
    if before.duration < config.backchannel_max_s or not resumed.start - end < config.onset_gap_s:
        return False
    lo = bisect.bisect_left(others, (end - ONSET_TOLERANCE_S,))
    hi = bisect.bisect_right(others, (end + ONSET_TOLERANCE_S, float("inf")))
    if not any(o_end >= resumed.end for _, o_end in others[lo:hi]):
        return False
    said = [w for w in words if w.speaker == before.speaker and resumed.start <= w.mid < resumed.end]
    return not said or not _listener_only(listener_tokens(join_words(said)), config)


def _listener_only(toks: list[str], config: MetricsConfig) -> bool:
    """Whether ``toks`` are a listener's tokens and no more than a backchannel holds."""
    return bool(toks) and len(toks) <= config.backchannel_max_words and covered_by(toks, listener_phrases(config.backchannel_words))


def _mark_unheard(utts: list[Utterance]) -> None:
    for u in utts:
        if u.words or u.duration <= 0:
            continue
        under = sum(o.overlap_with(u.start, u.end) for o in utts if o.speaker != u.speaker and o.start < u.end and u.start < o.end)
        u.unheard = under >= 0.5 * u.duration


def _nearest(utts: list[Utterance], starts: list[float], t: float) -> int:
    """Index of the utterance containing ``t``, else the closest one."""
    i = bisect.bisect_right(starts, t) - 1
    candidates = [j for j in (i, i + 1) if 0 <= j < len(utts)]
    return min(candidates, key=lambda j: max(utts[j].start - t, t - utts[j].end, 0.0))


def is_backchannel_form(utt: Utterance, config: MetricsConfig) -> bool:
    """At most ``backchannel_max_words`` words, all listener tokens or under ``backchannel_max_s``.

    Hums count whatever their spelling ("Mmmm", "M -M -H -M", "uh-huh"), as one word for
    a run of them, and drawn-out words as their plain spelling ("okaaay"): a recogniser
    writes a listener's noises in many ways. Without a transcript only the duration can tell;
    an unheard utterance (see ``Utterance.unheard``) may last up to ``backchannel_unheard_max_s``,
    the length of a drawn-out hum, since nothing in it says it was more.
    """
    toks = listener_tokens(utt.text)
    short = utt.duration < config.backchannel_max_s
    if not toks:
        return short or (utt.unheard and utt.duration < config.backchannel_unheard_max_s)
    if len(toks) > config.backchannel_max_words:
        return False
    return short or _listener_only(toks, config)


def speech_span(utterances: list[Utterance]) -> tuple[float, float] | None:
    """First speech start and last speech end, or None for a silent call."""
    if not utterances:
        return None
    return min(u.start for u in utterances), max(u.end for u in utterances)
