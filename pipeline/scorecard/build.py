"""``score_call``: measure a call, score each component, collect the coaching moments.

    measure (metric functions of the timeline) -> Metrics
    component values -> Component (score, verdict, moments) -> overall score
    moments worth replaying -> Scorecard
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from listenlens.errors import ListenlensError
from listenlens.pipeline.metrics import (
    ContentConfig,
    Embedder,
    MetricsConfig,
    analyze_floor,
    customer_focus,
    customer_questions,
    customer_to_rep_switches,
    dead_air,
    filler_words,
    find_follow_ups,
    find_interruptions,
    find_next_step,
    find_objections,
    find_paraphrases,
    find_questions,
    find_self_promotion,
    find_tracker_hits,
    four_second_rule,
    longest_turn,
    median_patience,
    non_talk_time,
    pace,
    question_quality,
    question_rate,
    side_talk_time,
    speaker_switches,
    switches_per_minute,
    talk_ratio,
    talk_times,
)
from listenlens.pipeline.metrics.confidence import event_confidence, interruption_confidence, next_words, words_in
from listenlens.pipeline.metrics.utterances import speech_span
from listenlens.pipeline.scorecard import models as M
from listenlens.pipeline.scorecard.components import Target, Verdict, curve, verdict
from listenlens.pipeline.scorecard.config import ScorecardConfig
from listenlens.pipeline.scorecard.moments import MomentBuilder, r
from listenlens.pipeline.timeline import CallTimeline, Role


def score_call(timeline: CallTimeline, config: ScorecardConfig | None = None, *,
               embedder: Embedder | None = None) -> M.Scorecard:
    """Measure a call and score its listening; see ``docs/metrics.md`` for the contract."""
    _check(timeline)
    config = config or ScorecardConfig()
    found = _measure(timeline, config.metrics, embedder, config.uncertain_below)
    said = _listen(timeline, config, embedder)
    metrics = _metrics(timeline, found, config.metrics).model_copy(update=_content_metrics(said))
    moments = MomentBuilder(timeline, config.metrics, config.uncertain_below)
    components = _components(
        {**_values(found, config), **_content_values(found, said, config)}, config.targets,
        {**_component_moments(found, moments, config), **_content_component_moments(said, moments, config)},
        {**_reasons(found, config), **_content_reasons(found, config)},
    )
    score = _overall(components)
    return M.Scorecard(
        score=score,
        score_note=None if score is not None else "no component could be measured (no rep or customer speech)",
        duration_s=r(timeline.duration),
        source=dict(timeline.source),
        roles=M.RolesOut(source=timeline.roles.source, confidence=r(timeline.roles.confidence),
                         evidence=list(timeline.roles.evidence)),
        speakers=[M.SpeakerOut(label=s.label, role=s.role, talk_time_s=r(s.talk_time_s))
                  for s in talk_times(timeline, config.metrics.talk_pause_s)],
        metrics=metrics,
        components=components,
        moments=sorted(_call_moments(found, moments, config) + _content_moments(said, moments),
                       key=lambda m: (m.start, m.kind)),
        settings=config.model_dump(mode="json"),
    )


def _check(timeline: CallTimeline) -> None:
    if not isinstance(timeline, CallTimeline):
        raise ListenlensError(f"score_call needs a CallTimeline, got {type(timeline).__name__}")
    for kind, items in (("speech turn", timeline.speech), ("word", timeline.words)):
        for it in items:
            if not (math.isfinite(it.start) and math.isfinite(it.end)) or it.end < it.start or it.start < 0:
                raise ListenlensError(
                    f"timeline {kind} {it.start}-{it.end} s of {it.speaker!r} is not a valid interval: "
                    "times must be finite, non-negative seconds with end >= start"
                )


@dataclass
class _Found:
    """What the metric functions found in one call, before it is rounded into the scorecard."""

    floor: Any
    turns: list
    span_s: float
    has_rep: bool
    has_customer: bool
    interruptions: list
    rep_on_customer: list
    per_10: float | None
    questions: list
    rule: Any
    q_rate: float | None
    switches: list
    patience: float | None
    paraphrases: list
    ratio: float | None
    mono: Any
    story: Any
    stories: M.CustomerStories
    overlap_seen: bool
    backend: str | None
    confidence: dict[int, float]  # id(event) -> its confidence (metrics/confidence.py)
    uncertain_below: float

    def conf(self, event) -> float:
        return self.confidence.get(id(event), 1.0)

    def uncertain(self, event) -> bool:
        return self.conf(event) < self.uncertain_below

    def certain(self, events: list) -> list:
        return [e for e in events if not self.uncertain(e)]


def _measure(timeline: CallTimeline, mc: MetricsConfig, embedder: Embedder | None, uncertain_below: float) -> _Found:
    floor = analyze_floor(timeline, mc)
    turns = sorted(floor.turns, key=lambda t: t.start)
    span = speech_span(floor.utterances)
    span_s = (span[1] - span[0]) if span else 0.0
    has_rep, has_customer = bool(timeline.labels(Role.REP)), bool(timeline.labels(Role.CUSTOMER))
    interruptions = find_interruptions(timeline, mc)
    questions = find_questions(timeline, mc)
    switches = customer_to_rep_switches(turns)
    paraphrases = find_paraphrases(turns, mc, embedder=embedder)
    confidence = _confidences(timeline, questions, interruptions, paraphrases)

    def certain(events: list) -> list:
        return [e for e in events if confidence.get(id(e), 1.0) >= uncertain_below]

    # Uncertain events are listed but move no figure the score reads.
    rep_on_customer = [i for i in certain(interruptions) if i.by_role == Role.REP and i.of_role == Role.CUSTOMER]
    sure_questions = certain(questions)
    diarizer = timeline.source.get("diarizer", {})
    return _Found(
        floor=floor, turns=turns, span_s=span_s, has_rep=has_rep, has_customer=has_customer,
        interruptions=interruptions, rep_on_customer=rep_on_customer,
        per_10=(len(rep_on_customer) / span_s * 600.0) if span_s > 0 and has_rep and has_customer else None,
        questions=questions, rule=four_second_rule(sure_questions), q_rate=question_rate(sure_questions, timeline, mc),
        switches=switches, patience=median_patience(switches), paraphrases=paraphrases, ratio=talk_ratio(timeline, mc.talk_pause_s),
        mono=longest_turn(turns, Role.REP), story=longest_turn(turns, Role.CUSTOMER),
        stories=_stories(turns, paraphrases, mc, {id(p) for p in paraphrases} - {id(p) for p in certain(paraphrases)}),
        confidence=confidence, uncertain_below=uncertain_below,
        # A diarizer that never overlaps two speakers (mono call, embedded backend) hides
        # every interruption: report "not measured", never a reassuring 0.
        overlap_seen=bool(diarizer.get("detects_overlap", True)),
        backend=diarizer.get("backend"),
    )


def _confidences(timeline: CallTimeline, questions: list, interruptions: list, paraphrases: list) -> dict[int, float]:
    """id(event) -> confidence: a question rests on its words and on who spoke next, an
    interruption on the interrupter's words where they speak alone, a paraphrase on
    the rep's words and the customer's words it restates."""
    out: dict[int, float] = {}
    for q in questions:
        after = next_words(timeline, q.end) if q.outcome != "end_of_call" else []
        out[id(q)] = event_confidence(timeline, q.speaker, q.start, q.end, extra=after)
    for i in interruptions:
        out[id(i)] = interruption_confidence(timeline, i.by, i.start, i.end)
    for p in paraphrases:
        restated = words_in(timeline, p.customer, p.restates_start, p.restates_end)
        out[id(p)] = event_confidence(timeline, p.speaker, p.start, p.end, extra=restated)
    return out


# -- metrics -------------------------------------------------------------------

def _metrics(timeline: CallTimeline, f: _Found, mc: MetricsConfig) -> M.Metrics:
    interruptions = f.interruptions
    return M.Metrics(
        talk_ratio=r(f.ratio),
        talk_time_s=M.TalkTime(**{role.value: r(side_talk_time(timeline, role, mc.talk_pause_s)) for role in Role}),
        speech_span_s=r(f.span_s),
        non_talk_s=r(non_talk_time(timeline, mc.talk_pause_s)),
        turns=[M.TurnSpan(speaker=t.speaker, role=t.role, start=r(t.start), end=r(t.end)) for t in f.turns],
        longest_monologue_s=r(f.mono.duration) if f.mono else None,
        longest_monologue=_turn_ref(f.mono),
        longest_customer_story_s=r(f.story.duration) if f.story else None,
        longest_customer_story=_turn_ref(f.story),
        backchannels=[
            M.Backchannel(start=r(b.utterance.start), end=r(b.utterance.end), speaker=b.utterance.speaker,
                          role=b.utterance.role, text=b.utterance.text, during=b.holder)
            for b in f.floor.backchannels
        ],
        backchannel_count=M.RoleCounts(
            **{role.value: sum(1 for b in f.floor.backchannels if b.utterance.role == role) for role in Role}),
        interruptions=[_interruption(i, f) for i in interruptions],
        interruption_counts=M.InterruptionCounts(
            rep_on_customer=len(f.rep_on_customer),
            customer_on_rep=sum(1 for i in f.certain(interruptions) if i.by_role == Role.CUSTOMER and i.of_role == Role.REP),
            other=sum(1 for i in f.certain(interruptions) if i.kind not in {"rep_on_customer", "customer_on_rep"}),
            uncertain=len(interruptions) - len(f.certain(interruptions)),
            rep_on_customer_per_10min=r(f.per_10),
            measured=f.overlap_seen,
            # Overlaps from separate channels are exact; from a mono mix they are detected,
            # and a coach should know which kind of count they are reading.
            estimated=f.backend is not None and f.backend != "channels",
        ),
        questions=[_question(q, f) for q in f.questions],
        four_second_rule=M.FourSecondRule(
            threshold_s=mc.four_second_rule_s, asked=f.rule.asked, honoured=f.rule.honoured,
            share_honoured=r(f.rule.share_honoured), median_wait_s=r(f.rule.median_wait_s),
            self_answered=f.rule.self_answered, stacked=f.rule.stacked,
            violations=[_question(q, f) for q in f.rule.violations],
            uncertain=len(f.questions) - len(f.certain(f.questions)),
        ),
        question_rate=M.QuestionRate(value=r(f.q_rate), per_s=mc.question_rate_per_s, count=f.rule.asked),
        patience=M.Patience(median_s=r(f.patience), switches=[
            M.Switch(customer=s.customer, rep=s.rep, customer_end=r(s.customer_end), rep_start=r(s.rep_start),
                     gap_s=r(s.gap_s))
            for s in f.switches
        ]),
        paraphrases=[
            M.Paraphrase(start=r(p.start), end=r(p.end), speaker=p.speaker, text=p.text, restates=p.restates,
                         restates_speaker=p.customer, restates_start=r(p.restates_start),
                         restates_end=r(p.restates_end), method=p.method, opener=p.opener,
                         similarity=r(p.similarity), **_sure(p, f))
            for p in f.paraphrases
        ],
        customer_stories=f.stories,
        interactivity=M.Interactivity(switches=speaker_switches(f.turns), per_minute=r(switches_per_minute(f.floor))),
    )


def _stories(turns, paraphrases, mc: MetricsConfig, uncertain: set[int]) -> M.CustomerStories:
    """Customer turns of ``story_min_s`` or more that a rep turn follows, and whether it
    restated them. A story whose play-back is uncertain is listed but not counted either way."""
    restated = {(p.restates_start, p.customer): id(p) in uncertain for p in paraphrases}
    items = [
        M.Story(start=r(a.start), end=r(a.end), speaker=a.speaker, duration_s=r(a.duration),
                played_back=(a.start, a.speaker) in restated)
        for a, b in zip(turns, turns[1:])
        if a.role == Role.CUSTOMER and b.role == Role.REP and a.duration >= mc.story_min_s
    ]
    judged = [s for s in items if not restated.get((s.start, s.speaker), False)]
    done = sum(1 for s in judged if s.played_back)
    return M.CustomerStories(count=len(judged), played_back=done,
                             share_played_back=(done / len(judged)) if judged else None, items=items)


def _turn_ref(t) -> M.TurnRef | None:
    return None if t is None else M.TurnRef(speaker=t.speaker, start=r(t.start), end=r(t.end), duration_s=r(t.duration))


def _sure(event, f: _Found) -> dict:
    """The confidence fields of an event's model."""
    return {"confidence": r(f.conf(event)), "uncertain": f.uncertain(event)}


