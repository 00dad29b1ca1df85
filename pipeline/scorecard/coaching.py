"""What to coach: the components furthest from target, the moments behind them ranked by
impact, each said in plain words with a suggestion from the listening practice.

Pure functions of ``Scorecard`` objects and ``SpeakerNames``; the call page, the rep page
and the terminal report all read these, so they agree on what comes first.

Impact of a component: ``weight * (100 - score) / 100``, the points of listening score it
costs (a component on target costs nothing, one not scored is never coached). Impact of
a moment: its component's impact times ``0.5 + 0.5 * severity``, so the worst moment of
the costliest component comes first. Good examples (a question given room, a story
played back) have no impact and are listed after the moments to coach.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from listenlens.pipeline.scorecard.components import BY_NAME, Verdict, clock, format_value, moment_label, verdict
from listenlens.pipeline.scorecard.models import Component, Scorecard
from listenlens.pipeline.scorecard.names import SpeakerNames, names_from_scorecard

# Which component each kind of moment is evidence for.
MOMENT_COMPONENT = {
    "interruption": "interruptions",
    "four_second_rule": "four_second_rule",
    "monologue": "longest_monologue",
    "rep_turn": "talk_ratio",
    "switch": "patience",
    "missed_playback": "paraphrase",
    "paraphrase": "paraphrase",
    "question": "question_rate",
    "self_promotion": "self_promotion",
}

# A rep turn this long (or longer) counts as a moment of full severity for the talk ratio;
# one shorter than TURN_MIN_S is not worth playing for it.
TURN_FULL_S = 60.0
TURN_MIN_S = 20.0

# The listening practice, one habit per component, for a value below / above the target band.
PRACTICE = {
    "talk_ratio": ("Take more of the lead: once you understand the need, say how you can help.",
                   "Let the customer answer: ask one open question, then stop talking until they have finished."),
    "longest_monologue": ("", "Break it up: after a minute, stop and ask the customer what they think."),
    "patience": ("Do not talk over the customer: let them finish, take a breath, then reply.",
                 "Reply a little sooner: a long silence after the customer finishes can feel like you were not listening."),
    "four_second_rule": ("Ask, then wait: after a question stay quiet for four seconds, even when it feels long.", ""),
    "interruptions": ("", "Do not talk over the customer: let them finish their sentence, then reply."),
    "paraphrase": ("Play back what you heard: when the customer tells a story, say it back in your own words "
                   "before you move on.", ""),
    "question_rate": ("Ask more: a question every two to three minutes, then wait for the answer.",
                      "Ask fewer questions and wait for each answer before the next one."),
    "customer_focus": ("Talk about their world: say what it means for the customer's team and problem, "
                       "not what we do.", ""),
    "open_questions": ("Ask open questions: start with what, how or tell me, so the answer cannot be yes or no.", ""),
    "question_yield": ("Ask questions that open the customer up (what, how, walk me through), then let them talk.", ""),
    "self_promotion": ("", "Skip the praise of our product: ask what matters to them and show how it helps with that."),
}


@dataclass(frozen=True)
class Line:
    """A transcript line with the speaker's name."""

    who: str
    role: str
    start: float
    text: str


@dataclass(frozen=True)
class PlainMoment:
    """A moment in plain words, with what it costs."""

    kind: str
    label: str  # "Interruption"
    start: float
    end: float
    at: str  # "m:ss"
    text: str  # "Sam talked over Dana for 1.3 s; Dana stopped talking"
    good: bool
    component: str | None
    impact: float
    transcript: list[Line] = field(default_factory=list)
    call_id: str | None = None  # set when moments of several calls are ranked together
    uncertain: bool = False  # the event behind it is uncertain: shown, not counted


@dataclass(frozen=True)
class CoachItem:
    """One thing to coach: a component off target, what it costs, the moment to play and what to say."""

    component: str
    label: str
    value: str  # "88%"
    target: str  # "35-50%"
    verdict: Verdict
    score: float
    impact: float
    finding: str  # "Sam did 88% of the talking; the target is 35-50%."
    suggestion: str
    moment: PlainMoment | None
    calls: int = 1  # how many calls the finding covers (rep page)


# -- moments in plain words ------------------------------------------------------------

def _secs(s: float) -> str:
    return format_value(s, "seconds", decimals=0) if s >= 10 else f"{s:.1f} s"


def _quote(text: str, limit: int = 90) -> str:
    text = " ".join((text or "").split())
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"


