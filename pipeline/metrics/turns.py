"""Who holds the floor: turns, backchannels and talk-over that takes nothing.

One sweep over the utterances in start order decides, for each, one of:

* it continues the holder's turn (same speaker, own pause shorter than ``pause_s``);
* it is a backchannel: another speaker's short listener response (see
  ``is_backchannel_form``) while the floor is held (holder speaking, or paused for
  less than ``pause_s``) after which the holder goes on (still speaking when it ends, or
  speaking again within ``pause_s``); the holder's turn goes on through it. A short
  reply the holder does not go on after ("Thanks, bye.") takes the floor;
* it is talk-over: another speaker's longer speech that starts and ends while the
  holder is still speaking; the holder kept the floor;
* otherwise it takes the floor and a new turn starts. A backchannel the new holder
  made just before ("Yeah. [pause] So the problem is ...") becomes the turn's start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.text import join_words
from listenlens.pipeline.metrics.utterances import Utterance, build_utterances, is_backchannel_form
from listenlens.pipeline.timeline import CallTimeline, Role, Word


@dataclass
class FloorTurn:
    speaker: str
    role: Role
    utterances: list[Utterance] = field(default_factory=list)

    @property
    def start(self) -> float:
        return min(u.start for u in self.utterances)

    @property
    def end(self) -> float:
        return max(u.end for u in self.utterances)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def words(self) -> list[Word]:
        return sorted((w for u in self.utterances for w in u.words), key=lambda w: (w.start, w.end))

    @property
    def text(self) -> str:
        return join_words(self.words)


@dataclass
class Backchannel:
    utterance: Utterance
    holder: str  # label of the speaker holding the floor


@dataclass
class Floor:
    utterances: list[Utterance]
    turns: list[FloorTurn]
    backchannels: list[Backchannel]
    talk_over: list[Utterance]  # longer speech inside the holder's that took no floor


def analyze_floor(timeline: CallTimeline, config: MetricsConfig | None = None) -> Floor:
    config = config or MetricsConfig()
    utts = build_utterances(timeline, config)
    turns: list[FloorTurn] = []
    backchannels: list[Backchannel] = []
    talk_over: list[Utterance] = []
    current: FloorTurn | None = None

    for k, u in enumerate(utts):
        if current is None:
            current = FloorTurn(u.speaker, u.role, [u])
            turns.append(current)
            continue
        if u.speaker == current.speaker:
            if u.start - current.end < config.pause_s:
                current.utterances.append(u)
            else:
                current = FloorTurn(u.speaker, u.role, [u])
                turns.append(current)
            continue
        held = u.start < current.end + config.pause_s
        if held and is_backchannel_form(u, config) and _holder_goes_on(current, u, utts[k + 1 :], config):
            backchannels.append(Backchannel(u, current.speaker))
            continue
        if current.end > u.start and u.end <= current.end:
            talk_over.append(u)
            continue
        previous = current
        current = FloorTurn(u.speaker, u.role, [u])
        _adopt_lead_in(current, previous, backchannels, config)
        turns.append(current)

    return Floor(utts, turns, backchannels, talk_over)


def _holder_goes_on(holder: FloorTurn, u: Utterance, later: list[Utterance], config: MetricsConfig) -> bool:
    """Whether the holder is still speaking when ``u`` ends, or speaks again within
    ``pause_s`` of it: only then did ``u`` leave the floor to them. A short reply after
    which the holder says nothing (a closing "Thanks, bye.") took the floor."""
    if holder.end > u.end:
        return True
    for o in later:  # in start order
        if o.start - u.end >= config.pause_s:
            return False
        if o.speaker == holder.speaker:
            return True
    return False


def _adopt_lead_in(
    new: FloorTurn, previous: FloorTurn, backchannels: list[Backchannel], config: MetricsConfig
) -> None:
    """Move the new holder's backchannels just before its turn into the turn."""
    while backchannels:
        b = backchannels[-1]
        first = new.start
        if b.utterance.speaker != new.speaker or b.holder != previous.speaker:
            return
        if first - b.utterance.end >= config.pause_s:
            return
        if previous.end > b.utterance.end:
            return  # the holder spoke on after it: it was a response, not a lead-in
        new.utterances.insert(0, backchannels.pop().utterance)


def longest_turn(turns: list[FloorTurn], role: Role) -> FloorTurn | None:
    mine = [t for t in turns if t.role == role]
    return max(mine, key=lambda t: t.duration) if mine else None


def speaker_switches(turns: list[FloorTurn]) -> int:
    ordered = sorted(turns, key=lambda t: t.start)
    return sum(1 for a, b in zip(ordered, ordered[1:]) if a.speaker != b.speaker)