def _interruption(i, f: _Found) -> M.Interruption:
    return M.Interruption(
        start=r(i.start), end=r(i.end), by=i.by_role, of=i.of_role, by_label=i.by, of_label=i.of, kind=i.kind,
        overlap_s=r(i.overlap_s), yielded=i.yielded, text=i.text, interrupted_text=i.interrupted_text, **_sure(i, f),
    )


def _question(q, f: _Found) -> M.Question:
    return M.Question(
        start=r(q.start), end=r(q.end), speaker=q.speaker, text=q.text, form=q.form, wait_s=r(q.wait_s),
        next_by=q.next_by, next_role=q.next_role, outcome=q.outcome, honoured=q.honoured, **_sure(q, f),
    )


# -- components ------------------------------------------------------------------

def _values(f: _Found, config: ScorecardConfig) -> dict[str, float | None]:
    """Each component's value; None when it does not apply to this call."""
    short = f.span_s < config.rate_min_span_s
    return {
        "talk_ratio": f.ratio,
        "longest_monologue": f.mono.duration if f.mono else None,
        "patience": f.patience,
        "four_second_rule": f.rule.share_honoured,
        "interruptions": None if short or not f.overlap_seen else f.per_10,
        "paraphrase": f.stories.share_played_back,
        "question_rate": f.q_rate if f.has_rep and not short else None,
    }


