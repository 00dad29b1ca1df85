"""How right are the scorecard's events? The product against the sales calls' event truth.

    python bench/event_eval.py                       # build the calls, run every variant, save
    python bench/event_eval.py --variant mono --only s01-discovery --no-save

Each call of ``bench/sales_calls`` is analyzed as ``listenlens analyze`` does it
(``analyze_call``; the dual-channel copy with the channel map ``rep,customer``, the mono
and telephone copies with roles inferred from the call), and its events are matched to
the truth by time:

* **rep question**: a found question matches a true one when it ends within
  ``TOLERANCES["question_end_s"]`` of the true end, or inside the true question (the
  recogniser put a "?" early: "is that every ticket? or mainly the urgent ones"); found
  questions left over are *phantoms*. Verdict:
  honoured (answered, waited, end of call) / self-answered / stacked, compared on the
  matched questions;
* **interruption**: same direction (rep on customer, customer on rep) and start within
  ``interruption_start_s``;
* **paraphrase**: rep turn opening within ``paraphrase_start_s``;
* **backchannel**: same side, start within ``backchannel_start_s``;
* **monologue**: a found rep turn of 60 s or more overlapping a true one;
* **talk ratio**: found minus true, in percentage points;
* **word attribution**: each recognised word is aligned to the script's word at its
  time (within ``word_s``; a word of the same text preferred), and is wrong when its
  speaker (through the optimal mapping of found to true speakers) is not the one who
  said it. Words with no script word near them (a leak transcribed, a hallucination)
  are counted apart as unaligned. Two true speakers the pipeline heard as one (a
  customer and her colleague on one channel) make the words of one of them wrong, so
  the *side* error is given too: a word given to the rep side that the customer side
  said, or the reverse, which is what the scorecard's rep metrics read;
* **roles**: right when every found speaker has the role of the true speaker it maps to.

The ``script`` variant runs the scorecard on the script's own timeline (true turns and
words, true roles): it measures the definitions, not the recogniser, so a miss there is
a disagreement between the truth's reading of a definition and the metric code's.

Writes ``bench/event_eval.json`` and the ``event-eval`` section of ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sales_calls.build import OUT, BuiltCall, build_all  # noqa: E402

RESULTS_JSON = HERE / "event_eval.json"
RESULTS_MD = HERE / "results.md"
SECTION = "event-eval"  # results.md section, between <!-- event-eval:start --> and <!-- event-eval:end -->
VARIANTS = ("script", "dual", "mono", "telephone")
TOLERANCES = {
    "question_end_s": 1.0,
    "interruption_start_s": 1.0,
    "paraphrase_start_s": 1.5,
    "backchannel_start_s": 1.0,
    "monologue_min_s": 60.0,
    "word_s": 0.3,
}
HONOURED = {"answered", "waited", "end_of_call"}


@dataclass
class KindScore:
    """Found events of one kind against the true ones."""

    truth: int = 0
    found: int = 0
    matched: int = 0

    @property
    def precision(self) -> float | None:
        return self.matched / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.truth if self.truth else None

    def __iadd__(self, other: KindScore) -> KindScore:
        self.truth += other.truth
        self.found += other.found
        self.matched += other.matched
        return self

    def to_dict(self) -> dict:
        return {**asdict(self), "precision": self.precision, "recall": self.recall}


KINDS = ("questions", "interruptions_rep_on_customer", "interruptions_customer_on_rep", "paraphrases", "backchannels",
         "monologues")


@dataclass
class CallResult:
    id: str
    split: str
    variant: str
    error: str | None = None
    talk_ratio_truth: float | None = None
    talk_ratio_found: float | None = None
    roles_source: str | None = None
    roles_right: bool | None = None  # every found speaker has the role of the true speaker it maps to
    speakers_found: int | None = None
    scores: dict[str, KindScore] = field(default_factory=lambda: {k: KindScore() for k in KINDS})
    phantom_questions: list[dict] = field(default_factory=list)
    verdicts_right: int = 0
    verdicts_judged: int = 0
    wait_errors_s: list[float] = field(default_factory=list)
    words_found: int = 0
    words_aligned: int = 0
    words_wrong: int = 0
    words_wrong_side: int = 0
    # Found events the scorecard marked uncertain, per kind: [true ones (matched), false ones].
    uncertain: dict[str, list[int]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)  # what a reader should listen to
    found: dict = field(default_factory=dict)  # the product's events, to look up a miss

    @property
    def talk_ratio_error_pp(self) -> float | None:
        if self.talk_ratio_truth is None or self.talk_ratio_found is None:
            return None
        return 100.0 * (self.talk_ratio_found - self.talk_ratio_truth)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["scores"] = {k: v.to_dict() for k, v in self.scores.items()}
        d["talk_ratio_error_pp"] = self.talk_ratio_error_pp
        return d


@dataclass
class Target:
    name: str
    value: float | None
    limit: float
    unit: str
    at_most: bool

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit + 1e-9 if self.at_most else self.value >= self.limit - 1e-9


@dataclass
class EventReport:
    variant: str
    calls: list[CallResult]

    def summary(self, split: str | None = None) -> dict[str, Any]:
        calls = [c for c in self.calls if split is None or c.split == split]
        tot = {k: KindScore() for k in KINDS}
        for c in calls:
            for k in KINDS:
                tot[k] += c.scores[k]
        inter = KindScore()
        inter += tot["interruptions_rep_on_customer"]
        inter += tot["interruptions_customer_on_rep"]
        rated = [c for c in calls if c.talk_ratio_error_pp is not None]
        errs = [abs(c.talk_ratio_error_pp) for c in rated]
        judged = sum(c.verdicts_judged for c in calls)
        aligned = sum(c.words_aligned for c in calls)
        found_words = sum(c.words_found for c in calls)
        waits = [w for c in calls for w in c.wait_errors_s]
        return {
            "calls": len(calls),
            "failed": [c.id for c in calls if c.error],
            "kinds": {k: v.to_dict() for k, v in tot.items()} | {"interruptions": inter.to_dict()},
            "phantom_questions": sum(len(c.phantom_questions) for c in calls),
            "phantom_questions_per_10_calls": 10.0 * sum(len(c.phantom_questions) for c in calls) / len(calls) if calls else None,
            # Phantoms the scorecard marked uncertain are listed but move no score.
            "phantom_questions_scored": sum(1 for c in calls for q in c.phantom_questions if not q.get("uncertain")),
            "uncertain_events": {k: [sum(c.uncertain.get(k, [0, 0])[i] for c in calls) for i in (0, 1)]
                                 for k in sorted({k for c in calls for k in c.uncertain})},
            "verdict_accuracy": sum(c.verdicts_right for c in calls) / judged if judged else None,
            "verdicts_judged": judged,
            "wait_mean_abs_error_s": sum(waits) / len(waits) if waits else None,
            "talk_ratio_error_pp_max": max(errs) if errs else None,
            "talk_ratio_error_pp_mean": sum(errs) / len(errs) if errs else None,
            "talk_ratio_worst_call": max(rated, key=lambda c: abs(c.talk_ratio_error_pp)).id if rated else None,
            "word_attribution_error": sum(c.words_wrong for c in calls) / aligned if aligned else None,
            "word_side_error": sum(c.words_wrong_side for c in calls) / aligned if aligned else None,
            "roles_right": sum(1 for c in calls if c.roles_right),
            "roles_wrong_calls": [c.id for c in calls if c.roles_right is False],
            "words_unaligned_share": (found_words - aligned) / found_words if found_words else None,
        }

    def targets(self, split: str | None = None) -> list[Target]:
        s = self.summary(split)
        k = s["kinds"]
        out = [
            Target("phantom rep questions per 10 calls", s["phantom_questions_per_10_calls"], 1.0, "per 10 calls", True),
            Target("rep-question verdicts right", _pct(s["verdict_accuracy"]), 95.0, "%", False),
            Target("paraphrase precision", _pct(k["paraphrases"]["precision"]), 90.0, "%", False),
            Target("paraphrase recall", _pct(k["paraphrases"]["recall"]), 90.0, "%", False),
        ]
        if self.variant in ("mono", "telephone"):
            out.append(Target("interruptions found (who cut off whom)", _pct(k["interruptions"]["recall"]), 95.0, "%", False))
            limit = 1.5 if self.variant == "mono" else 2.5
            out.append(Target("talk ratio error, worst call", s["talk_ratio_error_pp_max"], limit, "pp", True))
        return out

    def to_dict(self) -> dict:
        splits = sorted({c.split for c in self.calls})
        return {
            "variant": self.variant,
            "overall": self.summary(),
            "by_split": {sp: self.summary(sp) for sp in splits},
            "targets": {sp or "all": [asdict(t) | {"met": t.met} for t in self.targets(sp)] for sp in [None, *splits]},
            "calls": [c.to_dict() for c in self.calls],
        }


def _pct(x: float | None) -> float | None:
    return None if x is None else 100.0 * x


# --- running the product -------------------------------------------------------------


def analyze(call: BuiltCall, variant: str):
    """The product's ``Analysis`` of one copy of the call, by the ``listenlens analyze`` path."""
    from listenlens.pipeline.analyze import analyze_call, analyze_timeline

    if variant == "script":
        return analyze_timeline(script_timeline(call.truth))
    return analyze_call(call.audio[variant], channels="rep,customer" if variant == "dual" else None)


