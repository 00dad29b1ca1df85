"""The call timeline: who spoke when, and every word with its speaker.

Every metric is a function of a ``CallTimeline`` alone, so metrics are tested on
hand-built timelines without audio. The types are small and exact, after
pyannote.core's ``Segment``/``Annotation``: times are seconds from the start of the
recording, intervals are half-open ``[start, end)``.

The JSON form (``to_dict``/``from_dict``) is versioned by ``SCHEMA``; see
``docs/timeline-schema.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pyannote.core import Annotation, Segment
from pyannote.core import Timeline as PTimeline

SCHEMA = "listenlens.timeline/1"


class Role(str, Enum):
    REP = "rep"
    CUSTOMER = "customer"
    UNKNOWN = "unknown"


class RoleSource(str, Enum):
    CHANNEL_MAP = "channel_map"  # the caller said which channel holds whom
    HINT = "hint"  # the caller named the rep's label
    INFERRED = "inferred"  # read from the call: introductions, who asks
    VOICEPRINT = "voiceprint"  # a speaker's voice matches the rep's enrolled voice
    NONE = "none"  # nothing to go on (one speaker, no words)


@dataclass(frozen=True, slots=True)
class Turn:
    """One stretch of speech by one speaker (a diarization output row)."""

    start: float
    end: float
    speaker: str

    def __post_init__(self) -> None:
        # Backends hand over numpy scalars; the timeline holds plain floats (JSON-ready).
        object.__setattr__(self, "start", float(self.start))
        object.__setattr__(self, "end", float(self.end))

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def segment(self) -> Segment:
        return Segment(self.start, self.end)


@dataclass(frozen=True, slots=True)
class Word:
    start: float
    end: float
    text: str
    speaker: str
    probability: float = 1.0  # the recogniser's probability of the word's text
    # How sure attribution is that ``speaker`` said it (0-1): 1 where one voice is heard
    # or the word's channel says whose it is, low at a turn edge the diarizer is unsure
    # of and in overlapped speech.
    speaker_confidence: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", float(self.start))
        object.__setattr__(self, "end", float(self.end))
        object.__setattr__(self, "probability", float(self.probability))
        object.__setattr__(self, "speaker_confidence", float(self.speaker_confidence))

    @property
    def mid(self) -> float:
        return 0.5 * (self.start + self.end)


@dataclass(slots=True)
class Speaker:
    label: str
    role: Role = Role.UNKNOWN
    channel: int | None = None
    name: str | None = None  # who it is, when known (an enrolled voice matched)


@dataclass(slots=True)
class RoleAssignment:
    source: RoleSource = RoleSource.NONE
    confidence: float = 0.0
    evidence: list[str] = field(default_factory=list)


@dataclass
class CallTimeline:
    duration: float
    speech: list[Turn]
    words: list[Word]
    speakers: list[Speaker]
    roles: RoleAssignment = field(default_factory=RoleAssignment)
    source: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.speech = sorted(self.speech, key=lambda t: (t.start, t.end, t.speaker))
        self.words = sorted(self.words, key=lambda w: (w.start, w.end))
        known = {s.label for s in self.speakers}
        for label in sorted({t.speaker for t in self.speech} | {w.speaker for w in self.words}):
            if label not in known:
                self.speakers.append(Speaker(label))
                known.add(label)

    # -- roles -----------------------------------------------------------------
    def role_of(self, label: str) -> Role:
        for s in self.speakers:
            if s.label == label:
                return s.role
        return Role.UNKNOWN

    def labels(self, role: Role | None = None) -> list[str]:
        return [s.label for s in self.speakers if role is None or s.role == role]

    # -- pyannote views --------------------------------------------------------
    def annotation(self) -> Annotation:
        """Speech as a pyannote Annotation (one track per turn, so own overlaps stay)."""
        return turns_annotation(self.speech, self.source.get("name", "call"))

    def support(self, labels: Iterable[str] | None = None) -> PTimeline:
        """Union of the speech of ``labels`` (all speakers if None)."""
        wanted = None if labels is None else set(labels)
        tl = PTimeline(
            [t.segment for t in self.speech if t.end > t.start and (wanted is None or t.speaker in wanted)]
        )
        return tl.support()

    # -- JSON ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "duration": round(self.duration, 3),
            "source": self.source,
            "roles": {
                "source": self.roles.source.value,
                "confidence": round(self.roles.confidence, 3),
                "evidence": list(self.roles.evidence),
            },
            "speakers": [
                {"label": s.label, "role": s.role.value, "channel": s.channel, **({"name": s.name} if s.name else {})}
                for s in self.speakers
            ],
            "speech": [
                {"start": round(t.start, 3), "end": round(t.end, 3), "speaker": t.speaker} for t in self.speech
            ],
            "words": [
                {
                    "start": round(w.start, 3),
                    "end": round(w.end, 3),
                    "text": w.text,
                    "speaker": w.speaker,
                    "probability": round(w.probability, 3),
                    "speaker_confidence": round(w.speaker_confidence, 3),
                }
                for w in self.words
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallTimeline:
        schema = data.get("schema")
        if schema != SCHEMA:
            raise ValueError(f"unsupported timeline schema {schema!r}; this version reads {SCHEMA!r}")
        roles = data.get("roles") or {}
        return cls(
            duration=float(data["duration"]),
            source=dict(data.get("source") or {}),
            roles=RoleAssignment(
                source=RoleSource(roles.get("source", "none")),
                confidence=float(roles.get("confidence", 0.0)),
                evidence=list(roles.get("evidence", [])),
            ),
            speakers=[
                Speaker(s["label"], Role(s.get("role", "unknown")), s.get("channel"), s.get("name"))
                for s in data["speakers"]
            ],
            speech=[Turn(float(t["start"]), float(t["end"]), t["speaker"]) for t in data["speech"]],
            words=[
                Word(float(w["start"]), float(w["end"]), w["text"], w["speaker"], float(w.get("probability", 1.0)),
                     float(w.get("speaker_confidence", 1.0)))
                for w in data["words"]
            ],
        )


def turns_annotation(turns: Iterable[Turn], uri: str = "call") -> Annotation:
    """Turns as a pyannote Annotation, one track per turn (a speaker's own overlapping
    turns stay apart); empty turns are left out."""
    ann = Annotation(uri=uri)
    for i, t in enumerate(turns):
        if t.end > t.start:
            ann[t.segment, i] = t.speaker
    return ann


def annotation_turns(annotation: Annotation) -> list[Turn]:
    """A pyannote Annotation back to Turns, sorted; empty segments are left out."""
    turns = [
        Turn(float(segment.start), float(segment.end), str(label))
        for segment, _, label in annotation.itertracks(yield_label=True)
        if segment.end > segment.start
    ]
    return sorted(turns, key=lambda t: (t.start, t.end, t.speaker))


def build_timeline(
    turns: Iterable[tuple[float, float, str]],
    words: Iterable[tuple[float, float, str, str]] = (),
    roles: dict[str, Role | str] | None = None,
    duration: float | None = None,
) -> CallTimeline:
    """Compact constructor for hand-built timelines (tests, notebooks, docs).

    ``turns``: (start, end, speaker); ``words``: (start, end, text, speaker);
    ``roles``: speaker -> "rep"/"customer".
    """
    speech = [Turn(float(s), float(e), spk) for s, e, spk in turns]
    word_list = [Word(float(s), float(e), txt, spk) for s, e, txt, spk in words]
    roles = roles or {}
    labels = sorted({t.speaker for t in speech} | {w.speaker for w in word_list} | set(roles))
    speakers = [Speaker(lbl, Role(roles.get(lbl, Role.UNKNOWN))) for lbl in labels]
    end = max([t.end for t in speech] + [w.end for w in word_list] + [0.0])
    return CallTimeline(
        duration=float(duration if duration is not None else end),
        speech=speech,
        words=word_list,
        speakers=speakers,
        roles=RoleAssignment(RoleSource.HINT if roles else RoleSource.NONE, 1.0 if roles else 0.0),
    )