def _reasons(f: _Found, config: ScorecardConfig) -> dict[str, str]:
    """Why each component would not apply."""
    too_short = f"under {config.rate_min_span_s:.0f} s of speech: too short for a rate"
    if not (f.has_rep and f.has_customer):
        interruptions = "needs a rep and a customer"
    elif not f.overlap_seen:
        interruptions = ("not measured: this recording's diarizer does not separate overlapping speech (mono call); "
                         "use a dual-channel recording (--channels) or --diarizer pyannote")
    else:
        interruptions = too_short
    return {
        "talk_ratio": "neither a rep nor a customer spoke",
        "longest_monologue": "no rep turn",
        "patience": "the floor never passed from a customer to a rep",
        "four_second_rule": "the rep asked no questions",
        "interruptions": interruptions,
        "paraphrase": f"no customer story of {config.metrics.story_min_s:.0f} s or more",
        "question_rate": "no rep" if not f.has_rep else too_short,
    }


def _component_moments(f: _Found, mb: MomentBuilder, config: ScorecardConfig) -> dict[str, list]:
    limit = config.max_component_moments
    longest_rep_turns = sorted((t for t in f.turns if t.role == Role.REP), key=lambda t: -t.duration)[:3]
    return {
        "talk_ratio": [mb.turn(t, "rep_turn") for t in longest_rep_turns],
        "longest_monologue": [mb.turn(t, "monologue") for t in ([f.mono] if f.mono else [])],
        "patience": [mb.switch(s) for s in sorted(f.switches, key=lambda s: s.gap_s)[:limit]],
        "four_second_rule": [mb.question(q, f.conf(q)) for q in f.rule.violations[:limit]],
        "interruptions": [mb.interruption(i, f.conf(i)) for i in f.rep_on_customer[:limit]],
        "paraphrase": [mb.paraphrase(p, f.conf(p)) for p in f.certain(f.paraphrases)[:limit]]
        + [mb.missed_playback(s) for s in f.stories.items if not s.played_back][:limit],
        "question_rate": [mb.question(q, f.conf(q)) for q in f.certain(f.questions)[:limit]],
    }


