"""Which of a call's speakers is an enrolled voice.

Each speaker's own speech (overlaps left out) is embedded once; every known voice is
compared with every speaker by cosine similarity, and the best one-to-one pairing above
``match_threshold`` wins (two speakers cannot both be Sam). A known voice that matches
nobody is reported with its best score, so a coach can see how close it came.

A voiceprint keeps one embedding per band (``pipeline/band.py``): a telephone call is compared
with the print's telephone band, a wide-band call with its wide band; a print that lacks
the call's band (learned only from telephone calls) is compared in the band it has,
the call's speakers embedded through the telephone channel for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from listenlens.pipeline.band import PHONE, WIDE
from listenlens.pipeline.timeline import Turn
from listenlens.pipeline.voiceprints.embed import MODEL, Voice, cosine, embed_speech
from listenlens.pipeline.voiceprints.encoders import VoiceEncoder


@dataclass(frozen=True)
class KnownVoice:
    """An enrolled voice: the call's rep (``is_rep``) or another member of the seller's team.
    ``embedding``: its wide band (None when only telephone speech taught it); ``phone``:
    its telephone band."""

    name: str
    embedding: np.ndarray | None
    is_rep: bool = True
    model: str = MODEL
    phone: np.ndarray | None = None

    @classmethod
    def of(cls, name: str, voice: Voice, *, is_rep: bool = True) -> KnownVoice:
        return cls(name, voice.in_band(WIDE), is_rep, voice.model, voice.in_band(PHONE))

    def in_band(self, band: str) -> np.ndarray | None:
        return self.embedding if band == WIDE else self.phone

    def band_for(self, call_band: str) -> str | None:
        """The band to compare a call of ``call_band`` in: its own if this voice has it."""
        other = PHONE if call_band == WIDE else WIDE
        return next((b for b in (call_band, other) if self.in_band(b) is not None), None)


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
    model: str = MODEL
    band: str = WIDE  # the call's
    bands: dict[str, str] = field(default_factory=dict)  # known name -> the band it was compared in

    @property
    def rep_match(self) -> VoiceMatch | None:
        return next((m for m in self.matches if m.is_rep), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "band": self.band,
            "compared_in": dict(self.bands),
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

    def bands_needed(self, call_band: str, model: str) -> set[str]:
        """The bands the call's speakers must be embedded in to compare with ``known``."""
        return {b for k in self.known if k.model == model and (b := k.band_for(call_band)) is not None}

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
    samples_of, turns: list[Turn], channel_of: dict[str, int] | None = None, *, min_speech_s: float = 2.0,
    encoder: VoiceEncoder | None = None, band: str = WIDE, phone: bool = False, labels: list[str] | None = None,
) -> dict[str, Voice]:
    """Each speaker's voice from its solo speech; ``samples_of(channel)`` gives the signal
    (channel None: the mono mix), recorded in ``band``; ``phone``: wide-band speech also
    through the telephone channel. Speakers with less than ``min_speech_s`` are left out;
    ``labels``: only these speakers."""
    voices: dict[str, Voice] = {}
    for label in sorted({t.speaker for t in turns}):
        if labels is not None and label not in labels:
            continue
        channel = (channel_of or {}).get(label)
        own = [t for t in turns if channel is None or (channel_of or {}).get(t.speaker) == channel]
        voice = embed_speech(samples_of(channel), solo_spans(own, label), min_speech_s=min_speech_s, encoder=encoder,
                             band=band, phone=phone)
        if voice is not None:
            voices[label] = voice
    return voices


def match_speakers(
    heard: dict[str, Voice], known: list[KnownVoice], threshold: float | Mapping[str, float], *, model: str = MODEL,
    band: str = WIDE,
) -> VoiceCheck:
    """Pair the call's speakers (``heard``, a call of ``band``) with the known voices of
    encoder ``model``; another encoder's voiceprints are not compared. ``threshold`` may
    be given per band: a print compared in another band than the call's (it lacks the
    call's) is held to that band's."""
    per_band = dict(threshold) if isinstance(threshold, Mapping) else {WIDE: threshold, PHONE: threshold}
    check = VoiceCheck(threshold=per_band[band], compared=sorted(heard), model=model, band=band)
    usable = [k for k in known if k.model == model and k.band_for(band) is not None]
    if not heard or not usable:
        return check
    labels = sorted(heard)
    sim = np.zeros((len(labels), len(usable)))
    for j, k in enumerate(usable):
        kb = k.band_for(band) or band
        check.bands[k.name] = kb
        print_emb = k.in_band(kb)
        assert print_emb is not None  # band_for picked a band the print has
        for i, lbl in enumerate(labels):
            # A speaker not embedded in the print's band is compared in its own: better a
            # band mismatch than no comparison.
            theirs = heard[lbl].in_band(kb)
            sim[i, j] = cosine(theirs if theirs is not None else heard[lbl].embedding, print_emb)
    for j, k in enumerate(usable):
        check.best[k.name] = float(sim[:, j].max())
    rows, cols = linear_sum_assignment(-sim)
    for i, j in zip(rows, cols):
        if sim[i, j] >= per_band[check.bands[usable[j].name]]:
            check.matches.append(VoiceMatch(labels[i], usable[j].name, float(sim[i, j]), usable[j].is_rep))
    check.matches.sort(key=lambda m: (not m.is_rep, -m.score))
    return check
