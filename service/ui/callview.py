"""What the call page shows, computed from the stored scorecard and timeline.

Everything is geometry and text ready for the template: the page draws the timeline
as SVG on the server, so it is there without JavaScript and a test can read it. The
numbers come from the scorecard as stored (the page never re-scores a call), validated
into the ``Scorecard`` model: what a coach sees is what the API returned. Labels,
formats and verdicts come from ``listenlens.pipeline.scorecard.components``; each
verdict and score band is a CSS class of the same name.
"""

from __future__ import annotations

from typing import Any

from listenlens.pipeline.lines import speaker_lines
from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.scorecard import Scorecard
from listenlens.pipeline.scorecard.coaching import CoachItem, PlainMoment, coach_call, ranked_moments, said_summary
from listenlens.pipeline.scorecard.components import BY_NAME, COMPONENTS, clock, format_value
from listenlens.pipeline.scorecard.models import Component, Metrics
from listenlens.pipeline.scorecard.names import ROLE_WORDS, SpeakerNames, names_from_scorecard, names_from_timeline

# Timeline SVG layout, in viewBox units (the SVG scales to the page width). The page
# draws it twice: wide for a desktop, narrow for a phone (CSS shows one), so the lanes
# always fit the width and the labels stay readable.
WIDTH = 1000
GUTTER = 120  # speaker names
PHONE_WIDTH = 380
PHONE_GUTTER = 88
PAD_RIGHT = 16
MARK_ROW = 40  # questions and their wait times, above the lanes
LANE_H = 30
LANE_GAP = 8
AXIS_H = 26
Q_ROW_H = 20  # each further row of question marks
Q_SPACING = 48  # question marks (with their wait label) closer than this go on another row
MARK_SPACING = 14  # marks on one lane closer than this are nudged apart
ROLE_ORDER = {"rep": 0, "customer": 1, "unknown": 2}

# Lines split where the metrics end a speaker's hold on the floor.
PAUSE_S = MetricsConfig().pause_s


def call_page(view: dict[str, Any], scorecard: Scorecard | None, timeline: dict[str, Any] | None) -> dict[str, Any]:
    """The template context for ``call.html`` (``view`` as ``calls.call_view`` returns it)."""
    page: dict[str, Any] = {"call": view, "done": view["status"] == "done", "duration": clock(_duration(view, scorecard, timeline))}
    if scorecard is None:
        return page
    names = (names_from_timeline(timeline, rep_name=view.get("rep")) if timeline
             else names_from_scorecard(scorecard, rep_name=view.get("rep")))
    page["names"] = names
    score = scorecard.score
    page["score"] = {"value": score, "text": "–" if score is None else f"{score:.0f}", "cls": scorecard.band.value,
                     "note": scorecard.score_note, "dash": _gauge_dash(score)}
    page["components"] = [component_row(c, scorecard) for c in _ordered_components(scorecard.components)]
    page["speakers"] = [s.model_dump(mode="json") for s in scorecard.speakers]
    page["roles"] = scorecard.roles.model_dump(mode="json")
    page["coach"] = [coach_row(item) for item in coach_call(scorecard, names)]
    page["moments"] = [moment_row(m) for m in ranked_moments(scorecard, names)]
    page["facts"] = _facts(scorecard.metrics)
    page["said"] = [{"label": item.label, "value": item.value, "at": item.at, "at_text": clock(item.at)}
                    for item in said_summary(scorecard, names)]
    if timeline:
        page["timeline"] = timeline_svg(timeline, scorecard.metrics, names)
        page["timeline_phone"] = timeline_svg(timeline, scorecard.metrics, names, width=PHONE_WIDTH,
                                              gutter=PHONE_GUTTER)
        page["transcript"] = transcript_lines(timeline, names=names)
    return page


def coach_row(item: CoachItem) -> dict[str, Any]:
    return {"component": item.component, "label": item.label, "value": item.value, "target": item.target,
            "cls": item.verdict.value, "verdict": item.verdict.label, "finding": item.finding,
            "suggestion": item.suggestion, "moment": moment_row(item.moment) if item.moment else None,
            "calls": item.calls}


def _duration(view, scorecard: Scorecard | None, timeline) -> float | None:
    for src in ((timeline or {}).get("duration"), scorecard.duration_s if scorecard else None,
                (view.get("recording") or {}).get("duration_s")):
        if src:
            return float(src)
    return None