def phrase(m: Any, names: SpeakerNames, card: Scorecard | None = None) -> str:
    """What happened in a moment, in plain words with people's names."""
    rep, customer = names.rep, names.customer
    kind = m.kind
    if kind == "interruption":
        by = names.of_role(m.by)
        of = names.of_role(m.of)
        detail = _interruption(card, m.start)
        text = f"{by} talked over {of} for {m.overlap_s:.1f} s"
        if detail is not None:
            text += f"; {of} stopped" if detail.yielded else f"; {of} kept talking"
        return text
    if kind == "four_second_rule":
        q = _question(card, m.start)
        what = "asked another question" if q is not None and q.outcome == "stacked" else "answered it"
        return f"{rep} asked {_quote(m.text)} and {what} after {m.wait_s:.1f} s, before {customer} could reply"
    if kind == "question":
        return f"{rep} asked {_quote(m.text)} and left room for the answer"
    if kind == "monologue":
        return f"{rep} talked for {_secs(m.duration_s)} without a break"
    if kind == "rep_turn":
        return f"{rep} talked for {_secs(m.duration_s)} in one go"
    if kind == "paraphrase":
        return f"{rep} played back what {customer} said: {_quote(m.text)}"
    if kind == "missed_playback":
        return f"{customer} talked for {_secs(m.end - m.start)} and {rep} moved on without playing it back"
    if kind == "self_promotion":
        return f"{rep} praised our side: {_quote(m.text)}"
    if kind == "objection":
        kind_of = m.type.replace("_", " ")
        if m.response is None:
            return f"{customer} raised a {kind_of} objection, {_quote(m.text)}, and {rep} said nothing more"
        how = {"listening": "listened: asked or played it back", "pitching": "pitched back"}.get(
            m.response_kind or "", "replied")
        return f"{customer} raised a {kind_of} objection, {_quote(m.text)}; {rep} {how}: {_quote(m.response, 60)}"
    if kind == "next_step":
        return f"next step agreed ({m.time}): {_quote(m.text)}"
    if kind == "missing_next_step":
        return "the call ended without a next step agreed on a day or time"
    if kind == "follow_up":
        return f"{rep} promised {_quote(m.text)}: keep it"
    if kind == "dead_air":
        return f"nobody spoke for {_secs(m.duration_s)}"
    if kind == "tracker":
        return f"{names.of_role(m.role)} mentioned {m.tracker}: {_quote(m.text)}"
    if kind == "switch":
        if m.gap_s < 0:
            return f"{rep} started talking {abs(m.gap_s):.1f} s before {customer} had finished"
        return f"{rep} replied {m.gap_s:.1f} s after {customer} finished"
    return m.title


def _interruption(card: Scorecard | None, start: float):
    if card is None:
        return None
    return next((i for i in card.metrics.interruptions if abs(i.start - start) < 1e-3), None)


def _question(card: Scorecard | None, start: float):
    if card is None:
        return None
    return next((q for q in card.metrics.questions if abs(q.start - start) < 1e-3), None)


def component_impact(c: Component) -> float:
    """Points of listening score the component costs (0 on target or not scored)."""
    if c.score is None or not c.applicable:
        return 0.0
    return round(c.weight * (100.0 - c.score) / 100.0, 3)


def plain_moment(m: Any, names: SpeakerNames, card: Scorecard | None = None, *, impact_of: dict[str, float] | None = None,
                 call_id: str | None = None) -> PlainMoment:
    component = MOMENT_COMPONENT.get(m.kind)
    if m.kind == "interruption" and getattr(m, "by", None) is not None and getattr(m.by, "value", m.by) != "rep":
        component = None  # the customer cutting in is not the rep's to fix
    base = (impact_of or {}).get(component or "", 0.0)
    severity = float(m.severity or 0.0)
    if m.kind in ("rep_turn", "monologue") and not severity:
        severity = min(1.0, float(m.duration_s) / TURN_FULL_S)  # the longer the turn, the more it shows
    uncertain = bool(getattr(m, "uncertain", False))
    # An uncertain event moves no score, so it costs nothing to coach.
    impact = 0.0 if m.good or uncertain else round(base * (0.5 + 0.5 * severity), 4)
    lines = [Line(who=names[line.speaker], role=getattr(line.role, "value", line.role), start=line.start, text=line.text)
             for line in m.transcript]
    return PlainMoment(kind=m.kind, label=moment_label(m.kind), start=m.start, end=m.end, at=clock(m.start),
                       text=phrase(m, names, card), good=m.good, component=component, impact=impact,
                       transcript=lines, call_id=call_id, uncertain=uncertain)


