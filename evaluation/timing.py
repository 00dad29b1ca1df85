"""The scorecard's timing figures on the truth and on the hypothesis, and their error.

Both sides are measured by the metric functions the scorecard uses
(``listenlens.pipeline.metrics``), so an error here is an error a coach would see.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from listenlens.evaluation.cases import EvalCase
from listenlens.pipeline.metrics.patience import Switch, customer_to_rep_switches, median_patience
from listenlens.pipeline.timeline import CallTimeline, Role, RoleAssignment, RoleSource, Speaker, Turn

# A found interruption matches a true one when the same (mapped) speaker starts it this
# close in time; a question's wait is compared when the question ends this close.
EVENT_TOLERANCE_S = 1.0
REP_RULE = "first speaker of the truth is the rep; hypothesis speakers take roles through pyannote's optimal mapping"


def truth_rep(reference: list[Turn]) -> str:
    """The truth's rep: the speaker whose first turn starts earliest (ties: by label)."""
    first: dict[str, float] = {}
    for t in reference:
        first[t.speaker] = min(first.get(t.speaker, math.inf), t.start)
    return min(first, key=lambda s: (first[s], s))


def with_roles(timeline: CallTimeline, rep_labels: set[str], source: RoleSource = RoleSource.HINT) -> CallTimeline:
    """A copy of ``timeline`` whose rep is ``rep_labels`` and everyone else a customer."""
    speakers = [
        Speaker(s.label, Role.REP if s.label in rep_labels else Role.CUSTOMER, s.channel) for s in timeline.speakers
    ]
    return replace(timeline, speakers=speakers, roles=RoleAssignment(source, 1.0, ["evaluation mapping"]), source=dict(timeline.source))


def truth_timeline(case: EvalCase, duration: float, words: Sequence = ()) -> CallTimeline:
    """The truth as a timeline, carrying the pipeline's words re-attributed to truth speakers."""
    from listenlens.pipeline.asr import AsrSegment, AsrWord
    from listenlens.pipeline.attribute import attribute_words

    turns = [t for t in case.reference if t.end > t.start]
    segments = [AsrSegment(w.start, w.end, w.text, [AsrWord(w.start, w.end, w.text, w.probability)]) for w in words]
    moved = attribute_words(segments, turns) if segments and turns else []
    timeline = CallTimeline(duration=duration, speech=turns, words=moved, speakers=[], source={"name": case.file_id})
    return with_roles(timeline, {truth_rep(case.reference)})


@dataclass
class TimingMetrics:
    talk_ratio: float | None
    longest_monologue_s: float
    interruptions: list[tuple[float, str, str]]  # (start, by label, of label)
    switches: list[Switch]  # every pass of the floor from a customer to a rep
    questions: list[tuple[float, float]]  # (question end, wait_s)

    @property
    def patience_s(self) -> float | None:
        """The scorecard's patience: the median gap from the customer's last word to the rep's first."""
        return median_patience(self.switches)

    def to_dict(self) -> dict[str, Any]:
        return {
            "talk_ratio": self.talk_ratio,
            "longest_monologue_s": self.longest_monologue_s,
            "interruptions": len(self.interruptions),
            "patience_s": self.patience_s,
            "questions": len(self.questions),
            "median_wait_s": statistics.median([w for _, w in self.questions]) if self.questions else None,
        }


def timing_metrics(timeline: CallTimeline) -> TimingMetrics:
    """The scorecard's timing figures, from the same metric functions the scorecard uses."""
    from listenlens.pipeline.metrics.interruptions import find_interruptions
    from listenlens.pipeline.metrics.questions import find_questions
    from listenlens.pipeline.metrics.talk import talk_ratio
    from listenlens.pipeline.metrics.turns import analyze_floor, longest_turn

    floor = analyze_floor(timeline)
    longest = longest_turn(floor.turns, Role.REP)
    return TimingMetrics(
        talk_ratio=None if (ratio := talk_ratio(timeline)) is None else float(ratio),
        longest_monologue_s=longest.duration if longest else 0.0,
        interruptions=[(i.start, i.by, i.of) for i in find_interruptions(timeline)],
        switches=customer_to_rep_switches(floor.turns),
        questions=[(q.end, q.wait_s) for q in find_questions(timeline) if q.outcome != "end_of_call"],
    )


def match_events(truth: list[float], found: list[float], tolerance: float = EVENT_TOLERANCE_S) -> list[tuple[int, int]]:
    """Pairs (truth index, found index), each event used once, closest pairs first."""
    candidates = sorted(
        (abs(t - f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found) if abs(t - f) <= tolerance
    )
    used_t: set[int] = set()
    used_f: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def compare_timing(truth: TimingMetrics, hyp: TimingMetrics, mapping: dict[str, str]) -> dict[str, Any]:
    """Error of each hypothesis timing figure against the truth's."""
    out: dict[str, Any] = {"truth": truth.to_dict(), "hypothesis": hyp.to_dict()}
    if truth.talk_ratio is not None and hyp.talk_ratio is not None:
        out["talk_ratio_error_pp"] = 100.0 * (hyp.talk_ratio - truth.talk_ratio)
    else:
        out["talk_ratio_error_pp"] = None
    out["longest_monologue_error_s"] = hyp.longest_monologue_s - truth.longest_monologue_s

    # An interruption is found when the same speaker (through the mapping) starts one nearby.
    found = 0
    for by in {b for _, b, _ in truth.interruptions}:
        t_times = [s for s, b, _ in truth.interruptions if b == by]
        h_times = [s for s, b, _ in hyp.interruptions if mapping.get(b) == by]
        found += len(match_events(t_times, h_times))
    out["interruptions"] = {
        "truth": len(truth.interruptions),
        "found": len(hyp.interruptions),
        "matched": found,
        "missed": len(truth.interruptions) - found,
        "extra": len(hyp.interruptions) - found,
        "count_error": len(hyp.interruptions) - len(truth.interruptions),
    }
    tp, hp = truth.patience_s, hyp.patience_s
    out["patience_error_s"] = hp - tp if tp is not None and hp is not None else None
    pairs = match_events([e for e, _ in truth.questions], [e for e, _ in hyp.questions])
    wait_errors = [hyp.questions[j][1] - truth.questions[i][1] for i, j in pairs]
    out["wait"] = {
        "questions_truth": len(truth.questions),
        "questions_found": len(hyp.questions),
        "matched": len(pairs),
        "mean_abs_error_s": statistics.fmean(abs(e) for e in wait_errors) if wait_errors else None,
    }
    return out