def _gauge_dash(score: float | None) -> str:
    # Circumference of r=52 is 326.7; the arc's visible length is the score's share of it.
    full = 326.7
    part = 0.0 if score is None else max(0.0, min(100.0, float(score))) / 100 * full
    return f"{part:.1f} {full:.1f}"


def _ordered_components(components: list[Component]) -> list[Component]:
    order = {spec.name: i for i, spec in enumerate(COMPONENTS)}
    return sorted(components, key=lambda c: (not c.applicable, order.get(c.name, 99)))


def component_row(c: Component, card: Scorecard) -> dict[str, Any]:
    """One metric against its target, with a bullet chart: the scale, the good band, the value."""
    spec = BY_NAME.get(c.name)
    rng = c.target_range
    value = c.value
    # The scale runs from the zero points (or 0) to past the value, so the good band and
    # the value always show; shares always span 0-100%.
    lo = min([0.0] + [v for v in (rng.zero_below, rng.good_min, value) if v is not None])
    hi = max([v for v in (rng.zero_above, rng.good_max, value) if v is not None]
             + [1.0 if spec and spec.unit == "share" else lo + 1.0])

    def pct(x: float) -> float:
        return round(100.0 * (x - lo) / (hi - lo), 2) if hi > lo else 0.0

    band_lo = rng.good_min if rng.good_min is not None else lo
    band_hi = rng.good_max if rng.good_max is not None else hi
    return {
        "name": c.name,
        "label": c.label,
        # A weight-0 component is judged but left out of the listening score: say so.
        "help": c.help if c.weight > 0 else f"{c.help} (shown, not counted in the score)",
        "value": card.value_text(c),
        "target": c.target,
        "applicable": c.applicable,
        "reason": c.reason or "does not apply to this call",
        "met": c.met,
        "score": c.score,
        "score_text": "–" if c.score is None else f"{c.score:.0f}",
        "verdict": c.verdict.label,
        "cls": c.verdict.value,
        "weight": c.weight,
        "band": {"x": pct(band_lo), "w": max(0.0, pct(band_hi) - pct(band_lo))},
        "marker": None if value is None else pct(max(lo, min(hi, value))),
        "sr": f"{card.value_text(c)} against the target {c.target}: {c.verdict.label}" if c.applicable
              else f"not scored: {c.reason or 'does not apply to this call'}",
    }


def moment_row(m: PlainMoment) -> dict[str, Any]:
    """A moment as the page lists it: in plain words, with names, from ``coaching``."""
    return {
        "kind": m.kind,
        "kind_label": m.label,
        "start": m.start,
        "end": m.end,
        "at": m.at,
        "title": m.text,
        "good": m.good,
        "uncertain": m.uncertain,
        "call_id": m.call_id,
        "transcript": merge_lines([{"speaker": line.who, "role": line.role, "start": line.start, "end": line.start,
                                    "text": line.text} for line in m.transcript]),
    }


def _facts(metrics: Metrics) -> list[tuple[str, str]]:
    talk, rule, counts = metrics.talk_time_s, metrics.four_second_rule, metrics.interruption_counts
    # Without overlap detection "0" would be a false reassurance; with it, on a mono call,
    # the count is an estimate and says so.
    mark = " (estimated, mono)" if counts.estimated else ""
    return [
        ("Rep talk time", clock(talk.rep)),
        ("Customer talk time", clock(talk.customer)),
        ("Silence", clock(metrics.non_talk_s)),
        ("Questions asked", str(rule.asked)),
        ("Median wait after a question", format_value(rule.median_wait_s, "seconds")),
        ("Rep interrupted customer", f"{counts.rep_on_customer}{mark}" if counts.measured else "not measured"),
        ("Customer interrupted rep", f"{counts.customer_on_rep}{mark}" if counts.measured else "not measured"),
        ("Paraphrases", str(len(metrics.paraphrases))),
    ]


# -- timeline ------------------------------------------------------------------

