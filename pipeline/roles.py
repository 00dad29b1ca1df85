"""Roles: which speaker is the rep, which the customer, and how we know.

In order of trust:
1. a channel map (``rep,customer``: what each channel of the recording holds);
2. the rep's voiceprint: the speaker whose voice matches the rep's enrolled voice
   (``pipeline/voiceprints/``); any other enrolled member of the team who matches is on
   the seller's side too. A call where the rep's voice matches nobody says so and falls
   back to what follows;
3. a hint: the rep's speaker label (``SPEAKER_01``, ``CH0``) or the rep's first name
   as they introduce themselves ("this is Sam from Acme");
4. inference from the call itself: who introduces themselves with a company, who says
   "thanks for calling" or "how can I help", who asks the questions, who opens. With
   three or more speakers, each one beyond the rep is on the side whose questions they
   answer: a colleague the rep brought answers the customer's questions, a colleague the
   customer brought answers the rep's (``_seller_colleagues``).

The source, a confidence in [0, 1] and the evidence are kept on the timeline, so a
coach can see why a speaker was taken for the rep.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict

from listenlens.errors import ConfigError
from listenlens.pipeline.timeline import CallTimeline, Role, RoleAssignment, RoleSource
from listenlens.pipeline.voiceprints.match import VoiceCheck

# Phrases a rep says and a customer rarely does, with how much each one counts. They
# are matched on the recogniser's cased text: a name is capitalised, which tells
# "I'm Sam from Acme" from "I'm originally from Chicago".
REP_PHRASES: list[tuple[re.Pattern[str], float, str]] = [
    (
        re.compile(r"\b(?i:this is|my name is|i'm|i am|it's|it is)\s+[A-Z][\w'-]*\s*,?\s+(?i:from|with|at|calling from)\s+[A-Z]\w+"),
        3.0,
        "introduces self with a company",
    ),
    # A greeting and a name with a company is the same introduction when the recogniser
    # garbles or drops "this is" ("Hi, Mrs. Sarah from Keyton Marketing").
    (
        re.compile(r"\b(?i:hi|hello|hey|good morning|good afternoon|morning|afternoon)\s*,?\s+(?:(?i:mr|mrs|ms|miss)\.?\s+)?"
                   r"[A-Z][\w'-]*\s*,?\s+(?i:from|calling from)\s+[A-Z]\w+"),
        3.0,
        "greets and gives a name with a company",
    ),
    # "for taking my call" alone: recognisers often drop or garble the "thanks" before it.
    (
        re.compile(r"(?i)\b(thank(s| you) for (calling|your time|joining)|for taking (the|my) call)"),
        2.5,
        "thanks the other side for the call",
    ),
    (re.compile(r"(?i)\bhow (can|may) i help\b"), 2.5, "offers help"),
    (re.compile(r"(?i)\b(i'm|i am) (calling|reaching out) (from|about|because|to)\b"), 2.5, "says why they are calling"),
    (re.compile(r"(?i)\b(our|my) (team|company|product|platform|solution)\b"), 1.0, "speaks for a company"),
    (re.compile(r"(?i)\b(demo|pricing|proposal|contract|trial|onboarding)\b"), 0.5, "talks about the deal"),
]
# Each question the speaker asks adds this much: reps run discovery.
QUESTION_WEIGHT = 0.4
QUESTION_CAP = 4.0
# Opening the call is weak evidence (outbound calls: the rep speaks first after hello).
OPENER_WEIGHT = 0.3
# Whoever speaks first after a question ends, within this long, answers it.
ANSWER_WITHIN_S = 5.0


def assign_roles(
    timeline: CallTimeline, *, rep: str | None = None, channels: str | None = None, voices: VoiceCheck | None = None
) -> RoleAssignment:
    """Set each speaker's role on ``timeline`` and return how it was decided. ``voices``:
    how the call's speakers compared with the enrolled voices (``match_speakers``)."""
    if channels:
        result = _from_channel_map(timeline, channels)
    elif voices is not None and voices.rep_match is not None:
        result = _from_voices(timeline, voices)
    else:
        result = _from_hint(timeline, rep) if rep else _infer(timeline)
        if voices is not None:
            result.evidence = _no_rep_match(voices) + result.evidence
            _team_side(timeline, voices, result)
    timeline.roles = result
    return result


