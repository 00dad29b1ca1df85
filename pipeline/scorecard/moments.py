"""Coaching moments: a time range, what happened, and the transcript around it."""

from __future__ import annotations

from listenlens.pipeline.lines import speaker_lines
from listenlens.pipeline.metrics import MetricsConfig
from listenlens.pipeline.scorecard.components import clip
from listenlens.pipeline.scorecard.models import (
    DeadAirMoment,
    FollowUpMoment,
    FourSecondRuleMoment,
    InterruptionMoment,
    MissedPlaybackMoment,
    NextStepMoment,
    ObjectionMoment,
    ParaphraseMoment,
    QuestionMoment,
    SelfPromotionMoment,
    SwitchMoment,
    TrackerMoment,
    TranscriptLine,
    TurnMoment,
)
from listenlens.pipeline.timeline import CallTimeline, Role


def r(x: float | None, nd: int = 3) -> float | None:
    """Rounded for the scorecard: times to the millisecond."""
    return None if x is None else round(float(x), nd)


class MomentBuilder:
    def __init__(self, timeline: CallTimeline, mc: MetricsConfig, uncertain_below: float = 0.5):
        self.timeline = timeline
        self.mc = mc
        self.uncertain_below = uncertain_below

    def transcript(self, start: float, end: float) -> list[TranscriptLine]:
        """Lines of the words from ``context_s`` before to after the range (capped at ``context_max_s``)."""
        lo = start - self.mc.context_s
        hi = min(end + self.mc.context_s, start + self.mc.context_max_s)
        words = ((w.speaker, w.start, w.end, w.text) for w in self.timeline.words if w.end > lo and w.start < hi)
        return [TranscriptLine(speaker=line.speaker, role=self.timeline.role_of(line.speaker), start=r(line.start),
                               end=r(line.end), text=line.text)
                for line in speaker_lines(words, self.mc.pause_s)]

    def _common(self, start: float, end: float, title: str, *, good: bool = False, severity: float = 0.0,
                confidence: float = 1.0) -> dict:
        uncertain = confidence < self.uncertain_below
        return {"start": r(start), "end": r(end), "title": title + (" (uncertain)" if uncertain else ""), "good": good,
                "severity": r(severity, 2), "transcript": self.transcript(start, end),
                "confidence": r(confidence), "uncertain": uncertain}

    def interruption(self, i, confidence: float = 1.0) -> InterruptionMoment:
        listening_failure = i.by_role == Role.REP and i.of_role == Role.CUSTOMER
        title = f"{i.by} ({i.by_role.value}) interrupted {i.of} ({i.of_role.value}) for {i.overlap_s:.1f} s"
        title += "; they yielded" if i.yielded else "; they kept talking"
        severity = min(1.0, i.overlap_s / 3.0) if listening_failure else 0.1
        return InterruptionMoment(**self._common(i.start, i.end, title, severity=severity, confidence=confidence),
                                  by=i.by_role, of=i.of_role, overlap_s=r(i.overlap_s))

    def question(self, q, confidence: float = 1.0) -> QuestionMoment | FourSecondRuleMoment:
        end = q.end + max(q.wait_s, 0.0)
        if q.honoured:
            title = f"question, {q.outcome.replace('_', ' ')} after {q.wait_s:.1f} s"
            return QuestionMoment(**self._common(q.start, end, title, good=True, confidence=confidence), text=q.text)
        how = "asked another question" if q.outcome == "stacked" else "answered it"
        title = f"rep {how} {q.wait_s:.1f} s after asking (under {self.mc.four_second_rule_s:g} s)"
        severity = clip(1.0 - max(q.wait_s, 0.0) / self.mc.four_second_rule_s)
        return FourSecondRuleMoment(**self._common(q.start, end, title, severity=severity, confidence=confidence),
                                    text=q.text, wait_s=r(q.wait_s))

    def turn(self, t, kind: str, target: float | None = None) -> TurnMoment:
        title = f"{t.speaker} spoke for {t.duration:.0f} s"
        severity = clip((t.duration - target) / target) if target else 0.0
        return TurnMoment(kind=kind, **self._common(t.start, t.end, title, severity=severity), duration_s=r(t.duration))

    def paraphrase(self, p, confidence: float = 1.0) -> ParaphraseMoment:
        how = f'opened with "{p.opener}"' if p.method == "opener" else f"similarity {p.similarity:.2f}"
        return ParaphraseMoment(**self._common(p.start, p.end, f"played back the customer ({how})", good=True,
                                               confidence=confidence),
                                text=p.text, restates=p.restates)

    def switch(self, s) -> SwitchMoment:
        title = f"{s.rep} replied {s.gap_s:.1f} s after {s.customer} finished"
        return SwitchMoment(**self._common(min(s.customer_end, s.rep_start), max(s.customer_end, s.rep_start), title),
                            gap_s=r(s.gap_s))

    def missed_playback(self, story) -> MissedPlaybackMoment:
        return MissedPlaybackMoment(**self._common(story.start, story.end, "customer story not played back"))

    # -- what was said ---------------------------------------------------------------

    def self_promotion(self, m) -> SelfPromotionMoment:
        return SelfPromotionMoment(**self._common(m.start, m.end, "rep praised the seller's side", severity=0.5),
                                   text=m.text)

    def rated_question(self, q) -> QuestionMoment:
        how = "no answer yet" if q.yield_s is None else f"the customer talked {q.yield_s:.1f} s"
        return QuestionMoment(**self._common(q.question.start, q.question.end, f"{q.type} question; {how}",
                                             good=q.type == "open"), text=q.question.text)

    def objection(self, o) -> ObjectionMoment:
        kind = o.type.replace("_", " ")
        if o.response is None:
            title, good, severity = f"{kind} objection; the rep did not reply", False, 0.6
        else:
            title = f"{kind} objection; the rep replied by {o.response_kind}"
            good, severity = o.response_kind == "listening", 0.7 if o.response_kind == "pitching" else 0.3
        end = o.response.end if o.response is not None else o.moment.end
        return ObjectionMoment(**self._common(o.moment.start, end, title, good=good, severity=severity),
                               text=o.moment.text, type=o.type, response=o.response.text if o.response else None,
                               response_kind=o.response_kind, pause_s=r(o.pause_s))

    def next_step(self, ns, call_end: float) -> NextStepMoment:
        if ns.found:
            end = max(ns.moment.end, ns.agreed_by.end if ns.agreed_by else ns.moment.end)
            return NextStepMoment(kind="next_step", **self._common(ns.moment.start, end, f"next step agreed: {ns.time}",
                                                                   good=True),
                                  text=ns.moment.text, time=ns.time)
        # The close of the call is where a next step was missed: the moment is its last words.
        start = min(call_end, max(ns.window_start, call_end - self.mc.context_max_s))
        common = self._common(start, call_end, "the call ended with no agreed next step", severity=0.8)
        return NextStepMoment(kind="missing_next_step", **common, text=None, time=None)

    def follow_up(self, m) -> FollowUpMoment:
        return FollowUpMoment(**self._common(m.start, m.end, "rep promised a follow-up: keep it", good=True), text=m.text)

    def dead_air(self, d) -> DeadAirMoment:
        severity = clip(d.duration / 20.0)
        return DeadAirMoment(**self._common(d.start, d.end, f"{d.duration:.0f} s of silence", severity=severity),
                             duration_s=r(d.duration))

    def tracker(self, h) -> TrackerMoment:
        return TrackerMoment(**self._common(h.start, h.end, f'{h.tracker}: "{h.phrase}" ({h.role.value})'),
                             tracker=h.tracker, phrase=h.phrase, role=h.role, text=h.text)