def ranked_moments(card: Scorecard, names: SpeakerNames | None = None, *, call_id: str | None = None) -> list[PlainMoment]:
    """Every moment of the call, to coach first (highest impact), then the good examples.

    Besides the call's own moments, the moments behind each component off target are
    included (the longest rep turns when the talk ratio is off, the longest monologue),
    so a call whose problem is how much the rep talked has a moment for it.
    """
    names = names or names_from_scorecard(card)
    impact_of: dict[str, float] = {c.name: component_impact(c) for c in card.components}
    seen: set[tuple[str, float]] = set()
    out: list[PlainMoment] = []
    off_target = [c for c in card.components if c.verdict in (Verdict.NEAR, Verdict.FAR)]
    # The rep's longest turn always shows for the talk ratio; the next ones when they are long.
    longest_turn = max((m.duration_s for c in off_target for m in c.moments if m.kind == "rep_turn"), default=None)
    for m in [*card.moments, *(m for c in off_target for m in c.moments)]:
        key = (m.kind, round(m.start, 2))
        if key in seen or (m.kind == "rep_turn" and m.duration_s < min(TURN_MIN_S, longest_turn or 0.0)):
            continue
        seen.add(key)
        out.append(plain_moment(m, names, card, impact_of=impact_of, call_id=call_id))
    return sorted(out, key=lambda p: (p.good, -p.impact, p.start))


def _finding(c: Component, card: Scorecard, names: SpeakerNames) -> str:
    rep, customer = names.rep, names.customer
    value = card.value_text(c)
    rest = f"; the target is {c.target}." if c.target else "."
    if c.name == "talk_ratio":
        return f"{rep} did {value} of the talking{rest}"
    if c.name == "longest_monologue":
        return f"{rep}'s longest stretch without a break was {value}{rest}"
    if c.name == "patience":
        if c.value is not None and c.value < 0:
            early = format_value(-c.value, "seconds", decimals=2)
            return f"{rep} typically started talking {early} before {customer} had finished{rest}"
        return f"{rep} typically replied {value} after {customer} finished{rest}"
    if c.name == "four_second_rule":
        return f"{rep} left room to answer after {value} of the questions{rest}"
    if c.name == "interruptions":
        return f"{rep} talked over {customer} {value.replace(' per ', ' times per ', 1)}{rest}"
    if c.name == "paraphrase":
        return f"{rep} played back {value} of {customer}'s stories{rest}"
    if c.name == "question_rate":
        return f"{rep} asked {value}{rest}"
    if c.name == "customer_focus":
        return f"{value} of what {rep} said about either side was about {customer}{rest}"
    if c.name == "open_questions":
        return f"{value} of {rep}'s questions were open{rest}"
    if c.name == "question_yield":
        return f"{customer} typically talked {value} in answer to a question{rest}"
    if c.name == "self_promotion":
        return f"{rep} praised our own side {value.replace(' per ', ' times per ', 1)}{rest}"
    return f"{c.label}: {value}{rest}"


def suggestion(c: Component) -> str:
    """The habit to practise for a component off target (which side of the band it missed)."""
    low, high = PRACTICE.get(c.name, ("", ""))
    rng = c.target_range
    above = c.value is not None and rng.good_max is not None and c.value > rng.good_max
    return (high if above else low) or low or high


def coach_call(card: Scorecard, names: SpeakerNames | None = None, *, limit: int = 2,
               call_id: str | None = None) -> list[CoachItem]:
    """The one or two components furthest from target, each with its moment to play."""
    names = names or names_from_scorecard(card)
    moments = ranked_moments(card, names, call_id=call_id)
    items: list[CoachItem] = []
    for c in sorted(card.components, key=lambda c: -component_impact(c)):
        if component_impact(c) <= 0 or len(items) >= limit:
            continue
        best = next((m for m in moments if m.component == c.name and not m.good), None)
        items.append(CoachItem(component=c.name, label=c.label, value=card.value_text(c), target=c.target,
                               verdict=c.verdict, score=float(c.score or 0.0), impact=component_impact(c),
                               finding=_finding(c, card, names), suggestion=suggestion(c), moment=best))
    return items


# -- across calls (the rep page) ------------------------------------------------------------

@dataclass(frozen=True)
class CallCard:
    """A scored call of a rep, for ``coach_rep``."""

    call_id: str
    scorecard: Scorecard
    names: SpeakerNames | None = None