def _from_voices(timeline: CallTimeline, voices: VoiceCheck) -> RoleAssignment:
    rep = voices.rep_match
    assert rep is not None
    sellers = {m.label: m for m in voices.matches}
    _set_rep(timeline, set(sellers))
    evidence = [f"{rep.label} is {rep.name} by voiceprint (match {rep.score:.2f}, threshold {voices.threshold:.2f})"]
    for m in voices.matches:
        if not m.is_rep:
            evidence.append(f"{m.label} is {m.name}, on the seller's side, by voiceprint (match {m.score:.2f})")
    for s in timeline.speakers:
        if s.label in sellers:
            s.name = sellers[s.label].name
    if not timeline.labels(Role.CUSTOMER):
        evidence.append("every speaker matches a seller's voiceprint: no customer heard")
    return RoleAssignment(RoleSource.VOICEPRINT, round(rep.score, 3), evidence)


def _no_rep_match(voices: VoiceCheck) -> list[str]:
    reps = [name for name in voices.best if name not in {m.name for m in voices.matches}]
    if not voices.best:
        return []
    if not voices.compared:
        return ["no speaker spoke long enough to compare with the voiceprints"]
    shown = ", ".join(f"{name} best {voices.best[name]:.2f}" for name in reps)
    return [f"no speaker matches the rep's voiceprint ({shown}; threshold {voices.threshold:.2f})"]


def _team_side(timeline: CallTimeline, voices: VoiceCheck, result: RoleAssignment) -> None:
    # A teammate heard by voice is a seller whatever the text-based inference decided.
    for m in voices.matches:
        for s in timeline.speakers:
            if s.label == m.label:
                s.role, s.name = Role.REP, m.name
                result.evidence.append(f"{m.label} is {m.name}, on the seller's side, by voiceprint (match {m.score:.2f})")


def parse_channel_map(channels: str) -> list[Role]:
    roles = [c.strip().lower() for c in channels.split(",") if c.strip()]
    bad = [r for r in roles if r not in (Role.REP.value, Role.CUSTOMER.value)]
    if not roles or bad:
        raise ConfigError(f"--channels {channels!r}: give one role per channel, rep or customer, e.g. --channels rep,customer")
    if Role.REP.value not in roles:
        raise ConfigError(f"--channels {channels!r} names no rep channel: e.g. --channels rep,customer")
    return [Role(r) for r in roles]


def _from_channel_map(timeline: CallTimeline, channels: str) -> RoleAssignment:
    roles = parse_channel_map(channels)
    with_channel = [s for s in timeline.speakers if s.channel is not None]
    if not with_channel:
        raise ConfigError(
            "--channels needs a recording with one party per channel, but this call was diarized as mono "
            "(one channel, or both channels carry the same audio): use --rep LABEL instead"
        )
    for s in timeline.speakers:
        if s.channel is None or s.channel >= len(roles):
            raise ConfigError(
                f"--channels {channels!r} names {len(roles)} channels but the recording has more: give a role for each channel"
            )
        s.role = roles[s.channel]
    return RoleAssignment(RoleSource.CHANNEL_MAP, 1.0, [f"channel map {channels}"])


def _from_hint(timeline: CallTimeline, rep: str) -> RoleAssignment:
    labels = timeline.labels()
    if rep in labels:
        _set_rep(timeline, {rep})
        return RoleAssignment(RoleSource.HINT, 1.0, [f"rep given as speaker {rep}"])
    # Not a label: take it for the rep's name and find who introduces themselves so.
    name = re.escape(rep.strip())
    pattern = re.compile(rf"(?i)\b(this is|my name is|i'm|i am|it's)\s+{name}\b")
    for label, text in _text_by_speaker(timeline).items():
        m = pattern.search(text)
        if m:
            _set_rep(timeline, {label})
            return RoleAssignment(RoleSource.HINT, 0.9, [f"{label} introduces themselves as {rep!r}: {m.group(0)!r}"])
    raise ConfigError(
        f"--rep {rep!r} is neither a speaker label ({', '.join(labels) or 'none found'}) nor a name anyone introduces "
        "themselves with: pass one of the labels"
    )


