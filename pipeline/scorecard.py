"""The listening scorecard: every metric, a 0-100 score, and the moments behind it.

``score_call(timeline)`` returns a JSON-ready dict (schema ``listenlens.scorecard/1``,
described in ``docs/metrics.md``). The score is a weighted mean of components, each
scored 0-100 against a target by a trapezoid curve (``curve``): 100 inside the good
band, falling linearly to 0 at the zero points. A component that does not apply to
the call (no questions asked, no customer to interrupt) is reported with
``applicable: false`` and left out, the remaining weights renormalised.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from listenlens.errors import ListenlensError
from listenlens.pipeline.metrics import (
    Embedder,
    MetricsConfig,
    analyze_floor,
    customer_to_rep_switches,
    find_interruptions,
    find_paraphrases,
    find_questions,
    four_second_rule,
    longest_turn,
    median_patience,
    non_talk_time,
    question_rate,
    side_talk_time,
    speaker_switches,
    switches_per_minute,
    talk_ratio,
    talk_times,
)
from listenlens.pipeline.metrics.utterances import speech_span
from listenlens.pipeline.timeline import CallTimeline, Role

SCHEMA = "listenlens.scorecard/1"


class Target(BaseModel):
    """How one component is scored: 100 in [good_min, good_max], 0 at/after the zero points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(ge=0)
    good_min: float | None = None
    good_max: float | None = None
    zero_below: float | None = None
    zero_above: float | None = None
    label: str = ""  # how the target reads on the scorecard, e.g. "35-50%"

    @model_validator(mode="after")
    def _ordered(self) -> "Target":
        if self.good_min is not None and (self.zero_below is None or self.zero_below >= self.good_min):
            raise ValueError("good_min needs a zero_below below it")
        if self.good_max is not None and (self.zero_above is None or self.zero_above <= self.good_max):
            raise ValueError("good_max needs a zero_above above it")
        if self.good_min is not None and self.good_max is not None and self.good_min > self.good_max:
            raise ValueError("good_min is above good_max")
        return self


def curve(value: float, target: Target) -> float:
    """0-100 for ``value`` against ``target`` (a trapezoid; see the module docstring)."""
    if target.good_min is not None and value < target.good_min:
        assert target.zero_below is not None
        return 100.0 * _clip((value - target.zero_below) / (target.good_min - target.zero_below))
    if target.good_max is not None and value > target.good_max:
        assert target.zero_above is not None
        return 100.0 * _clip((target.zero_above - value) / (target.zero_above - target.good_max))
    return 100.0


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def _default_targets() -> dict[str, Target]:
    return {
        # Gong Labs (25,537 B2B calls): top performers 43% rep talk, average 65-75%.
        "talk_ratio": Target(weight=3, good_min=0.35, good_max=0.50, zero_below=0.10, zero_above=0.75, label="35-50%"),
        # Gong: keep monologues under 2.5 minutes.
        "longest_monologue": Target(weight=1.5, good_max=150.0, zero_above=300.0, label="under 150 s"),
        # Gong: top performers pause 0.6-1.0 s before replying.
        "patience": Target(weight=1.5, good_min=0.6, good_max=1.0, zero_below=-0.5, zero_above=4.0, label="0.6-1.0 s"),
        # Rowe's wait-time research; house target: 80% of questions get room to answer.
        "four_second_rule": Target(weight=2, good_min=0.8, zero_below=0.0, label="80% of questions"),
        # House target: at most one interruption of the customer per 10 minutes.
        "interruptions": Target(weight=2, good_max=1.0, zero_above=6.0, label="at most 1 per 10 min"),
        # House target: play back at least half of the customer's stories.
        "paraphrase": Target(weight=1, good_min=0.5, zero_below=0.0, label="half of customer stories"),
        # Gong: 11-14 questions in a discovery call (about 3-6 per 10 minutes of a 30-40 min call).
        "question_rate": Target(weight=1, good_min=2.5, good_max=6.0, zero_below=0.0, zero_above=15.0, label="2.5-6 per 10 min"),
    }


class ScorecardConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    targets: dict[str, Target] = Field(default_factory=_default_targets)
    monologue_target_s: float = Field(150.0, gt=0, description="rep turns longer than this are coaching moments")
    max_component_moments: int = Field(10, ge=0, description="moments listed per component")
    rate_min_span_s: float = Field(
        120.0, ge=0, description="rates per 10 minutes are not scored on calls with less speech span than this"
    )

    @field_validator("targets", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        # Changing one target keeps the others; weight 0 drops a component from the score.
        return {**_default_targets(), **value} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _known_targets(self) -> "ScorecardConfig":
        unknown = set(self.targets) - set(_default_targets())
        if unknown:
            raise ValueError(f"unknown score components {sorted(unknown)}; known: {sorted(_default_targets())}")
        return self


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


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


def score_call(timeline: CallTimeline, config: ScorecardConfig | None = None, *, embedder: Embedder | None = None) -> dict[str, Any]:
    """Measure a call and score its listening; see ``docs/metrics.md`` for the contract."""
    _check(timeline)
    config = config or ScorecardConfig()
    mc = config.metrics
    floor = analyze_floor(timeline, mc)
    turns = sorted(floor.turns, key=lambda t: t.start)
    span = speech_span(floor.utterances)
    span_s = (span[1] - span[0]) if span else 0.0
    reps, customers = timeline.labels(Role.REP), timeline.labels(Role.CUSTOMER)
    ctx = _Context(timeline, mc)

    interruptions = find_interruptions(timeline, mc)
    questions = find_questions(timeline, mc)
    rule = four_second_rule(questions)
    q_rate = question_rate(questions, timeline, mc)
    switches = customer_to_rep_switches(turns)
    patience = median_patience(switches)
    paraphrases = find_paraphrases(turns, mc, embedder=embedder)
    ratio = talk_ratio(timeline)
    mono = longest_turn(turns, Role.REP)
    story = longest_turn(turns, Role.CUSTOMER)
    stories = _stories(turns, paraphrases, mc)
    rep_on_customer = [i for i in interruptions if i.by_role == Role.REP and i.of_role == Role.CUSTOMER]
    per_10 = (len(rep_on_customer) / span_s * 600.0) if span_s > 0 and reps and customers else None

    metrics: dict[str, Any] = {
        "talk_ratio": _r(ratio),
        "talk_time_s": {
            "rep": _r(side_talk_time(timeline, Role.REP)),
            "customer": _r(side_talk_time(timeline, Role.CUSTOMER)),
            "unknown": _r(side_talk_time(timeline, Role.UNKNOWN)),
        },
        "speech_span_s": _r(span_s),
        "non_talk_s": _r(non_talk_time(timeline)),
        "turns": [{"speaker": t.speaker, "role": t.role.value, "start": _r(t.start), "end": _r(t.end)} for t in turns],
        "longest_monologue_s": _r(mono.duration) if mono else None,
        "longest_monologue": _turn_ref(mono),
        "longest_customer_story_s": _r(story.duration) if story else None,
        "longest_customer_story": _turn_ref(story),
        "backchannels": [
            {
                "start": _r(b.utterance.start), "end": _r(b.utterance.end), "speaker": b.utterance.speaker,
                "role": b.utterance.role.value, "text": b.utterance.text, "during": b.holder,
            }
            for b in floor.backchannels
        ],
        "backchannel_count": {
            role.value: sum(1 for b in floor.backchannels if b.utterance.role == role) for role in Role
        },
        "interruptions": [_interruption(i) for i in interruptions],
        "interruption_counts": {
            "rep_on_customer": len(rep_on_customer),
            "customer_on_rep": sum(1 for i in interruptions if i.by_role == Role.CUSTOMER and i.of_role == Role.REP),
            "other": sum(1 for i in interruptions if i.kind not in {"rep_on_customer", "customer_on_rep"}),
            "rep_on_customer_per_10min": _r(per_10),
        },
        "questions": [_question(q) for q in questions],
        "four_second_rule": {
            "threshold_s": mc.four_second_rule_s,
            "asked": rule.asked,
            "honoured": rule.honoured,
            "share_honoured": _r(rule.share_honoured),
            "median_wait_s": _r(rule.median_wait_s),
            "self_answered": rule.self_answered,
            "stacked": rule.stacked,
            "violations": [_question(q) for q in rule.violations],
        },
        "question_rate": {"value": _r(q_rate), "per_s": mc.question_rate_per_s, "count": len(questions)},
        "patience": {
            "median_s": _r(patience),
            "switches": [
                {"customer": s.customer, "rep": s.rep, "customer_end": _r(s.customer_end),
                 "rep_start": _r(s.rep_start), "gap_s": _r(s.gap_s)}
                for s in switches
            ],
        },
        "paraphrases": [
            {
                "start": _r(p.start), "end": _r(p.end), "speaker": p.speaker, "text": p.text,
                "restates": p.restates, "restates_speaker": p.customer, "restates_start": _r(p.restates_start),
                "restates_end": _r(p.restates_end), "method": p.method, "opener": p.opener,
                "similarity": _r(p.similarity),
            }
            for p in paraphrases
        ],
        "customer_stories": stories,
        "interactivity": {"switches": speaker_switches(turns), "per_minute": _r(switches_per_minute(floor))},
    }

    monologues = [t for t in turns if t.role == Role.REP and t.duration > config.monologue_target_s]
    short = span_s < config.rate_min_span_s
    # A diarizer that never overlaps two speakers (mono call, embedded backend) hides
    # every interruption: report "not measured", never a reassuring 0.
    overlap_seen = bool(timeline.source.get("diarizer", {}).get("detects_overlap", True))
    metrics["interruption_counts"]["measured"] = overlap_seen
    # Overlaps from separate channels are exact; from a mono mix they are detected, and a
    # coach should know which kind of count they are reading.
    backend = timeline.source.get("diarizer", {}).get("backend")
    metrics["interruption_counts"]["estimated"] = backend is not None and backend != "channels"
    reasons = {
        "talk_ratio": "neither a rep nor a customer spoke",
        "longest_monologue": "no rep turn",
        "patience": "the floor never passed from a customer to a rep",
        "four_second_rule": "the rep asked no questions",
        "interruptions": "needs a rep and a customer" if not (reps and customers) else
        "not measured: this recording's diarizer does not separate overlapping speech (mono call); "
        "use a dual-channel recording (--channels) or --diarizer pyannote" if not overlap_seen else
        f"under {config.rate_min_span_s:.0f} s of speech: too short for a rate",
        "paraphrase": f"no customer story of {mc.story_min_s:.0f} s or more",
        "question_rate": "no rep" if not reps else
        f"under {config.rate_min_span_s:.0f} s of speech: too short for a rate",
    }
    values = {
        "talk_ratio": ratio,
        "longest_monologue": mono.duration if mono else None,
        "patience": patience,
        "four_second_rule": rule.share_honoured,
        "interruptions": None if short or not overlap_seen else per_10,
        "paraphrase": stories["share_played_back"],
        "question_rate": q_rate if reps and not short else None,
    }
    limit = config.max_component_moments
    moments_of = {
        "talk_ratio": [ctx.turn_moment(t, "rep_turn") for t in sorted(
            (t for t in turns if t.role == Role.REP), key=lambda t: -t.duration)[:3]],
        "longest_monologue": [ctx.turn_moment(t, "monologue") for t in ([mono] if mono else [])],
        "patience": [ctx.moment("switch", min(s.customer_end, s.rep_start), max(s.customer_end, s.rep_start),
                               f"{s.rep} replied {s.gap_s:.1f} s after {s.customer} finished", gap_s=_r(s.gap_s))
                     for s in sorted(switches, key=lambda s: s.gap_s)[:limit]],
        "four_second_rule": [ctx.question_moment(q) for q in rule.violations[:limit]],
        "interruptions": [ctx.interruption_moment(i) for i in rep_on_customer[:limit]],
        "paraphrase": [ctx.paraphrase_moment(p) for p in paraphrases[:limit]]
        + [ctx.moment("missed_playback", s["start"], s["end"], "customer story not played back")
           for s in stories["items"] if not s["played_back"]][:limit],
        "question_rate": [ctx.question_moment(q) for q in questions[:limit]],
    }
    components = _components(values, config.targets, moments_of, reasons)

    moments = (
        [ctx.interruption_moment(i) for i in interruptions]
        + [ctx.question_moment(q) for q in rule.violations]
        + [ctx.turn_moment(t, "monologue", config.monologue_target_s) for t in monologues]
        + [ctx.paraphrase_moment(p) for p in paraphrases]
    )
    moments.sort(key=lambda m: (m["start"], m["kind"]))

    scored = [c for c in components if c["applicable"] and c["weight"] > 0]
    total_w = sum(c["weight"] for c in scored)
    score = round(sum(c["score"] * c["weight"] for c in scored) / total_w) if total_w > 0 else None

    return {
        "schema": SCHEMA,
        "score": score,
        "score_note": None if score is not None else "no component could be measured (no rep or customer speech)",
        "duration_s": _r(timeline.duration),
        "source": dict(timeline.source),
        "roles": {"source": timeline.roles.source.value, "confidence": _r(timeline.roles.confidence),
                  "evidence": list(timeline.roles.evidence)},
        "speakers": [
            {"label": s.label, "role": s.role.value, "talk_time_s": _r(s.talk_time_s)} for s in talk_times(timeline)
        ],
        "metrics": metrics,
        "components": components,
        "moments": moments,
        "settings": config.model_dump(mode="json"),
    }


def _components(
    values: dict[str, float | None], targets: dict[str, Target], moments_of: dict[str, list], reasons: dict[str, str]
) -> list[dict]:
    applicable_w = sum(t.weight for n, t in targets.items() if values.get(n) is not None)
    out = []
    for name, target in targets.items():
        value = values.get(name)
        score = None if value is None else round(float(curve(value, target)), 1)
        out.append({
            "name": name,
            "value": _r(value),
            "target": target.label,
            "target_range": {"good_min": target.good_min, "good_max": target.good_max,
                             "zero_below": target.zero_below, "zero_above": target.zero_above},
            "weight": target.weight,
            "share": _r(target.weight / applicable_w) if value is not None and applicable_w > 0 else 0.0,
            "applicable": value is not None,
            "reason": None if value is not None else reasons.get(name),
            "met": None if score is None else score >= 100.0,
            "score": score,
            "moments": moments_of.get(name, []) if value is not None else [],
        })
    return out


def _stories(turns, paraphrases, mc: MetricsConfig) -> dict[str, Any]:
    """Customer turns of ``story_min_s`` or more that a rep turn follows, and whether it restated them."""
    restated = {(p.restates_start, p.customer) for p in paraphrases}
    items = []
    for a, b in zip(turns, turns[1:]):
        if a.role == Role.CUSTOMER and b.role == Role.REP and a.duration >= mc.story_min_s:
            items.append({"start": _r(a.start), "end": _r(a.end), "speaker": a.speaker, "duration_s": _r(a.duration),
                          "played_back": (a.start, a.speaker) in restated})
    done = sum(1 for s in items if s["played_back"])
    return {"count": len(items), "played_back": done,
            "share_played_back": (done / len(items)) if items else None, "items": items}


def _turn_ref(t) -> dict | None:
    return None if t is None else {"speaker": t.speaker, "start": _r(t.start), "end": _r(t.end), "duration_s": _r(t.duration)}


def _interruption(i) -> dict:
    return {
        "start": _r(i.start), "end": _r(i.end), "by": i.by_role.value, "of": i.of_role.value,
        "by_label": i.by, "of_label": i.of, "kind": i.kind, "overlap_s": _r(i.overlap_s),
        "yielded": i.yielded, "text": i.text, "interrupted_text": i.interrupted_text,
    }


def _question(q) -> dict:
    return {
        "start": _r(q.start), "end": _r(q.end), "speaker": q.speaker, "text": q.text, "form": q.form,
        "wait_s": _r(q.wait_s), "next_by": q.next_by, "next_role": q.next_role.value if q.next_role else None,
        "outcome": q.outcome, "honoured": q.honoured,
    }


class _Context:
    """Builds moments: a time range, what happened, and the transcript around it."""

    def __init__(self, timeline: CallTimeline, mc: MetricsConfig):
        self.timeline = timeline
        self.mc = mc

    def transcript(self, start: float, end: float) -> list[dict]:
        lo = start - self.mc.context_s
        hi = min(end + self.mc.context_s, start + self.mc.context_max_s)
        lines: list[dict] = []
        for w in self.timeline.words:
            if w.end <= lo or w.start >= hi or not w.text.strip():
                continue
            if lines and lines[-1]["speaker"] == w.speaker and w.start - lines[-1]["end"] < self.mc.sentence_pause_s:
                lines[-1]["text"] += " " + w.text.strip()
                lines[-1]["end"] = _r(w.end)
            else:
                lines.append({"speaker": w.speaker, "role": self.timeline.role_of(w.speaker).value,
                              "start": _r(w.start), "end": _r(w.end), "text": w.text.strip()})
        return lines

    def moment(self, kind: str, start: float, end: float, title: str, *, good: bool = False,
               severity: float = 0.0, **extra: Any) -> dict:
        return {"kind": kind, "start": _r(start), "end": _r(end), "title": title, "good": good,
                "severity": _r(severity, 2), "transcript": self.transcript(start, end), **extra}

    def interruption_moment(self, i) -> dict:
        listening_failure = i.by_role == Role.REP and i.of_role == Role.CUSTOMER
        title = f"{i.by} ({i.by_role.value}) interrupted {i.of} ({i.of_role.value}) for {i.overlap_s:.1f} s"
        title += "; they yielded" if i.yielded else "; they kept talking"
        return self.moment("interruption", i.start, i.end, title, good=False,
                           severity=min(1.0, i.overlap_s / 3.0) if listening_failure else 0.1,
                           by=i.by_role.value, of=i.of_role.value, overlap_s=_r(i.overlap_s))

    def question_moment(self, q) -> dict:
        if q.honoured:
            title = f"question, {q.outcome.replace('_', ' ')} after {q.wait_s:.1f} s"
            return self.moment("question", q.start, q.end + max(q.wait_s, 0.0), title, good=True, text=q.text)
        how = "asked another question" if q.outcome == "stacked" else "answered it"
        title = f"rep {how} {q.wait_s:.1f} s after asking (under {self.mc.four_second_rule_s:g} s)"
        return self.moment("four_second_rule", q.start, q.end + max(q.wait_s, 0.0), title,
                           severity=_clip(1.0 - max(q.wait_s, 0.0) / self.mc.four_second_rule_s),
                           text=q.text, wait_s=_r(q.wait_s))

    def turn_moment(self, t, kind: str, target: float | None = None) -> dict:
        title = f"{t.speaker} spoke for {t.duration:.0f} s"
        severity = _clip((t.duration - target) / target) if target else 0.0
        return self.moment(kind, t.start, t.end, title, severity=severity, duration_s=_r(t.duration))

    def paraphrase_moment(self, p) -> dict:
        how = f'opened with "{p.opener}"' if p.method == "opener" else f"similarity {p.similarity:.2f}"
        return self.moment("paraphrase", p.start, p.end, f"played back the customer ({how})", good=True,
                           text=p.text, restates=p.restates)
