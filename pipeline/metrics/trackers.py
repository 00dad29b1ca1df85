"""Trackers: a tenant's named phrase lists, found in the call with their times.

``find_tracker_hits(timeline, {"competitors": ["Gong", "Chorus"], "pricing": ["price",
"discount"]})`` matches each phrase on lower-cased tokens (punctuation ignored, so
"Gong," and "gong" match "Gong") inside one speaker's sentence; a phrase of several
words matches them in a row. Each hit is a moment with its speaker and role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from listenlens.errors import ConfigError
from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.moments import side_sentences
from listenlens.pipeline.metrics.text import tokens
from listenlens.pipeline.timeline import CallTimeline, Role


class TrackerError(ConfigError):
    """A tracker definition that cannot be matched."""


@dataclass(frozen=True)
class TrackerHit:
    tracker: str
    phrase: str  # the phrase of the list that matched, as given
    speaker: str
    role: Role
    start: float
    end: float
    text: str  # the words as recognised


def find_tracker_hits(
    timeline: CallTimeline, trackers: Mapping[str, Sequence[str]], config: MetricsConfig | None = None
) -> list[TrackerHit]:
    config = config or MetricsConfig()
    compiled = compile_trackers(trackers)
    out: list[TrackerHit] = []
    for s in side_sentences(timeline, None, config):
        pairs = [(t, w) for w in s.words for t in tokens(w.text)]
        toks = tuple(t for t, _ in pairs)
        for name, phrases in compiled:
            i = 0
            while i < len(toks):
                hit = next(((given, p) for given, p in phrases if toks[i : i + len(p)] == p), None)
                if hit is None:
                    i += 1
                    continue
                given, p = hit
                words = [w for _, w in pairs[i : i + len(p)]]
                uniq = list(dict.fromkeys(words))
                out.append(TrackerHit(name, given, s.speaker, timeline.role_of(s.speaker), uniq[0].start, uniq[-1].end,
                                      " ".join(w.text.strip() for w in uniq)))
                i += len(p)
    return sorted(out, key=lambda h: (h.start, h.tracker))


def compile_trackers(trackers: Mapping[str, Sequence[str]]):
    """Each tracker's phrases as token tuples, longest first; ``TrackerError`` says what to fix."""
    if not isinstance(trackers, Mapping):
        raise TrackerError("trackers must map a tracker name to a list of phrases, e.g. {\"pricing\": [\"price\", \"discount\"]}")
    out = []
    for name, phrases in trackers.items():
        if isinstance(phrases, str) or not isinstance(phrases, Sequence):
            raise TrackerError(f"tracker {name!r}: give a list of phrases, not {type(phrases).__name__}")
        compiled = []
        for given in phrases:
            toks = tuple(tokens(str(given)))
            if not toks:
                raise TrackerError(f"tracker {name!r}: phrase {given!r} has no words to match; remove it or add words")
            compiled.append((given, toks))
        # longest first, so "price increase" wins over "price"
        compiled.sort(key=lambda gp: len(gp[1]), reverse=True)
        out.append((name, compiled))
    return out
