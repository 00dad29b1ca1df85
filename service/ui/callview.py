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

from listenlens.pipeline.scorecard import Scorecard
from listenlens.pipeline.scorecard.components import BY_NAME, COMPONENTS, clock, format_value, moment_label
from listenlens.pipeline.scorecard.models import Component, Metrics, Moment

# Timeline SVG layout, in viewBox units (the SVG scales to the page width).
WIDTH = 1000
GUTTER = 120  # speaker names
PAD_RIGHT = 16
MARK_ROW = 40  # questions and their wait times, above the lanes
LANE_H = 30
LANE_GAP = 8
AXIS_H = 26
ROLE_ORDER = {"rep": 0, "customer": 1, "unknown": 2}


def call_page(view: dict[str, Any], scorecard: Scorecard | None, timeline: dict[str, Any] | None) -> dict[str, Any]:
    """The template context for ``call.html`` (``view`` as ``calls.call_view`` returns it)."""
    page: dict[str, Any] = {"call": view, "done": view["status"] == "done", "duration": clock(_duration(view, scorecard, timeline))}
    if scorecard is None:
        return page
    score = scorecard.score
    page["score"] = {"value": score, "text": "–" if score is None else f"{score:.0f}", "cls": scorecard.band.value,
                     "note": scorecard.score_note, "dash": _gauge_dash(score)}
    page["components"] = [component_row(c, scorecard) for c in _ordered_components(scorecard.components)]
    page["speakers"] = [s.model_dump(mode="json") for s in scorecard.speakers]
    page["roles"] = scorecard.roles.model_dump(mode="json")
    page["moments"] = [moment_row(m) for m in scorecard.moments]
    page["facts"] = _facts(scorecard.metrics)
    if timeline:
        page["timeline"] = timeline_svg(timeline, scorecard.metrics)
        page["transcript"] = transcript_lines(timeline)
    return page


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
        "help": c.help,
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
        "moments": [moment_row(m) for m in c.moments],
    }


def moment_row(m: Moment) -> dict[str, Any]:
    return {
        "kind": m.kind,
        "kind_label": moment_label(m.kind),
        "start": m.start,
        "end": m.end,
        "at": clock(m.start),
        "title": m.title,
        "good": m.good,
        "transcript": merge_lines([line.model_dump(mode="json") for line in m.transcript]),
    }


def _facts(metrics: Metrics) -> list[tuple[str, str]]:
    talk, rule, counts = metrics.talk_time_s, metrics.four_second_rule, metrics.interruption_counts
    # Without overlap detection "0" would be a false reassurance; with it, on a mono call,
    # the count is an estimate and says so.
    mark = " (estimated, mono)" if counts.estimated else ""
    return [
        ("Rep talk time", format_value(talk.rep, "seconds")),
        ("Customer talk time", format_value(talk.customer, "seconds")),
        ("Silence", format_value(metrics.non_talk_s, "seconds")),
        ("Questions asked", str(rule.asked)),
        ("Median wait after a question", format_value(rule.median_wait_s, "seconds")),
        ("Rep interrupted customer", f"{counts.rep_on_customer}{mark}" if counts.measured else "not measured"),
        ("Customer interrupted rep", f"{counts.customer_on_rep}{mark}" if counts.measured else "not measured"),
        ("Paraphrases", str(len(metrics.paraphrases))),
    ]


# -- timeline ------------------------------------------------------------------