def _components(values: dict[str, float | None], targets: dict[str, Target], moments_of: dict[str, list],
                reasons: dict[str, str]) -> list[M.Component]:
    applicable_w = sum(t.weight for n, t in targets.items() if values.get(n) is not None)
    out = []
    for name, target in targets.items():
        value = values.get(name)
        score = None if value is None else round(float(curve(value, target)), 1)
        judged = verdict(score)
        out.append(M.Component(
            name=name,
            value=r(value),
            target=target.label,
            target_range=M.TargetRange(good_min=target.good_min, good_max=target.good_max,
                                       zero_below=target.zero_below, zero_above=target.zero_above),
            weight=target.weight,
            share=r(target.weight / applicable_w) if value is not None and applicable_w > 0 else 0.0,
            applicable=value is not None,
            reason=None if value is not None else reasons.get(name),
            met=None if judged is Verdict.NOT_SCORED else judged is Verdict.MET,
            score=score,
            moments=moments_of.get(name, []) if value is not None else [],
        ))
    return out


def _overall(components: list[M.Component]) -> int | None:
    """The weighted mean of the applicable components with a weight, rounded."""
    scored = [(c.score, c.weight) for c in components if c.applicable and c.weight > 0 and c.score is not None]
    total_w = sum(w for _, w in scored)
    return round(sum(s * w for s, w in scored) / total_w) if total_w > 0 else None