def _infer(timeline: CallTimeline) -> RoleAssignment:
    labels = timeline.labels()
    if len(labels) < 2:
        for s in timeline.speakers:
            s.role = Role.REP
        return RoleAssignment(RoleSource.NONE, 0.0, ["one speaker: taken for the rep, nothing to compare"])
    texts = _text_by_speaker(timeline)
    scores: dict[str, float] = defaultdict(float)
    evidence: dict[str, list[str]] = defaultdict(list)
    for label, text in texts.items():
        for pattern, weight, why in REP_PHRASES:
            hits = pattern.findall(text)
            if hits:
                scores[label] += weight * min(len(hits), 2)
                evidence[label].append(f"{label} {why}")
        q = _question_count(timeline, label)
        if q:
            scores[label] += min(q * QUESTION_WEIGHT, QUESTION_CAP)
            evidence[label].append(f"{label} asks {q} question(s)")
    first = _first_substantive_speaker(timeline)
    if first:
        scores[first] += OPENER_WEIGHT
        evidence[first].append(f"{first} opens the call")
    ranked = sorted(labels, key=lambda lbl: scores[lbl], reverse=True)
    rep, runner_up = ranked[0], ranked[1]
    margin = scores[rep] - scores[runner_up]
    # Logistic in the score margin: a single introduction (3.0) gives ~0.9.
    confidence = 1.0 / (1.0 + math.exp(-margin)) if margin > 0 else 0.5
    colleagues, colleague_why = _seller_colleagues(timeline, rep) if len(labels) > 2 else (set(), [])
    _set_rep(timeline, {rep} | colleagues)
    ev = (evidence[rep] or [f"{rep}: no clear evidence; roles are a guess"]) + colleague_why
    if margin <= 0:
        ev = ev + ["speakers tied: pass --rep LABEL or --channels to be sure"]
    return RoleAssignment(RoleSource.INFERRED, round(confidence, 3), ev)


def _seller_colleagues(timeline: CallTimeline, rep: str) -> tuple[set[str], list[str]]:
    """Speakers beyond the rep who are on the seller's side, and why.

    Who answers whose questions says which side a speaker is on: the customer side
    answers the rep's questions and has its own questions answered by the rep; a
    colleague of the rep answers the customer's questions (the technical one, the
    manager on the price). A speaker goes to the seller's side when they answer more
    questions of the non-rep speakers than the rep's questions and their own questions
    the rep answered, taken together. The speaker with the most customer evidence stays
    a customer whatever, so a call always has someone on the other side.
    """
    answers = _answers(timeline)
    others = [lbl for lbl in timeline.labels() if lbl != rep]
    to_customer = {x: sum(n for (asker, answerer), n in answers.items() if answerer == x and asker not in (rep, x)) for x in others}
    to_rep = {x: answers.get((rep, x), 0) + answers.get((x, rep), 0) for x in others}
    moved = {x for x in others if to_customer[x] > to_rep[x]}
    if moved and len(moved) == len(others):
        moved.discard(max(others, key=lambda x: (to_rep[x] - to_customer[x], -others.index(x))))
    why = [f"{x} answers the other side's questions ({to_customer[x]}) more than the rep's or asks the rep ({to_rep[x]}): "
           "on the seller's side" for x in sorted(moved)]
    return moved, why


def _answers(timeline: CallTimeline) -> dict[tuple[str, str], int]:
    """(asker, answerer) -> how many of the asker's questions the answerer spoke first after."""
    from listenlens.pipeline.metrics.config import MetricsConfig
    from listenlens.pipeline.metrics.questions import question_form
    from listenlens.pipeline.metrics.text import split_sentences

    config = MetricsConfig()
    words = sorted(timeline.words, key=lambda w: w.start)
    starts = [w.start for w in words]
    out: dict[tuple[str, str], int] = defaultdict(int)
    for label in timeline.labels():
        own = [w for w in words if w.speaker == label]
        for sent in split_sentences(own, config.sentence_pause_s):
            if not question_form(sent.text, config.lead_ins):
                continue
            end = sent.words[-1].end
            for w in words[bisect.bisect_left(starts, end) :]:
                if w.start > end + ANSWER_WITHIN_S:
                    break
                if w.speaker != label:
                    out[(label, w.speaker)] += 1
                    break
    return out


def _set_rep(timeline: CallTimeline, reps: set[str]) -> None:
    for s in timeline.speakers:
        s.role = Role.REP if s.label in reps else Role.CUSTOMER


def _text_by_speaker(timeline: CallTimeline) -> dict[str, str]:
    parts: dict[str, list[str]] = defaultdict(list)
    for w in timeline.words:
        parts[w.speaker].append(w.text)
    return {k: " ".join(v) for k, v in parts.items()}


def _question_count(timeline: CallTimeline, label: str) -> int:
    # The same question detector the scorecard uses, so "who asks" means one thing.
    from listenlens.pipeline.metrics.config import MetricsConfig
    from listenlens.pipeline.metrics.questions import question_form
    from listenlens.pipeline.metrics.text import split_sentences

    config = MetricsConfig()
    own = [w for w in timeline.words if w.speaker == label]
    return sum(1 for s in split_sentences(own, config.sentence_pause_s) if question_form(s.text, config.lead_ins))


def _first_substantive_speaker(timeline: CallTimeline) -> str | None:
    # Skip the "hello?"s: the first speaker to say more than three words.
    run: dict[str, int] = defaultdict(int)
    for w in timeline.words:
        run[w.speaker] += 1
        if run[w.speaker] > 3:
            return w.speaker
    return None
