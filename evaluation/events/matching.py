"""One analysis's events against one call's truth: the matching rules and their tolerances.

Each kind's found events are paired one-to-one with the true ones, closest first
(``match``), by time:

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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

TOLERANCES = {
    "question_end_s": 1.0,
    "interruption_start_s": 1.0,
    "paraphrase_start_s": 1.5,
    "backchannel_start_s": 1.0,
    "monologue_min_s": 60.0,
    "word_s": 0.3,
}
HONOURED = {"answered", "waited", "end_of_call"}
KINDS = ("questions", "interruptions_rep_on_customer", "interruptions_customer_on_rep", "paraphrases", "backchannels",
         "monologues")


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


@dataclass
class CallResult:
    id: str
    split: str | None
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


def failed_call(call, variant: str, error: str) -> CallResult:
    """A call the product could not analyze: its true events all count as missed."""
    res = CallResult(call.id, call.split, variant, error=error, talk_ratio_truth=call.truth["talk"]["ratio"])
    for k in KINDS:
        res.scores[k].truth = len(truth_of(call.truth, k))
    return res


def truth_of(truth: dict, kind: str) -> list:
    if kind.startswith("interruptions_"):
        by, of = kind[len("interruptions_"):].split("_on_")
        return [i for i in truth["interruptions"] if i["by_side"] == by and i["of_side"] == of]
    return truth[kind]


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


def score_call(call, variant: str, analysis) -> CallResult:
    """Match one analysis's events (an ``Analysis``: scorecard and timeline) to the call's truth."""
    truth = call.truth
    sc = analysis.scorecard.model_dump(mode="json")  # the scorecard as every client reads it
    m = sc["metrics"]
    res = CallResult(call.id, call.split, variant, talk_ratio_truth=truth["talk"]["ratio"],
                     talk_ratio_found=m["talk_ratio"], roles_source=sc["roles"]["source"])
    tol = TOLERANCES

    def at(e):
        return f"at {clock(e['start'])}: {str(e.get('text') or '')[:60]!r}"

    # Rep questions and their verdicts.
    qt, qf = truth["questions"], m["questions"]
    pairs = _score("questions", res, qt, qf, "end", tol["question_end_s"], lambda q: f"ending {clock(q['end'])}: {q['text'][:60]!r}",
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
            res.misses.append(f"verdict of question ending {clock(t['end'])}: truth {t['verdict']} (wait {t['wait_s']}), "
                              f"found {f['outcome']} (wait {f['wait_s']})")
        if t["wait_s"] is not None and f["outcome"] != "end_of_call" and f["wait_s"] is not None:
            res.wait_errors_s.append(abs(f["wait_s"] - t["wait_s"]))

    # Interruptions, by direction.
    for by, of in (("rep", "customer"), ("customer", "rep")):
        kind = f"interruptions_{by}_on_{of}"
        _score(kind, res, truth_of(truth, kind), [i for i in m["interruptions"] if i["by"] == by and i["of"] == of],
               "start", tol["interruption_start_s"], at)

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
        "interruptions": [{k: i.get(k) for k in ("start", "by", "of", "overlap_s", "text")} for i in m["interruptions"]],
        "paraphrases": [{k: p.get(k) for k in ("start", "text", "method", "restates_start")} for p in m["paraphrases"]],
        "backchannels": [{k: b.get(k) for k in ("start", "role", "text")} for b in m["backchannels"]],
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


def speaker_mapping(truth: dict[str, Any], timeline) -> dict[str, str]:
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


def clock(t: float) -> str:
    return f"{int(t // 60)}:{t % 60:04.1f}"