def _call_moments(f: _Found, mb: MomentBuilder, config: ScorecardConfig) -> list:
    """Every interruption, four-second-rule break, monologue over target and play-back, in
    time order; uncertain ones too, marked so."""
    monologues = [t for t in f.turns if t.role == Role.REP and t.duration > config.monologue_target_s]
    moments = (
        [mb.interruption(i, f.conf(i)) for i in f.interruptions]
        + [mb.question(q, f.conf(q)) for q in f.questions if not q.honoured]
        + [mb.turn(t, "monologue", config.monologue_target_s) for t in monologues]
        + [mb.paraphrase(p, f.conf(p)) for p in f.paraphrases]
    )
    return moments


# -- what was said ------------------------------------------------------------------

@dataclass
class _Said:
    """What the content metrics found in one call (``docs/metrics.md``, "Content of the conversation")."""

    focus: Any
    promotion: Any
    quality: Any
    objections: list
    next_step: Any
    follow_ups: list
    pace: Any
    fillers: Any
    dead_air: list
    customer_questions: list
    trackers: list
    end_s: float
    content: ContentConfig
    transcribed: bool  # the rep's words are there to judge


def _listen(timeline: CallTimeline, config: ScorecardConfig, embedder: Embedder | None) -> _Said:
    mc, cc = config.metrics, config.content
    # The classifier behind objections and self-promotion embeds sentences; without
    # ``semantic`` it is never asked, so no embedder is needed.
    return _Said(
        focus=customer_focus(timeline, mc, cc),
        promotion=find_self_promotion(timeline, mc, cc, embedder=embedder),
        quality=question_quality(timeline, mc),
        objections=find_objections(timeline, mc, cc, embedder=embedder),
        next_step=find_next_step(timeline, mc, cc),
        follow_ups=find_follow_ups(timeline, mc),
        pace=pace(timeline, mc),
        fillers=filler_words(timeline, mc, cc),
        dead_air=dead_air(timeline, mc, cc),
        customer_questions=customer_questions(timeline, mc),
        trackers=find_tracker_hits(timeline, config.trackers, mc) if config.trackers else [],
        end_s=max([w.end for w in timeline.words] + [t.end for t in timeline.speech], default=timeline.duration),
        content=cc,
        transcribed=any(w.speaker in set(timeline.labels(Role.REP)) for w in timeline.words),
    )


def _said(m) -> M.Said | None:
    return None if m is None else M.Said(speaker=m.speaker, role=m.role, start=r(m.start), end=r(m.end), text=m.text)