def timeline_svg(timeline: dict[str, Any], metrics: Metrics, names: SpeakerNames | None = None, *,
                 width: float = WIDTH, gutter: float = GUTTER) -> dict[str, Any]:
    """Lanes of speech per speaker, overlaps, and markers for questions, interruptions, paraphrases.

    Question marks that would touch go on rows of their own above the lanes, and marks on
    one lane that would touch are nudged apart, so no mark hides another.
    """
    names = names or names_from_timeline(timeline)
    duration = float(timeline.get("duration") or 0.0)
    speech = timeline.get("speech") or []
    if speech:
        duration = max(duration, max(float(t["end"]) for t in speech))
    duration = max(duration, 1.0)
    plot_w = width - gutter - PAD_RIGHT

    def x(t: float) -> float:
        return round(gutter + plot_w * max(0.0, min(float(t), duration)) / duration, 2)

    # Questions: a row each, first come first placed, so marks (and wait labels) never overlap.
    row_ends: list[float] = []
    q_rows = []
    for q in sorted(metrics.questions, key=lambda q: q.end):
        qx = x(q.end)
        row = next((i for i, last in enumerate(row_ends) if qx - last >= Q_SPACING), len(row_ends))
        if row == len(row_ends):
            row_ends.append(qx)
        row_ends[row] = qx
        q_rows.append((q, row))
    mark_row = float(MARK_ROW + Q_ROW_H * max(0, len(row_ends) - 1))

    speakers = sorted(timeline.get("speakers") or [], key=lambda s: (ROLE_ORDER.get(s.get("role"), 3), s["label"]))
    lane_y: dict[str, float] = {}
    lanes = []
    for i, spk in enumerate(speakers):
        y = mark_row + i * (LANE_H + LANE_GAP)
        lane_y[spk["label"]] = y
        turns = [t for t in speech if t["speaker"] == spk["label"]]
        role = spk.get("role", "unknown")
        name = names[spk["label"]]
        lanes.append({
            "label": spk["label"], "name": name, "role": role,
            "role_word": "" if name.startswith(ROLE_WORDS.get(role, "~")) else ROLE_WORDS.get(role, "").lower(),
            "y": y, "h": LANE_H, "ty": y + LANE_H / 2 + 4,
            "rects": [{"x": x(t["start"]), "w": max(0.6, round(x(t["end"]) - x(t["start"]), 2)),
                       "start": t["start"], "end": t["end"]} for t in turns],
        })
    lanes_bottom = mark_row + max(1, len(lanes)) * (LANE_H + LANE_GAP) - LANE_GAP
    height = lanes_bottom + AXIS_H

    overlaps = [{"x": x(s), "w": max(0.8, round(x(e) - x(s), 2)), "start": s, "end": e,
                 "title": f"{clock(s)}: two people talking at once for {e - s:.1f} s"} for s, e in overlap_spans(speech)]

    questions = []
    for q, row in q_rows:
        wait_end = q.end + max(0.0, q.wait_s)
        cy = mark_row - 9 - row * Q_ROW_H
        if q.honoured:
            how = "answered" if q.outcome == "answered" else "left room to answer"
        else:
            how = "asked another question" if q.outcome == "stacked" else "answered it"
        questions.append({
            "t": q.start, "x": x(q.end), "cy": cy, "wx": x(q.end), "wy": cy - 3,
            "ww": max(0.0, round(x(wait_end) - x(q.end), 2)),
            "cls": ("ok" if q.honoured else "bad") + (" uncertain" if q.uncertain else ""),
            "label": f"{q.wait_s:.1f}s",
            "title": f"{clock(q.start)} {names[q.speaker]} asked “{q.text}”: {how} after {q.wait_s:.1f} s"
                     + _uncertain(q),
        })
    lane_marks: dict[tuple[str, float], list[float]] = {}

    def dodge(kind: str, y: float, mx: float) -> float:
        # A mark within MARK_SPACING of another of its kind on the same lane moves down a step.
        taken = lane_marks.setdefault((kind, y), [])
        k = sum(1 for other in taken if abs(other - mx) < MARK_SPACING)
        taken.append(mx)
        return y + (k % 3) * 7

    interruptions = []
    for it in sorted(metrics.interruptions, key=lambda i: i.start):
        y = lane_y.get(it.by_label, mark_row)
        interruptions.append({
            "t": it.start, "x": x(it.start), "y": dodge("interruption", y, x(it.start)), "lane_y": y,
            "cls": ("rep" if it.by == "rep" else "other") + (" uncertain" if it.uncertain else ""),
            "title": f"{clock(it.start)} {names[it.by_label]} talked over {names[it.of_label]} "
                     f"for {it.overlap_s:.1f} s: “{it.text}”" + _uncertain(it),
        })
    paraphrases = []
    for p in sorted(metrics.paraphrases, key=lambda p: p.start):
        y = lane_y.get(p.speaker, mark_row)
        paraphrases.append({
            "t": p.start, "x": x(p.start), "y": dodge("paraphrase", y, x(p.start)) + LANE_H / 2,
            "cls": "uncertain" if p.uncertain else "",
            "title": f"{clock(p.start)} {names[p.speaker]} played back: “{p.text}”" + _uncertain(p),
        })

    return {
        "width": width, "height": height, "gutter": gutter, "plot_w": plot_w, "duration": duration,
        "mark_row": mark_row, "lanes_top": mark_row - 2, "lanes_bottom": lanes_bottom,
        "lanes": lanes, "overlaps": overlaps, "questions": questions, "interruptions": interruptions,
        "paraphrases": paraphrases, "ticks": _ticks(duration, x, lanes_bottom, max_ticks=12 if width >= 600 else 5),
    }


