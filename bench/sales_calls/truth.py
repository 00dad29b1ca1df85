"""Where each line of a script lies in time, and the truth of every event that follows.

The events follow the definitions the scorecard is held to (docs/metrics.md), applied
to what was built, not to what a recogniser heard:

* **speech**: a line's clip split at its own silences of ``SPLIT_SILENCE_S`` or more
  (sentence pauses of a synthetic voice); a real voice's stretch is one piece, as its
  RTTM marks it;
* **talk**: each speaker's speech with their own pauses under ``TALK_PAUSE_S`` filled
  where nobody else speaks in them, as the scorecard measures talk time;
* **floor turns**: a speaker's lines while they hold the floor (own pauses under
  ``PAUSE_S``); backchannels take no floor;
* **rep question**: a rep-side line ending with "?". Wait = from its end to the next
  speech by anyone (another speaker's line that starts after the question started and
  is still going when it ends, or the rep side's next line). Verdict: *honoured* when the
  customer side speaks next or the rep side waits ``FOUR_SECOND_RULE_S``; else *stacked*
  when the rep side's next line opens with a question, *self_answered* otherwise;
* **interruption**: a line that starts while another speaker's line is under way and
  overlaps its speech by more than ``GRACE_S`` (backchannels are not interruptions);
* **paraphrase**: a rep line marked ``paraphrase``, with the customer turn before it;
* **backchannel**: a line placed ``inside`` another speaker's line, or marked
  ``backchannel`` in their pause; or an unmarked line of backchannel form (at most
  ``BACKCHANNEL_MAX_WORDS`` words, all listener tokens of the definition's list, or
  under ``BACKCHANNEL_MAX_S`` of speech) said in another speaker's pause of under
  ``PAUSE_S``, after which that speaker goes on within ``PAUSE_S`` (a "Yes, exactly."
  the rep talks on after). A short reply the other speaker does not go on after (a
  "Thanks, bye.") takes the floor: a turn, not a backchannel;
* **monologue**: a rep-side floor turn of ``MONOLOGUE_S`` or more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from listenlens.pipeline.metrics.config import DEFAULT_BACKCHANNELS, TALK_PAUSE_S

from .script import DEFAULT_GAP_S, CallScript, ScriptError, ScriptLine, sentences
from .voices import SR, frame_rms

SPLIT_SILENCE_S = 0.25
PAUSE_S = 2.0
FOUR_SECOND_RULE_S = 4.0
GRACE_S = 0.5
AMBIGUOUS_OVERLAP_S = 0.6  # cross-speaker overlap strictly between 0 and this is refused: too near the grace
MONOLOGUE_S = 60.0
BACKCHANNEL_MAX_WORDS = 3
BACKCHANNEL_MAX_S = 1.0
SCHEMA = "listenlens.sales-call-truth/1"


@dataclass
class Placed:
    index: int
    line: ScriptLine
    side: str
    start: float
    end: float
    segments: list[tuple[float, float]]
    source: dict | None = None  # for a real voice: the recording and stretch it came from
    in_pause: bool = False  # an unmarked line of backchannel form in another speaker's pause (see ``mark_pause_backchannels``)

    @property
    def speaker(self) -> str:
        return self.line.speaker

    @property
    def backchannel(self) -> bool:
        return self.line.backchannel or self.in_pause


def place(script: CallScript, clips: list[np.ndarray]) -> list[Placed]:
    """Start and end of every line, with its speech segments."""
    placed: list[Placed] = []
    cursor, main = 0.0, None
    for i, (line, clip) in enumerate(zip(script.lines, clips)):
        dur = len(clip) / SR
        if line.inside is not None:
            if main is None or main.speaker == line.speaker:
                raise ScriptError(f"{script.id} line {i + 1}: 'inside' needs another speaker's line just before")
            start = main.start + line.inside
            if start + dur > main.end - 0.3:
                raise ScriptError(f"{script.id} line {i + 1}: the backchannel ends after the line it sits in")
        elif line.at is not None:
            start = float(line.at)
        else:
            start = cursor + (DEFAULT_GAP_S if line.gap is None else float(line.gap))
        start = round(max(0.0, start), 3)
        segs = [(start, round(start + dur, 3))] if script.speakers[line.speaker].real else speech_segments(clip, start)
        p = Placed(i, line, script.side_of(line.speaker), start, round(start + dur, 3), segs)
        placed.append(p)
        if line.inside is None:
            cursor = p.end
        if not line.backchannel:
            main = p
    _check_overlaps(script, placed)
    mark_pause_backchannels(placed)
    return placed


def _listener_words(text: str) -> bool:
    """Every word is a listener token of the definition's list ("Yes, exactly.", "Okay.")."""
    listen = {w for entry in DEFAULT_BACKCHANNELS for w in entry.split()}
    words = re.findall(r"[a-z]+(?:['-][a-z]+)*", text.lower())
    return bool(words) and all(w in listen for w in words)