def timeline_svg(timeline: dict[str, Any], metrics: Metrics) -> dict[str, Any]:
    """Lanes of speech per speaker, overlaps, and markers for questions, interruptions, paraphrases."""
    duration = float(timeline.get("duration") or 0.0)
    speech = timeline.get("speech") or []
    if speech:
        duration = max(duration, max(float(t["end"]) for t in speech))
    duration = max(duration, 1.0)
    plot_w = WIDTH - GUTTER - PAD_RIGHT

    def x(t: float) -> float:
        return round(GUTTER + plot_w * max(0.0, min(float(t), duration)) / duration, 2)

    speakers = sorted(timeline.get("speakers") or [], key=lambda s: (ROLE_ORDER.get(s.get("role"), 3), s["label"]))
    lane_y: dict[str, float] = {}
    lanes = []
    for i, spk in enumerate(speakers):
        y = MARK_ROW + i * (LANE_H + LANE_GAP)
        lane_y[spk["label"]] = y
        turns = [t for t in speech if t["speaker"] == spk["label"]]
        lanes.append({
            "label": spk["label"], "role": spk.get("role", "unknown"), "y": y, "h": LANE_H, "ty": y + LANE_H / 2 + 4,
            "rects": [{"x": x(t["start"]), "w": max(0.6, round(x(t["end"]) - x(t["start"]), 2)),
                       "start": t["start"], "end": t["end"]} for t in turns],
        })
    lanes_bottom = MARK_ROW + max(1, len(lanes)) * (LANE_H + LANE_GAP) - LANE_GAP
    height = lanes_bottom + AXIS_H

    overlaps = [{"x": x(s), "w": max(0.8, round(x(e) - x(s), 2)), "start": s, "end": e,
                 "title": f"overlap {clock(s)}, {e - s:.1f} s"} for s, e in overlap_spans(speech)]

    questions = []
    for q in metrics.questions:
        wait_end = q.end + max(0.0, q.wait_s)
        outcome = q.outcome.replace("_", " ")
        questions.append({
            "t": q.start, "x": x(q.end), "wx": x(q.end), "ww": max(0.0, round(x(wait_end) - x(q.end), 2)),
            "cls": "ok" if q.honoured else "bad",
            "label": f"{q.wait_s:.1f}s",
            "title": f"{clock(q.start)} question: “{q.text}” — wait {q.wait_s:.1f} s, {outcome}",
        })
    interruptions = []
    for it in metrics.interruptions:
        y = lane_y.get(it.by_label, MARK_ROW)
        interruptions.append({
            "t": it.start, "x": x(it.start), "y": y, "cls": "rep" if it.by == "rep" else "other",
            "title": f"{clock(it.start)} {it.by_label} ({it.by.value}) interrupted {it.of_label} "
                     f"({it.of.value}) — overlap {it.overlap_s:.1f} s: “{it.text}”",
        })
    paraphrases = []
    for p in metrics.paraphrases:
        y = lane_y.get(p.speaker, MARK_ROW)
        paraphrases.append({
            "t": p.start, "x": x(p.start), "y": y + LANE_H / 2,
            "title": f"{clock(p.start)} played back: “{p.text}” (restates “{p.restates}”)",
        })

    return {
        "width": WIDTH, "height": height, "gutter": GUTTER, "plot_w": plot_w, "duration": duration,
        "mark_row": MARK_ROW, "lanes_top": MARK_ROW - 2, "lanes_bottom": lanes_bottom,
        "lanes": lanes, "overlaps": overlaps, "questions": questions, "interruptions": interruptions,
        "paraphrases": paraphrases, "ticks": _ticks(duration, x, lanes_bottom),
    }


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
    for t, delta, spk in events:
        active[spk] = active.get(spk, 0) + delta
        talking = sum(1 for n in active.values() if n > 0)
        if talking >= 2 and start is None:
            start = t
        elif talking < 2 and start is not None:
            if t > start:
                spans.append((round(start, 3), round(t, 3)))
            start = None
    return spans


def _ticks(duration: float, x, y: float) -> list[dict[str, Any]]:
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800) if duration / s <= 12), 3600)
    ticks = []
    t = 0.0
    while t <= duration + 1e-6:
        ticks.append({"x": x(t), "y": y, "label": clock(t)})
        t += step
    return ticks


# -- transcript ----------------------------------------------------------------

def transcript_lines(timeline: dict[str, Any], pause_s: float = 2.0) -> list[dict[str, Any]]:
    """Words as lines: one speaker's words until they pause ``pause_s``, in order of start.

    Lines are built per speaker first, so when two people talk over each other each
    keeps a readable line instead of the words interleaving one by one.
    """
    roles = {s["label"]: s.get("role", "unknown") for s in timeline.get("speakers") or []}
    pieces = [{"speaker": w["speaker"], "role": roles.get(w["speaker"], "unknown"), "start": float(w["start"]),
               "end": float(w["end"]), "text": (w.get("text") or "").strip()} for w in timeline.get("words") or []]
    return merge_lines(pieces, pause_s)


def merge_lines(pieces: list[dict[str, Any]], pause_s: float = 2.0) -> list[dict[str, Any]]:
    """Join each speaker's consecutive pieces (words or excerpt lines) closer than ``pause_s``."""
    by_speaker: dict[str, list[dict[str, Any]]] = {}
    for p in sorted(pieces, key=lambda p: float(p.get("start") or 0.0)):
        text = (p.get("text") or "").strip()
        if not text:
            continue
        runs = by_speaker.setdefault(p["speaker"], [])
        start, end = float(p.get("start") or 0.0), float(p.get("end") or p.get("start") or 0.0)
        if runs and start - runs[-1]["end"] < pause_s:
            runs[-1]["text"] += " " + text
            runs[-1]["end"] = max(runs[-1]["end"], end)
        else:
            runs.append({"speaker": p["speaker"], "role": p.get("role", "unknown"), "start": start, "end": end,
                         "text": text})
    lines = sorted((r for runs in by_speaker.values() for r in runs), key=lambda r: (r["start"], r["speaker"]))
    for line in lines:
        line["at"] = clock(line["start"])
    return lines