def _uncertain(event) -> str:
    return f" (uncertain: confidence {event.confidence:.0%}, not scored)" if event.uncertain else ""


def overlap_spans(speech: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """Stretches where two or more different speakers talk at once (a sweep over turn edges)."""
    events = []
    for t in speech:
        if float(t["end"]) > float(t["start"]):
            events.append((float(t["start"]), 1, t["speaker"]))
            events.append((float(t["end"]), -1, t["speaker"]))
    # Ends before starts at the same instant: touching turns do not overlap.
    events.sort(key=lambda e: (e[0], e[1]))
    active: dict[str, int] = {}
    spans: list[tuple[float, float]] = []
    start = None
    for at, delta, spk in events:
        active[spk] = active.get(spk, 0) + delta
        talking = sum(1 for n in active.values() if n > 0)
        if talking >= 2 and start is None:
            start = at
        elif talking < 2 and start is not None:
            if at > start:
                spans.append((round(start, 3), round(at, 3)))
            start = None
    return spans


def _ticks(duration: float, x, y: float, max_ticks: int = 12) -> list[dict[str, Any]]:
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800) if duration / s <= max_ticks), 3600)
    ticks = []
    t = 0.0
    while t <= duration + 1e-6:
        ticks.append({"x": x(t), "y": y, "label": clock(t)})
        t += step
    return ticks


# -- transcript ----------------------------------------------------------------

def transcript_lines(timeline: dict[str, Any], pause_s: float = PAUSE_S, *,
                     names: SpeakerNames | None = None) -> list[dict[str, Any]]:
    """Words as lines: one speaker's words until they pause ``pause_s``, in order of start.

    Lines are built per speaker first, so when two people talk over each other each
    keeps a readable line instead of the words interleaving one by one.
    """
    roles = {s["label"]: s.get("role", "unknown") for s in timeline.get("speakers") or []}
    pieces = [{"speaker": w["speaker"], "role": roles.get(w["speaker"], "unknown"), "start": float(w["start"]),
               "end": float(w["end"]), "text": (w.get("text") or "").strip()} for w in timeline.get("words") or []]
    lines = merge_lines(pieces, pause_s)
    names = names or names_from_timeline(timeline)
    for line in lines:
        line["who"] = names[line["speaker"]]
    return lines


def merge_lines(pieces: list[dict[str, Any]], pause_s: float = PAUSE_S) -> list[dict[str, Any]]:
    """Join each speaker's consecutive pieces (words or excerpt lines) closer than ``pause_s``."""
    roles = {p["speaker"]: p.get("role", "unknown") for p in pieces}
    tuples = ((p["speaker"], float(p.get("start") or 0.0), float(p.get("end") or p.get("start") or 0.0),
               p.get("text") or "") for p in pieces)
    return [{"speaker": line.speaker, "role": roles[line.speaker], "start": line.start, "end": line.end,
             "text": line.text, "at": clock(line.start), "who": line.speaker}
            for line in speaker_lines(tuples, pause_s)]