def script_timeline(truth: dict):
    """The truth as a ``CallTimeline``: its speech turns, its words, its sides as roles."""
    from listenlens.pipeline.timeline import CallTimeline, Role, RoleAssignment, RoleSource, Speaker, Turn, Word

    speech = [Turn(s, e, ln["speaker"]) for ln in truth["lines"] for s, e in ln["segments"]]
    words = [Word(w["start"], w["end"], w["text"], w["speaker"]) for w in truth["words"] if w["text"]]
    speakers = [Speaker(n, Role(s["side"])) for n, s in truth["speakers"].items()]
    return CallTimeline(truth["duration_s"], speech, words, speakers, RoleAssignment(RoleSource.HINT, 1.0, ["script"]),
                        {"name": truth["id"], "diarizer": {"backend": "script", "detects_overlap": True}})


# --- matching --------------------------------------------------------------------------


def match(truth: Sequence[float], found: Sequence[float], tolerance: float,
          windows: Sequence[tuple[float, float]] | None = None) -> list[tuple[int, int]]:
    """One-to-one pairs (truth index, found index), closest pairs first: within ``tolerance``,
    or (with ``windows``, one per true event) a found time inside the true event's window."""

    def near(i: int, t: float, f: float) -> bool:
        return abs(t - f) <= tolerance or (windows is not None and windows[i][0] <= f <= windows[i][1])

    pairs = sorted((abs(t - f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found) if near(i, t, f))
    used_t, used_f, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            out.append((i, j))
    return out


def _score(kind: str, res: CallResult, truth: list[dict], found: list[dict], key: str, tol: float, describe,
           windows=None) -> list[tuple[int, int]]:
    pairs = match([t[key] for t in truth], [f[key] for f in found], tol, windows)
    res.scores[kind] += KindScore(len(truth), len(found), len(pairs))
    got_t, got_f = {i for i, _ in pairs}, {j for _, j in pairs}
    marked = res.uncertain.setdefault(kind, [0, 0])
    for j, f in enumerate(found):
        if f.get("uncertain"):
            marked[0 if j in got_f else 1] += 1
    res.misses += [f"missed {kind} {describe(t)}" for i, t in enumerate(truth) if i not in got_t]
    res.misses += [f"extra {kind} {describe(f)}" for j, f in enumerate(found) if j not in got_f]
    return pairs


def score_call(call: BuiltCall, variant: str, analysis) -> CallResult:
    """Match one analysis's events to the call's truth."""
    truth = call.truth
    sc = analysis.scorecard.model_dump(mode="json")  # the scorecard as every client reads it
    m = sc["metrics"]
    res = CallResult(call.id, call.split, variant, talk_ratio_truth=truth["talk"]["ratio"],
                     talk_ratio_found=m["talk_ratio"], roles_source=sc["roles"]["source"])
    tol = TOLERANCES

    def at(e):
        return f"at {_clock(e['start'])}: {str(e.get('text') or '')[:60]!r}"

    # Rep questions and their verdicts.
    qt, qf = truth["questions"], m["questions"]
    pairs = _score("questions", res, qt, qf, "end", tol["question_end_s"], lambda q: f"ending {_clock(q['end'])}: {q['text'][:60]!r}",
                   windows=[(q["start"], q["end"]) for q in qt])
    matched_f = {j for _, j in pairs}
    res.phantom_questions = [{"start": q["start"], "end": q["end"], "text": q["text"], "uncertain": q.get("uncertain", False)}
                             for j, q in enumerate(qf) if j not in matched_f]
    for i, j in pairs:
        t, f = qt[i], qf[j]
        verdict = "honoured" if f["outcome"] in HONOURED else f["outcome"]
        res.verdicts_judged += 1
        if verdict == t["verdict"]:
            res.verdicts_right += 1
        else:
            res.misses.append(f"verdict of question ending {_clock(t['end'])}: truth {t['verdict']} (wait {t['wait_s']}), "
                              f"found {f['outcome']} (wait {f['wait_s']})")
        if t["wait_s"] is not None and f["outcome"] != "end_of_call":
            res.wait_errors_s.append(abs(f["wait_s"] - t["wait_s"]))

    # Interruptions, by direction.
    for by, of in (("rep", "customer"), ("customer", "rep")):
        kind = f"interruptions_{by}_on_{of}"
        _score(kind, res, [i for i in truth["interruptions"] if i["by_side"] == by and i["of_side"] == of],
               [i for i in m["interruptions"] if i["by"] == by and i["of"] == of], "start", tol["interruption_start_s"], at)

    _score("paraphrases", res, truth["paraphrases"], m["paraphrases"], "start", tol["paraphrase_start_s"], at)
    bt = truth["backchannels"]
    for side in ("rep", "customer"):
        _score("backchannels", res, [b for b in bt if b["by_side"] == side],
               [b for b in m["backchannels"] if b["role"] == side], "start", tol["backchannel_start_s"], at)

    mono_t = truth["monologues"]
    mono_f = [t for t in m["turns"] if t["role"] == "rep" and t["end"] - t["start"] >= tol["monologue_min_s"]]
    hit = [any(f["start"] < t["end"] and t["start"] < f["end"] for f in mono_f) for t in mono_t]
    res.scores["monologues"] = KindScore(len(mono_t), len(mono_f), sum(hit))

    mapping = speaker_mapping(truth, analysis.timeline)
    sides = {n: s["side"] for n, s in truth["speakers"].items()}
    roles = {s["label"]: s["role"] for s in sc["speakers"]}
    res.speakers_found = len(roles)
    res.roles_right = all(roles.get(h) == sides[t] for h, t in mapping.items())
    if not res.roles_right:
        res.misses.append("roles: " + ", ".join(f"{h} ({roles.get(h)}) is {t} ({sides[t]})" for h, t in sorted(mapping.items())))
    _words(res, truth, analysis.timeline, mapping, roles)
    res.found = {
        "roles": roles,
        "questions": [{k: q.get(k) for k in ("start", "end", "text", "outcome", "wait_s", "confidence")} for q in qf],
        "interruptions": [{k: i[k] for k in ("start", "by", "of", "overlap_s", "text")} for i in m["interruptions"]],
        "paraphrases": [{k: p[k] for k in ("start", "text", "method", "restates_start")} for p in m["paraphrases"]],
        "backchannels": [{k: b[k] for k in ("start", "role", "text")} for b in m["backchannels"]],
    }
    return res


def _words(res: CallResult, truth: dict, timeline, mapping: dict[str, str], roles: dict[str, str]) -> None:
    """Word attribution: each found word against the script's word at its time."""
    sides = {n: s["side"] for n, s in truth["speakers"].items()}
    script = sorted(truth["words"], key=lambda w: w["start"])
    tol = TOLERANCES["word_s"]
    for w in timeline.words:
        res.words_found += 1
        mid = 0.5 * (w.start + w.end)
        near = [s for s in script if s["start"] - tol <= mid <= s["end"] + tol]
        if not near:
            continue
        text = _norm(w.text)
        best = min(near, key=lambda s: (_norm(s["text"] or "") != text, not (s["start"] <= mid <= s["end"]),
                                        abs(0.5 * (s["start"] + s["end"]) - mid)))
        res.words_aligned += 1
        if mapping.get(w.speaker) != best["speaker"]:
            res.words_wrong += 1
        if roles.get(w.speaker) != sides[best["speaker"]]:
            res.words_wrong_side += 1


def speaker_mapping(truth: dict, timeline) -> dict[str, str]:
    """Found speaker label -> true speaker, the optimal one-to-one mapping by shared speech."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for i, ln in enumerate(truth["lines"]):
        for k, (s, e) in enumerate(ln["segments"]):
            ref[Segment(s, e), f"{i}.{k}"] = ln["speaker"]
    for i, t in enumerate(timeline.speech):
        if t.end > t.start:
            hyp[Segment(t.start, t.end), i] = t.speaker
    return {str(h): str(r) for h, r in DiarizationErrorRate().optimal_mapping(ref, hyp).items()}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9']", "", text.lower())


def _clock(t: float) -> str:
    return f"{int(t // 60)}:{t % 60:04.1f}"


def evaluate_events(calls: Sequence[BuiltCall], variant: str, *, progress: Callable[[str], None] = lambda _: None) -> EventReport:
    """Run the product on one variant of every call and score its events against the truth."""
    from listenlens.errors import ListenlensError

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")
    results = []
    for n, call in enumerate(calls, 1):
        t0 = time.perf_counter()
        try:
            res = score_call(call, variant, analyze(call, variant))
        except ListenlensError as exc:
            res = CallResult(call.id, call.split, variant, error=str(exc), talk_ratio_truth=call.truth["talk"]["ratio"])
            for k in KINDS:
                res.scores[k].truth = len(_truth_of(call.truth, k))
        results.append(res)
        progress(f"[{variant}] {n}/{len(calls)} {call.id}: {time.perf_counter() - t0:.0f} s"
                 + (f" FAILED: {res.error}" if res.error else ""))
    return EventReport(variant, results)


def _truth_of(truth: dict, kind: str) -> list:
    if kind.startswith("interruptions_"):
        by, of = kind[len("interruptions_"):].split("_on_")
        return [i for i in truth["interruptions"] if i["by_side"] == by and i["of_side"] == of]
    return truth[kind]


# --- output ------------------------------------------------------------------------------


def _f(x, fmt=".1f") -> str:
    return "–" if x is None else format(x, fmt)


def _p(x) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def render_section(data: dict) -> str:
    """The results.md section's body (what goes between its markers) from the saved JSON."""
    out = ["## Events on the sales calls", "",
           f"Generated {data['date']} by `bench/event_eval.py` (git {data.get('git_commit', '?')}) from `bench/event_eval.json`;"
           " do not edit by hand. The calls, the matching rules and their tolerances: `docs/benchmarks.md`."
           f" {data['calls']} calls ({len(data['splits']['tune'])} tuning, {len(data['splits']['held-out'])} held-out), "
           f"{data['audio_minutes']:.1f} minutes each variant. `script` runs the scorecard on the script's own timeline"
           " (the definitions alone, no recogniser).", "",
           "| variant | split | questions P / R | phantom q. per 10 calls | verdicts right "
           "| interruptions P / R (rep on cust. R, cust. on rep R) | paraphrases P / R | backchannels P / R | monologues R "
           "| talk ratio error max / mean (pp) | word attribution error (side) | roles right |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for variant, rep in data["variants"].items():
        for split, s in [("all", rep["overall"]), *rep["by_split"].items()]:
            k = s["kinds"]
            out.append(
                f"| {variant} | {split} | {_p(k['questions']['precision'])} / {_p(k['questions']['recall'])} "
                f"| {_f(s['phantom_questions_per_10_calls'])} | {_p(s['verdict_accuracy'])} of {s['verdicts_judged']} "
                f"| {_p(k['interruptions']['precision'])} / {_p(k['interruptions']['recall'])} "
                f"({_p(k['interruptions_rep_on_customer']['recall'])}, {_p(k['interruptions_customer_on_rep']['recall'])}) "
                f"| {_p(k['paraphrases']['precision'])} / {_p(k['paraphrases']['recall'])} "
                f"| {_p(k['backchannels']['precision'])} / {_p(k['backchannels']['recall'])} "
                f"| {_p(k['monologues']['recall'])} | {_f(s['talk_ratio_error_pp_max'])} / {_f(s['talk_ratio_error_pp_mean'])} "
                f"| {_p(s['word_attribution_error'])} ({_p(s['word_side_error'])}) | {s['roles_right']} of {s['calls']} |")
    out += ["", "| variant | target | all calls | held-out | verdict (all / held-out) |", "| --- | --- | --- | --- | --- |"]
    for variant, rep in data["variants"].items():
        for t_all, t_held in zip(rep["targets"]["all"], rep["targets"].get("held-out", rep["targets"]["all"])):
            sign = "≤" if t_all["at_most"] else "≥"
            out.append(f"| {variant} | {t_all['name']} ({sign} {t_all['limit']:g} {t_all['unit']}) | {_f(t_all['value'])} "
                       f"| {_f(t_held['value'])} | {_verdict(t_all['met'])} / {_verdict(t_held['met'])} |")
    wrong = [f"{v}: {', '.join(r['overall']['roles_wrong_calls'])}"
             for v, r in data["variants"].items() if r["overall"]["roles_wrong_calls"]]
    if wrong:
        out += ["", "Calls where a found speaker took the other side's role (every event of theirs then counts for the wrong side): "
                + "; ".join(wrong) + "."]
    out += ["", f"Tuning split: {', '.join(data['splits']['tune'])}.", "",
            f"Held-out split: {', '.join(data['splits']['held-out'])}."]
    return "\n".join(out)


def _verdict(met) -> str:
    return "n/a" if met is None else ("MET" if met else "MISSED")


def write_section(body: str, path: Path = RESULTS_MD) -> None:
    """Put ``body`` between this script's markers in ``path``, keeping every other section."""
    from render_results import replace_marked_section

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(replace_marked_section(text, SECTION, body), encoding="utf-8")
    tmp.replace(path)


def print_report(report: EventReport) -> None:
    for split in (None, "tune", "held-out"):
        s = report.summary(split)
        if not s["calls"]:
            continue
        k = s["kinds"]
        failed = f", failed: {', '.join(s['failed'])}" if s["failed"] else ""
        print(f"\n== {report.variant} / {split or 'all'} ({s['calls']} calls{failed})")
        for name in (*KINDS, "interruptions"):
            v = k[name]
            print(f"  {name:32s} truth {v['truth']:3d} found {v['found']:3d} matched {v['matched']:3d}"
                  f"  P {_p(v['precision']):>4s}  R {_p(v['recall']):>4s}")
        marked = ", ".join(f"{k} {t} true / {f} false" for k, (t, f) in s["uncertain_events"].items() if t or f) or "none"
        print(f"  marked uncertain (left out of the score): {marked}; phantom questions scored: {s['phantom_questions_scored']}")
        print(f"  phantom rep questions: {s['phantom_questions']} ({_f(s['phantom_questions_per_10_calls'])} per 10 calls); "
              f"verdicts right {_p(s['verdict_accuracy'])} of {s['verdicts_judged']}; "
              f"wait error {_f(s['wait_mean_abs_error_s'], '.2f')} s")
        print(f"  talk ratio error max {_f(s['talk_ratio_error_pp_max'])} pp ({s['talk_ratio_worst_call']}), "
              f"mean {_f(s['talk_ratio_error_pp_mean'])} pp; word attribution error {_p(s['word_attribution_error'])} "
              f"(side {_p(s['word_side_error'])}, unaligned {_p(s['words_unaligned_share'])})")
        wrong = f" (wrong: {', '.join(s['roles_wrong_calls'])})" if s["roles_wrong_calls"] else ""
        print(f"  roles right on {s['roles_right']} of {s['calls']} calls{wrong}")
        for t in report.targets(split):
            sign = "<=" if t.at_most else ">="
            print(f"  {_verdict(t.met):>6s}  {t.name}: {_f(t.value)} {t.unit} ({sign} {t.limit:g})")


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score the scorecard's events on the sales calls.")
    ap.add_argument("--variant", action="append", choices=VARIANTS, help="variant to run (repeatable; default all)")
    ap.add_argument("--only", action="append", help="only this call id (repeatable)")
    ap.add_argument("--split", choices=("tune", "held-out"), help="only the calls of this split")
    ap.add_argument("--out", type=Path, default=OUT, help=f"where the calls are built (default {OUT})")
    ap.add_argument("--no-save", action="store_true", help="print only; leave bench/event_eval.json and results.md alone")
    ap.add_argument("--misses", action="store_true", help="list every missed or extra event")
    args = ap.parse_args(argv)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    calls = [c for c in build_all(args.out, args.only, progress=say) if args.split in (None, c.split)]
    reports = []
    for variant in args.variant or VARIANTS:
        report = evaluate_events(calls, variant, progress=say)
        print_report(report)
        if args.misses:
            for c in report.calls:
                for miss in c.misses:
                    print(f"    {c.id}: {miss}")
        reports.append(report)
    if args.no_save:
        return 0
    if args.only or args.split:
        say("a partial run (--only/--split) is not saved; add --no-save to silence this")
        return 0
    data = {
        "schema": "listenlens.event-eval/1",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "tolerances": TOLERANCES,
        "calls": len(calls),
        "audio_minutes": sum(c.duration_s for c in calls) / 60.0,
        "splits": {sp: [c.id for c in calls if c.split == sp] for sp in ("tune", "held-out")},
        "variants": {r.variant: r.to_dict() for r in reports},
    }
    tmp = RESULTS_JSON.with_suffix(".json.part")
    # numpy scalars (a bool or float from a metric) are written as the Python values they hold
    text = json.dumps(data, indent=1, ensure_ascii=False, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(RESULTS_JSON)
    write_section(render_section(data))
    say(f"written: {RESULTS_JSON.relative_to(HERE.parent)}, {RESULTS_MD.relative_to(HERE.parent)} (event-eval section)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
