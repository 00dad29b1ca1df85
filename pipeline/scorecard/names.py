"""What people are called on every page and report: the rep's given name and "Customer"
(or a name heard in the call), never a diarizer's label such as ``SPEAKER_01`` or ``CH0``.

``SpeakerNames.build(speakers, words, rep_name=...)`` decides once per call; every reader
(terminal report, pages, coaching moments) then asks it for ``names[label]``.

Order of preference for a speaker's name:

1. the name of an enrolled voice the speaker matched (``Speaker.name``, from voiceprints);
2. the rep's name as given (``rep=sam`` on upload, a name passed as ``--rep``), for the rep;
3. a name the speaker says about themselves ("my name is Dana", "this is Sam from Acme",
   "Dana speaking");
4. the role in words: "Rep", "Customer", "Other speaker"; numbered ("Customer 2") when
   a side has several voices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ROLE_WORDS = {"rep": "Rep", "customer": "Customer", "unknown": "Other speaker"}

# Matched on the recogniser's cased text: a name is capitalised, which tells
# "this is Sam from Acme" from "this is great".
_NAME = r"([A-Z][a-z'-]{1,20})"
SELF_INTRODUCTIONS = [
    re.compile(r"\b(?i:my name is|my name's|name is)\s+" + _NAME + r"\b"),
    re.compile(r"\b(?i:this is|i'm|i am|it's)\s+" + _NAME + r"\s*,?\s+(?i:from|with|at|calling|here)\b"),
    re.compile(r"(?:^|[.!?]\s+|\b(?i:hi|hello|hey),?\s+)" + _NAME + r"\s+(?i:speaking|here)\b"),
]
# Capitalised words these patterns can catch that are not names.
NOT_NAMES = {"Just", "Not", "Really", "So", "Sorry", "Sure", "Here", "The", "Calling", "Glad", "Happy", "Good",
             "Great", "Fine", "Well", "Yes", "Yeah", "No", "Okay", "Ok", "Hi", "Hello", "Hey", "Also", "Still",
             "Actually", "Only", "Going", "Looking", "Trying", "Working"}


def heard_name(text: str) -> str | None:
    """The name a speaker gives for themselves in ``text``, if any."""
    for pattern in SELF_INTRODUCTIONS:
        for m in pattern.finditer(text):
            if m.group(1) not in NOT_NAMES:
                return m.group(1)
    return None


def _role_value(role: object) -> str:
    return str(getattr(role, "value", role) or "unknown")


@dataclass(frozen=True)
class SpeakerNames:
    """label -> the name people read; unknown labels read as "Other speaker"."""

    names: Mapping[str, str]
    roles: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, label: str | None) -> str:
        if label is None:
            return ROLE_WORDS["unknown"]
        return self.names.get(label) or ROLE_WORDS.get(self.roles.get(label, ""), ROLE_WORDS["unknown"])

    def of_role(self, role) -> str:
        """The name of a side: its one speaker's name, else the role in words."""
        role = _role_value(role)
        labels = [lbl for lbl, r in self.roles.items() if r == role]
        return self.names[labels[0]] if len(labels) == 1 else ROLE_WORDS.get(role, ROLE_WORDS["unknown"])

    @property
    def rep(self) -> str:
        return self.of_role("rep")

    @property
    def customer(self) -> str:
        return self.of_role("customer")

    @classmethod
    def build(cls, speakers: Iterable[tuple[str, object]], words: Iterable[tuple[str, str]] = (), *,
              rep_name: str | None = None, known: Mapping[str, str] | None = None) -> SpeakerNames:
        """Names for ``speakers`` (label, role) from what each said (``words``: label, text);
        ``known``: label -> the name of the enrolled voice it matched."""
        known = {label: name for label, name in (known or {}).items() if name}
        pairs: list[tuple[str, str]] = list(dict.fromkeys((label, _role_value(role)) for label, role in speakers))
        said: dict[str, list[str]] = {}
        for label, text in words:
            said.setdefault(label, []).append(text or "")
        heard = {label: heard_name(" ".join(said.get(label, []))) for label, _ in pairs}
        rep_name = (rep_name or "").strip() or None
        names: dict[str, str] = {}
        by_role: dict[str, list[str]] = {}
        for label, role in pairs:
            by_role.setdefault(role, []).append(label)
        given_to = next((lbl for lbl in by_role.get("rep", []) if lbl not in known), None) if rep_name else None
        for role, labels in by_role.items():
            for i, label in enumerate(labels):
                if label in known:
                    name = known[label]
                elif label == given_to and rep_name:
                    name = rep_name
                else:
                    name = heard[label] or ROLE_WORDS.get(role, ROLE_WORDS["unknown"])
                    if len(labels) > 1 and not heard[label]:
                        name = f"{name} {i + 1}"
                names[label] = name
        # Two people heard with the same name (or a customer called like the rep) stay apart.
        seen: dict[str, int] = {}
        role_of = dict(pairs)
        for label, _ in pairs:
            n = seen.get(names[label], 0) + 1
            seen[names[label]] = n
            if n > 1:
                names[label] = f"{names[label]} ({ROLE_WORDS.get(role_of[label], 'other').lower()})"
        return cls(names, role_of)


def names_from_timeline(timeline: Mapping | object, rep_name: str | None = None) -> SpeakerNames:
    """``SpeakerNames`` of a ``CallTimeline`` or its stored dict."""
    if isinstance(timeline, Mapping):
        listed = timeline.get("speakers") or []
        speakers = [(s["label"], s.get("role", "unknown")) for s in listed]
        known = {s["label"]: s.get("name") for s in listed if s.get("name")}
        words = [(w["speaker"], w.get("text") or "") for w in timeline.get("words") or []]
    else:
        speakers = [(s.label, s.role) for s in timeline.speakers]  # type: ignore[attr-defined]
        known = {s.label: s.name for s in timeline.speakers if getattr(s, "name", None)}  # type: ignore[attr-defined]
        words = [(w.speaker, w.text) for w in timeline.words]  # type: ignore[attr-defined]
    return SpeakerNames.build(speakers, words, rep_name=rep_name, known=known)


def names_from_scorecard(card, rep_name: str | None = None) -> SpeakerNames:
    """``SpeakerNames`` from a scorecard alone (its speakers and the words quoted in its moments)."""
    speakers = [(s.label, s.role) for s in card.speakers]
    words = [(line.speaker, line.text) for m in card.moments for line in m.transcript]
    return SpeakerNames.build(speakers, words, rep_name=rep_name)
