"""How sure the scorecard can be of each event it reports.

An event stands on three pieces of evidence, all in the timeline:

* **attribution**: whether its words were said by the speaker they are given to
  (``Word.speaker_confidence``: 1 where one voice is heard or the channel says whose
  it is, low at an unsure turn edge and in overlapped speech);
* **overlap**: how much of the event's own speech another speaker talks over (a
  question half drowned by the customer is a question of uncertain words and end);
* **recognition**: whether the words are the words said (the recogniser's
  ``Word.probability``); a question is one by its words, so misheard words make it
  doubtful.

A question's or a paraphrase's confidence is attribution x (1 - overlapped share) x
recognition, each a mean over the words that make the event, in 0-1. A question's
verdict also rests on who spoke next, and a paraphrase on the customer words it
restates: their attribution counts too (the lower of the two means is the event's).

An interruption *is* overlapped speech, where the diarizer is unsure of every word by
nature (it hears two voices), and its words do not make it one: so its confidence is
the attribution of the interrupter's words where they speak alone (all of them when
none are). Below the scorecard's ``uncertain_below`` an event is reported as
*uncertain*: listed, shown, but left out of the score.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyannote.core import Timeline as PTimeline

from listenlens.pipeline.timeline import CallTimeline, Word

# Words after a question that say who spoke next.
NEXT_WORDS = 3
# Attribution of an event with no recognised words (speech the diarizer heard and the
# recogniser did not transcribe): on separate channels the speaker is certain; in a
# mono mix it is the diarizer's word alone, and a detected overlap nobody's words
# confirm is as likely a voice's echo or a backchannel the recogniser dropped as an
# interruption, so it stays under the default uncertain_below.
NO_WORDS_MONO = 0.4


def attribution(words: Sequence[Word]) -> float | None:
    """Mean ``speaker_confidence`` of ``words``; None without words."""
    return sum(w.speaker_confidence for w in words) / len(words) if words else None


def recognition(words: Sequence[Word]) -> float:
    """Mean recogniser probability of ``words`` (1 without words: nothing was misheard)."""
    return sum(w.probability for w in words) / len(words) if words else 1.0


def overlapped_share(timeline: CallTimeline, speaker: str, start: float, end: float) -> float:
    """Share of ``[start, end)`` in which a speaker other than ``speaker`` is talking."""
    return _covered_share(_others_speech(timeline, speaker), start, end)


def _others_speech(timeline: CallTimeline, speaker: str) -> PTimeline:
    return timeline.support([lbl for lbl in timeline.labels() if lbl != speaker])


def _covered_share(speech: PTimeline, start: float, end: float) -> float:
    if end <= start:
        return 0.0
    covered = sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in speech)
    return min(1.0, covered / (end - start))


def words_in(timeline: CallTimeline, speaker: str, start: float, end: float) -> list[Word]:
    return [w for w in timeline.words if w.speaker == speaker and w.end > start and w.start < end]


def event_confidence(timeline: CallTimeline, speaker: str, start: float, end: float, *,
                     words: Sequence[Word] | None = None, extra: Sequence[Word] = ()) -> float:
    """Confidence of an event spoken by ``speaker`` over ``[start, end)``.

    ``words``: the words that make the event (default: the speaker's words in the span);
    ``extra``: further words its verdict rests on (attribution only).
    """
    own = list(words) if words is not None else words_in(timeline, speaker, start, end)
    attr = _attribution_or_default(timeline, own)
    if extra:  # the event needs both: its own words and the words its verdict rests on
        attr = min(attr, attribution(extra) or 1.0)
    talked_over = overlapped_share(timeline, speaker, start, end)
    return round(max(0.0, min(1.0, attr * (1.0 - talked_over) * recognition(own))), 3)


def interruption_confidence(timeline: CallTimeline, by: str, start: float, end: float) -> float:
    """Confidence of an interruption by ``by`` over ``[start, end)``: the attribution of
    the interrupter's words that are mostly not talked over (all their words when none is)."""
    own = words_in(timeline, by, start, end)
    others = _others_speech(timeline, by)
    alone = [w for w in own if _covered_share(others, w.start, w.end) < 0.5]
    return round(_attribution_or_default(timeline, alone or own), 3)


def _attribution_or_default(timeline: CallTimeline, words: Sequence[Word]) -> float:
    attr = attribution(words)
    if attr is not None:
        return attr
    # A timeline of turns only (no recogniser ran) has nothing to doubt the turns by.
    return 1.0 if _channels(timeline) or not timeline.words else NO_WORDS_MONO


def next_words(timeline: CallTimeline, after: float, n: int = NEXT_WORDS) -> list[Word]:
    """The first ``n`` words starting at or after ``after`` (any speaker)."""
    out = [w for w in timeline.words if w.start >= after]
    return out[:n]


def _channels(timeline: CallTimeline) -> bool:
    return timeline.source.get("diarizer", {}).get("backend") == "channels" or any(
        s.channel is not None for s in timeline.speakers
    )