def _content_metrics(s: _Said) -> dict[str, Any]:
    """The ``Metrics`` fields of what was said."""
    ns = s.next_step
    return {
        "customer_focus": M.CustomerFocus(customer=s.focus.customer, seller=s.focus.seller, neutral=s.focus.neutral,
                                          share=r(s.focus.share)),
        "self_promotion": M.SelfPromotion(count=s.promotion.count, rate=r(s.promotion.rate),
                                          per_s=s.content.promotion_rate_per_s,
                                          items=[_said(m) for m in s.promotion.moments]),
        "question_quality": M.QuestionQuality(
            open=s.quality.open, closed=s.quality.closed, open_share=r(s.quality.open_share),
            median_yield_s=r(s.quality.median_yield_s),
            questions=[M.RatedQuestion(start=r(q.question.start), end=r(q.question.end), text=q.question.text,
                                       type=q.type, yield_s=r(q.yield_s)) for q in s.quality.questions],
        ),
        "objections": [
            M.Objection(start=r(o.moment.start), end=r(o.moment.end), speaker=o.moment.speaker, text=o.moment.text,
                        type=o.type, response=_said(o.response), response_kind=o.response_kind, pause_s=r(o.pause_s))
            for o in s.objections
        ],
        "next_step": M.NextStep(found=ns.found, time=ns.time, said=_said(ns.moment), agreed_by=_said(ns.agreed_by),
                                window_start=r(ns.window_start)),
        "follow_ups": [_said(m) for m in s.follow_ups],
        "pace": M.Pace(rep_wpm=r(s.pace.rep_wpm, 1), customer_wpm=r(s.pace.customer_wpm, 1),
                       rep_words=s.pace.rep_words, customer_words=s.pace.customer_words),
        "fillers": M.Fillers(count=s.fillers.count, per_minute=r(s.fillers.per_minute), by_word=dict(s.fillers.by_word),
                             items=[M.Filler(speaker=f.speaker, start=r(f.start), end=r(f.end), text=f.text)
                                    for f in s.fillers.moments]),
        "dead_air": [M.DeadAir(start=r(d.start), end=r(d.end), duration_s=r(d.duration)) for d in s.dead_air],
        "customer_questions": [_said(m) for m in s.customer_questions],
        "trackers": [M.TrackerHit(tracker=h.tracker, phrase=h.phrase, speaker=h.speaker, role=h.role, start=r(h.start),
                                  end=r(h.end), text=h.text) for h in s.trackers],
    }


def _content_values(f: _Found, s: _Said, config: ScorecardConfig) -> dict[str, float | None]:
    short = f.span_s < config.rate_min_span_s
    return {
        "customer_focus": s.focus.share,
        "open_questions": s.quality.open_share,
        "question_yield": s.quality.median_yield_s,
        "self_promotion": s.promotion.rate if f.has_rep and not short else None,
    }


def _content_reasons(f: _Found, config: ScorecardConfig) -> dict[str, str]:
    return {
        "customer_focus": "no rep sentence about the customer or the seller",
        "open_questions": "the rep asked no questions",
        "question_yield": "no rep question with room for an answer after it",
        "self_promotion": "no rep" if not f.has_rep
        else f"under {config.rate_min_span_s:.0f} s of speech: too short for a rate",
    }


def _content_component_moments(s: _Said, mb: MomentBuilder, config: ScorecardConfig) -> dict[str, list]:
    limit = config.max_component_moments
    promoting = [mb.self_promotion(m) for m in s.promotion.moments[:limit]]
    rated = s.quality.questions
    return {
        "customer_focus": promoting,
        "self_promotion": promoting,
        "open_questions": [mb.rated_question(q) for q in rated if q.type == "open"][:limit],
        "question_yield": [mb.rated_question(q) for q in sorted(
            (q for q in rated if q.yield_s is not None), key=lambda q: -q.yield_s)][:limit],
    }


def _content_moments(s: _Said, mb: MomentBuilder) -> list:
    """Every self-promotion, objection, follow-up, dead air and tracker hit, and the next step or its absence."""
    return (
        [mb.self_promotion(m) for m in s.promotion.moments]
        + [mb.objection(o) for o in s.objections]
        # A call without the rep's words says nothing about a next step either way.
        + ([mb.next_step(s.next_step, s.end_s)] if s.next_step.found or s.transcribed else [])
        + [mb.follow_up(m) for m in s.follow_ups]
        + [mb.dead_air(d) for d in s.dead_air]
        + [mb.tracker(h) for h in s.trackers]
    )