def _backchannel_form(p: Placed) -> bool:
    if p.source is not None or p.line.clip is not None:
        return False  # a real voice's stretch has no words to judge; the script marks its backchannels
    n_words = len(p.line.text.split())
    speech = sum(e - s for s, e in p.segments)
    return n_words <= BACKCHANNEL_MAX_WORDS and (speech < BACKCHANNEL_MAX_S or _listener_words(p.line.text))


def mark_pause_backchannels(placed: list[Placed]) -> None:
    """Unmarked short replies in another speaker's pause that the speaker talks on after."""
    main = sorted((p for p in placed if not p.line.backchannel), key=lambda p: p.start)
    for k, p in enumerate(main):
        if k == 0 or k + 1 == len(main) or not _backchannel_form(p):
            continue
        before, after = main[k - 1], main[k + 1]
        if before.speaker == p.speaker or after.speaker != before.speaker:
            continue
        if p.start - before.end < PAUSE_S and after.start - p.end < PAUSE_S and p.start >= before.end:
            p.in_pause = True


def speech_segments(clip: np.ndarray, offset: float) -> list[tuple[float, float]]:
    """The clip's speech as (start, end) pieces, split at silences of ``SPLIT_SILENCE_S`` or more."""
    frames = frame_rms(clip)
    frame_s = 0.02
    loud = frames > max(frames.max(initial=0.0), 1e-9) * 10 ** (-40 / 20)
    segs: list[list[float]] = []
    for k in np.flatnonzero(loud):
        s, e = k * frame_s, (k + 1) * frame_s
        if segs and s - segs[-1][1] < SPLIT_SILENCE_S:
            segs[-1][1] = e
        else:
            segs.append([s, e])
    dur = len(clip) / SR
    if segs:
        segs[0][0], segs[-1][1] = 0.0, dur  # the clip is trimmed: its ends are speech
    return [(round(offset + s, 3), round(offset + min(e, dur), 3)) for s, e in segs]


def _overlap(a: Placed, b: Placed) -> float:
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a.segments for s2, e2 in b.segments)


def _check_overlaps(script: CallScript, placed: list[Placed]) -> None:
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            if b.start >= a.end or a.start >= b.end:
                continue
            if a.speaker == b.speaker:
                raise ScriptError(f"{script.id}: lines {a.index + 1} and {b.index + 1} of {a.speaker} overlap")
            if a.backchannel or b.backchannel:
                continue
            if 0.0 < _overlap(a, b) < AMBIGUOUS_OVERLAP_S:
                raise ScriptError(f"{script.id}: lines {a.index + 1} and {b.index + 1} overlap by {_overlap(a, b):.2f} s, "
                                  f"too near the {GRACE_S} s grace to say whether it is an interruption")


def floor_turns(placed: list[Placed]) -> list[list[Placed]]:
    turns: list[list[Placed]] = []
    for p in sorted((p for p in placed if not p.backchannel), key=lambda p: p.start):
        if turns and turns[-1][-1].speaker == p.speaker and p.start - max(q.end for q in turns[-1]) < PAUSE_S:
            turns[-1].append(p)
        else:
            turns.append([p])
    return turns


def _turn_dict(turn: list[Placed]) -> dict:
    return {"speaker": turn[0].speaker, "side": turn[0].side, "start": turn[0].start,
            "end": max(p.end for p in turn), "text": " ".join(p.line.text for p in turn)}


def words_of(p: Placed) -> list[dict]:
    """The line's words spread over its speech in proportion to their letters (approximate times)."""
    if p.source is not None:
        return [{"start": p.start, "end": p.end, "text": None, "speaker": p.speaker}]
    words = p.line.text.split()
    weights = np.array([len(w) + 1 for w in words], dtype=float)
    total = sum(e - s for s, e in p.segments)
    edges = np.concatenate([[0.0], np.cumsum(weights) / weights.sum() * total])

    def at(t: float) -> float:  # speech-time -> call time
        for s, e in p.segments:
            if t <= e - s + 1e-9:
                return s + t
            t -= e - s
        return p.segments[-1][1]

    return [{"start": round(at(a), 3), "end": round(at(b), 3), "text": w, "speaker": p.speaker}
            for w, a, b in zip(words, edges[:-1], edges[1:])]