def coach_rep(calls: Sequence[CallCard], *, limit: int = 2) -> list[CoachItem]:
    """What to coach a rep on over ``calls``: the components with the largest mean impact
    over the calls that scored them, each with the worst moment among those calls."""
    if not calls:
        return []
    per: dict[str, list[tuple[CallCard, Component]]] = {}
    for cc in calls:
        for c in cc.scorecard.components:
            if c.applicable and c.score is not None:
                per.setdefault(c.name, []).append((cc, c))
    mean_impact = {name: sum(component_impact(c) for _, c in pairs) / len(pairs) for name, pairs in per.items()}
    items: list[CoachItem] = []
    for name in sorted(mean_impact, key=lambda n: -mean_impact[n]):
        if mean_impact[name] <= 0 or len(items) >= limit:
            continue
        pairs = per[name]
        worst_cc, worst_c = min(pairs, key=lambda p: p[1].score if p[1].score is not None else 100.0)
        moment = _worst_moment(pairs, name)
        spec = BY_NAME.get(name)
        mean_score = sum(float(c.score or 0.0) for _, c in pairs) / len(pairs)
        mean_value = _mean([c.value for _, c in pairs])
        per_s = worst_cc.scorecard.metrics.question_rate.per_s if name == "question_rate" else 600.0
        value = spec.format(mean_value, per_s=per_s) if spec else f"{mean_value:g}"
        n = len(pairs)
        off = sum(1 for _, c in pairs if c.verdict in (Verdict.NEAR, Verdict.FAR))
        finding = f"Off target on {off} of {n} call{'s' if n != 1 else ''}: {value} on average; the target is {worst_c.target}."
        items.append(CoachItem(component=name, label=worst_c.label, value=value, target=worst_c.target,
                               verdict=verdict(mean_score), score=round(mean_score, 1),
                               impact=round(mean_impact[name], 3), finding=finding,
                               suggestion=suggestion(worst_c.model_copy(update={"value": mean_value})),
                               moment=moment, calls=n))
    return items


def _mean(values: Iterable[float | None]) -> float | None:
    vs = [float(v) for v in values if v is not None]
    return sum(vs) / len(vs) if vs else None


def _worst_moment(pairs: list[tuple[CallCard, Component]], name: str) -> PlainMoment | None:
    best: PlainMoment | None = None
    for cc, _ in pairs:
        names = cc.names or names_from_scorecard(cc.scorecard)
        for m in ranked_moments(cc.scorecard, names, call_id=cc.call_id):
            if m.component == name and not m.good and (best is None or m.impact > best.impact):
                best = m
    return best


# -- what was said, in a few lines ------------------------------------------------------------

@dataclass(frozen=True)
class SaidLine:
    """One line of the "what was said" summary: a label, its value and where to play it."""

    label: str
    value: str
    at: float | None = None  # a time to play, when there is one


def said_summary(card: Scorecard, names: SpeakerNames | None = None) -> list[SaidLine]:
    """The content metrics that are not components, as the report and the call page show
    them; empty for a scorecard stored before they were measured."""
    m = card.metrics
    if not m.content_measured:
        return []
    names = names or names_from_scorecard(card)
    out: list[SaidLine] = []
    if m.objections:
        kinds = ", ".join(f"{o.type.replace('_', ' ')} ({o.response_kind or 'no reply'})" for o in m.objections[:4])
        more = f" and {len(m.objections) - 4} more" if len(m.objections) > 4 else ""
        out.append(SaidLine("Objections", f"{len(m.objections)}: {kinds}{more}", m.objections[0].start))
    else:
        out.append(SaidLine("Objections", "none heard"))
    ns = m.next_step
    if ns is not None and ns.found and ns.said is not None:
        out.append(SaidLine("Next step", f"agreed: {ns.time} ({_quote(ns.said.text, 60)})", ns.said.start))
    elif ns is not None:
        out.append(SaidLine("Next step", "none agreed on a day or time"))
    if m.follow_ups:
        out.append(SaidLine("Follow-ups promised", f"{len(m.follow_ups)}: {_quote(m.follow_ups[0].text, 60)}",
                            m.follow_ups[0].start))
    if m.pace is not None:
        rep = "–" if m.pace.rep_wpm is None else f"{m.pace.rep_wpm:.0f}"
        cust = "–" if m.pace.customer_wpm is None else f"{m.pace.customer_wpm:.0f}"
        out.append(SaidLine("Pace", f"{names.rep} {rep}, {names.customer} {cust} words a minute"))
    if m.fillers is not None and m.fillers.per_minute is not None:
        top = ", ".join(f"{w} {n}" for w, n in sorted(m.fillers.by_word.items(), key=lambda kv: -kv[1])[:3])
        out.append(SaidLine("Filler words", f"{m.fillers.per_minute:.1f} a minute" + (f" ({top})" if top else "")))
    if m.dead_air:
        total = sum(d.duration_s for d in m.dead_air)
        out.append(SaidLine("Dead air", f"{len(m.dead_air)} {'stretch' if len(m.dead_air) == 1 else 'stretches'}, "
                                        f"{_secs(total)} in all", m.dead_air[0].start))
    out.append(SaidLine("Customer questions", str(len(m.customer_questions)),
                        m.customer_questions[0].start if m.customer_questions else None))
    if m.trackers:
        counts: dict[str, int] = {}
        for h in m.trackers:
            counts[h.tracker] = counts.get(h.tracker, 0) + 1
        out.append(SaidLine("Trackers", ", ".join(f"{t} {n}" for t, n in counts.items()), m.trackers[0].start))
    return out
