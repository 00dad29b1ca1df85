"""Which of a call's speakers is an enrolled voice.

Each speaker's own speech (overlaps left out) is embedded once; every known voice is
compared with every speaker by cosine similarity, and the best one-to-one pairing above
``match_threshold`` wins (two speakers cannot both be Sam). A known voice that matches
nobody is reported with its best score, so a coach can see how close it came.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from listenlens.pipeline.timeline import Turn
from listenlens.pipeline.voiceprints.embed import MODEL, Voice, cosine, embed_speech


@dataclass(frozen=True)
class KnownVoice:
    """An enrolled voice: the call's rep (``is_rep``) or another member of the seller's team."""

    name: str
    embedding: np.ndarray
    is_rep: bool = True
    model: str = MODEL


@dataclass(frozen=True)
class VoiceMatch:
    label: str
    name: str
    score: float
    is_rep: bool


@dataclass
class VoiceCheck:
    """The outcome of comparing a call's speakers with the known voices."""

    threshold: float
    matches: list[VoiceMatch] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)  # known name -> best score over speakers
    compared: list[str] = field(default_factory=list)  # speaker labels with enough speech to compare

    @property
    def rep_match(self) -> VoiceMatch | None:
        return next((m for m in self.matches if m.is_rep), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": MODEL,
            "threshold": self.threshold,
            "matches": [{"speaker": m.label, "name": m.name, "score": round(m.score, 3),
                         "side": "rep" if m.is_rep else "team"} for m in self.matches],
            "best": {k: round(v, 3) for k, v in self.best.items()},
        }


@dataclass
class CallVoices:
    """What the pipeline is told about a call's voices, and what it heard.

    ``known``: the voiceprints to look for (the rep's first). The pipeline fills ``heard``
    (every speaker's voice: on a dual-channel call, from its own channel) and ``check``.
    """

    known: list[KnownVoice] = field(default_factory=list)
    heard: dict[str, Voice] = field(default_factory=dict)
    check: VoiceCheck | None = None

    @property
    def rep_voice(self) -> KnownVoice | None:
        return next((k for k in self.known if k.is_rep), None)


def solo_spans(turns: list[Turn], label: str) -> list[tuple[float, float]]:
    """Where ``label`` speaks and nobody else does."""
    from pyannote.core import Segment
    from pyannote.core import Timeline as PTimeline

    own = PTimeline([Segment(t.start, t.end) for t in turns if t.speaker == label and t.end > t.start]).support()
    others = PTimeline([Segment(t.start, t.end) for t in turns if t.speaker != label and t.end > t.start]).support()
    alone = own.extrude(others) if len(others) else own
    return [(s.start, s.end) for s in alone]


def speaker_voices(
    samples_of, turns: list[Turn], channel_of: dict[str, int] | None = None, *, min_speech_s: float = 2.0, encoder=None
) -> dict[str, Voice]:
    """Each speaker's voice from its solo speech; ``samples_of(channel)`` gives the signal
    (channel None: the mono mix). Speakers with less than ``min_speech_s`` are left out."""
    voices: dict[str, Voice] = {}
    for label in sorted({t.speaker for t in turns}):
        channel = (channel_of or {}).get(label)
        own = [t for t in turns if channel is None or (channel_of or {}).get(t.speaker) == channel]
        voice = embed_speech(samples_of(channel), solo_spans(own, label), min_speech_s=min_speech_s, encoder=encoder)
        if voice is not None:
            voices[label] = voice
    return voices


def match_speakers(heard: dict[str, Voice], known: list[KnownVoice], threshold: float) -> VoiceCheck:
    check = VoiceCheck(threshold=threshold, compared=sorted(heard))
    usable = [k for k in known if k.model == MODEL]
    if not heard or not usable:
        return check
    labels = sorted(heard)
    sim = np.array([[cosine(heard[lbl].embedding, k.embedding) for k in usable] for lbl in labels])
    for j, k in enumerate(usable):
        check.best[k.name] = float(sim[:, j].max())
    rows, cols = linear_sum_assignment(-sim)
    for i, j in zip(rows, cols):
        if sim[i, j] >= threshold:
            check.matches.append(VoiceMatch(labels[i], usable[j].name, float(sim[i, j]), usable[j].is_rep))
    check.matches.sort(key=lambda m: (not m.is_rep, -m.score))
    return check