def events(script: CallScript, placed: list[Placed]) -> dict:
    """The call's truth as a JSON-ready dict (schema ``SCHEMA``)."""
    turns = floor_turns(placed)
    main = [p for p in placed if not p.backchannel]
    out = {
        "schema": SCHEMA, "id": script.id, "title": script.title, "split": script.split, "script_sha1": script.sha1,
        "speakers": {n: {"voice": s.voice, "side": s.side} for n, s in script.speakers.items()},
        "lines": [{"speaker": p.speaker, "side": p.side, "text": p.line.text, "start": p.start, "end": p.end,
                   "kind": "backchannel" if p.backchannel else "line", "segments": [list(s) for s in p.segments],
                   **({"source": p.source} if p.source else {})} for p in placed],
        "turns": [_turn_dict(t) for t in turns],
        "questions": _questions(placed),
        "interruptions": [],
        "paraphrases": [],
        "replies": [],
        "backchannels": [],
        "monologues": [],
        "words": [w for p in placed for w in words_of(p)],
    }
    for b in main:
        for a in main:
            if a is not b and a.speaker != b.speaker and a.start < b.start < a.end:
                ov = _overlap(a, b)
                if ov > GRACE_S:
                    out["interruptions"].append({"by": b.speaker, "by_side": b.side, "of": a.speaker, "of_side": a.side,
                                                 "start": b.start, "overlap_s": round(ov, 3)})
    for prev, turn in zip(turns, turns[1:]):
        first = turn[0]
        if prev[0].side == "customer" and first.side == "rep":
            item = {"speaker": first.speaker, "start": first.start, "end": first.end, "text": first.line.text,
                    "restates": _turn_dict(prev)}
            if first.line.paraphrase:
                out["paraphrases"].append({**item, "method": first.line.paraphrase})
            else:
                out["replies"].append(item)  # plain replies: the paraphrase detector's negatives
    for p in placed:
        if p.line.paraphrase and not any(x["start"] == p.start for x in out["paraphrases"]):
            raise ScriptError(f"{script.id} line {p.index + 1}: a paraphrase must open a rep turn right after a customer turn")
        if p.backchannel:
            holder = max((q for q in main if q.start <= p.start), key=lambda q: q.start)
            out["backchannels"].append({"by": p.speaker, "by_side": p.side, "during": holder.speaker, "start": p.start,
                                        "end": p.end, "text": p.line.text})
    for t in turns:
        d = _turn_dict(t)
        if d["side"] == "rep" and d["end"] - d["start"] >= MONOLOGUE_S:
            out["monologues"].append({"speaker": d["speaker"], "start": d["start"], "end": d["end"],
                                      "duration_s": round(d["end"] - d["start"], 3)})
    out["interruptions"].sort(key=lambda x: x["start"])
    out["talk"] = talk(placed)
    out["duration_s"] = None  # set by the renderer
    return out


def _questions(placed: list[Placed]) -> list[dict]:
    out = []
    for q in placed:
        if q.side != "rep" or not q.line.text.rstrip().endswith("?"):
            continue
        # Next speech by anyone: as the scorecard's wait time (docs/metrics.md).
        nxt = [p for p in placed if p is not q and (
            (p.side == "rep" and p.start >= q.end) or (p.speaker != q.speaker and p.start > q.start and p.end > q.end))]
        last = sentences(q.line.text)[-1]
        words = words_of(q)
        start = words[len(words) - len(last.split())]["start"]
        item = {"speaker": q.speaker, "text": last, "start": start, "end": q.end}
        if not nxt:
            out.append({**item, "wait_s": None, "next_by": None, "verdict": "honoured", "outcome": "end_of_call"})
            continue
        first = min(nxt, key=lambda p: p.start)
        rep_next = min((p for p in nxt if p.side == "rep"), key=lambda p: p.start, default=None)
        if first.side == "customer":
            verdict, outcome = "honoured", "answered"
        elif rep_next is not None and rep_next.start - q.end < FOUR_SECOND_RULE_S:
            asks = sentences(rep_next.line.text)[0].endswith("?")
            verdict = outcome = "stacked" if asks else "self_answered"
        else:
            verdict, outcome = "honoured", "waited"
        out.append({**item, "wait_s": round(first.start - q.end, 3), "next_by": first.speaker, "verdict": verdict,
                    "outcome": outcome})
    return out


def _union(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, -1.0
    for s, e in sorted(spans):
        if e > end:
            total += e - max(s, end)
            end = e
    return total


def _talk_spans(placed: list[Placed], speaker: str) -> list[tuple[float, float]]:
    """The speaker's speech with their pauses under ``TALK_PAUSE_S`` filled, unless
    another speaker speaks in the pause (docs/metrics.md, "talk time")."""
    own = sorted(s for p in placed if p.speaker == speaker for s in p.segments)
    others = [s for p in placed if p.speaker != speaker for s in p.segments]
    spans = list(own)
    for (_, end), (start, _) in zip(own, own[1:]):
        if 0 < start - end < TALK_PAUSE_S and not any(s < start and e > end for s, e in others):
            spans.append((end, start))
    return spans


def talk(placed: list[Placed]) -> dict:
    side_of = {p.speaker: p.side for p in placed}
    rep = _union([s for sp, side in side_of.items() if side == "rep" for s in _talk_spans(placed, sp)])
    customer = _union([s for sp, side in side_of.items() if side == "customer" for s in _talk_spans(placed, sp)])
    return {"rep_s": round(rep, 3), "customer_s": round(customer, 3),
            "ratio": round(rep / (rep + customer), 4) if rep + customer > 0 else None}


def rttm_lines(call_id: str, placed: list[Placed]) -> list[str]:
    segs = sorted((s, e, p.speaker) for p in placed for s, e in p.segments)
    return [f"SPEAKER {call_id} 1 {s:.3f} {e - s:.3f} <NA> <NA> {spk} <NA> <NA>" for s, e, spk in segs]
