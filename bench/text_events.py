"""How well rep questions and paraphrase-backs are found, on the labelled text sets.

    python bench/text_events.py              # score both sets, write the section of bench/results.md
    python bench/text_events.py --no-save    # print only
    python bench/text_events.py --errors dev # also list every miss and false alarm of a split

Each labelled sentence (``bench/labelled/questions.jsonl``) becomes a one-speaker rep
timeline, one word every 0.3 s with no pause, so the recogniser's punctuation is the only
sentence break, and goes through ``find_questions`` exactly as a call would: it counts as
found when a question is found in it. For a question inside a run-on sentence the
found question's words are also compared with the labelled span.

Each labelled pair (``bench/labelled/paraphrases.jsonl``) becomes a rep question (when the
pair has one), the customer turn and the rep turn, 0.8 s apart, and goes through
``analyze_floor`` and ``find_paraphrases``: it counts as found when a paraphrase-back starts
in the last rep turn.

Precision, recall and F1 per split (``dev`` is tuned on, ``test`` is not) and the errors
per form or category go into ``bench/results.json`` (key ``text_events``) and its section of
``bench/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELLED = HERE / "labelled"
SPLITS = ("dev", "test")
WORD_S = 0.3
TURN_GAP_S = 0.8


def load(name: str) -> list[dict]:
    path = LABELLED / name
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            item = json.loads(line)
            if item.get("split") not in SPLITS:
                raise ValueError(f"{path.name} line {n}: split must be one of {SPLITS}, not {item.get('split')!r}")
            items.append(item)
    return items


def _words(speaker: str, t0: float, text: str) -> list[tuple[float, float, str, str]]:
    return [(t0 + i * WORD_S, t0 + (i + 1) * WORD_S, w, speaker) for i, w in enumerate(text.split())]


def _timeline(lines: list[tuple[str, str]]):
    from listenlens.pipeline.timeline import build_timeline

    words, turns, t = [], [], 0.0
    for speaker, text in lines:
        w = _words(speaker, t, text)
        words += w
        turns.append((w[0][0], w[-1][1], speaker))
        t = w[-1][1] + TURN_GAP_S
    return build_timeline(turns, words, roles={"R": "rep", "C": "customer"})


def detect_questions(items: list[dict], config=None) -> list[dict]:
    """Per item: ``found`` (a question was found) and ``span`` (the found question's text)."""
    from listenlens.pipeline.metrics import find_questions

    out = []
    for item in items:
        qs = find_questions(_timeline([("R", item["text"])]), config)
        out.append({"found": bool(qs), "span": qs[0].text if qs else None})
    return out


def detect_paraphrases(items: list[dict], config=None, embedder=None) -> list[dict]:
    from listenlens.pipeline.metrics import analyze_floor, find_paraphrases

    out = []
    for item in items:
        lines = ([("R", item["rep_question"])] if item.get("rep_question") else []) + [
            ("C", item["customer"]), ("R", item["rep"])]
        tl = _timeline(lines)
        rep_start = max(w.start for w in tl.words if w.speaker == "C")
        found = [p for p in find_paraphrases(analyze_floor(tl, config).turns, config, embedder=embedder)
                 if p.start > rep_start]
        out.append({"found": bool(found), "method": found[0].method if found else None,
                    "similarity": found[0].similarity if found else None})
    return out


def span_matches(found: str | None, labelled: str) -> bool:
    """The found question starts where the labelled one does, lead-ins ("got it, so")
    aside; it runs to the end of the sentence, so a statement run on after it is not
    held against it."""
    from listenlens.pipeline.metrics import MetricsConfig
    from listenlens.pipeline.metrics.text import phrase_tokens, strip_lead_ins, tokens

    if found is None:
        return False
    want = tokens(labelled)
    return any(s[: len(want)] == want for s in strip_lead_ins(tokens(found), phrase_tokens(MetricsConfig().lead_ins)))


def score(items: list[dict], results: list[dict], truth_key: str, group_key: str) -> dict:
    """Precision, recall, F1 and errors per group, for each split."""
    report = {}
    for split in SPLITS:
        tp = fp = fn = tn = 0
        groups: dict[str, dict] = defaultdict(lambda: {"n": 0, "errors": 0, "missed": [], "false_alarms": []})
        spans = [0, 0]
        span_errors: dict[str, str | None] = {}
        for item, res in zip(items, results):
            if item["split"] != split:
                continue
            truth, found = bool(item[truth_key]), res["found"]
            g = groups[item[group_key]]
            g["n"] += 1
            if truth and found:
                tp += 1
            elif truth:
                fn += 1
                g["errors"] += 1
                g["missed"].append(item["id"])
            elif found:
                fp += 1
                g["errors"] += 1
                g["false_alarms"].append(item["id"])
            else:
                tn += 1
            if "span" in item:
                spans[1] += 1
                if span_matches(res.get("span"), item["span"]):
                    spans[0] += 1
                else:
                    span_errors[item["id"]] = res.get("span")
        p = tp / (tp + fp) if tp + fp else None
        r = tp / (tp + fn) if tp + fn else None
        f1 = 2 * p * r / (p + r) if p and r else None
        report[split] = {"n": tp + fp + fn + tn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
                         "precision": p, "recall": r, "f1": f1, "groups": dict(sorted(groups.items()))}
        if spans[1]:
            report[split]["spans"] = {"right": spans[0], "of": spans[1]}
            report[split]["span_errors"] = sorted(span_errors)
            report[split]["found_spans"] = span_errors
    return report


def run(config=None, embedder=None) -> dict:
    questions = load("questions.jsonl")
    pairs = load("paraphrases.jsonl")
    return {
        "questions": score(questions, detect_questions(questions, config), "question", "form"),
        "paraphrases": score(pairs, detect_paraphrases(pairs, config, embedder), "restatement", "category"),
    }


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def print_report(report: dict, errors_of: str | None) -> None:
    texts = {i["id"]: i for i in load("questions.jsonl") + load("paraphrases.jsonl")}
    for task in ("questions", "paraphrases"):
        for split in SPLITS:
            s = report[task][split]
            spans = f", spans {s['spans']['right']}/{s['spans']['of']}" if "spans" in s else ""
            print(f"{task:12s} {split:5s} n={s['n']:3d} P={_pct(s['precision'])} R={_pct(s['recall'])} "
                  f"F1={_pct(s['f1'])} (fp {s['fp']}, fn {s['fn']}{spans})")
            if split == errors_of:
                for name, g in s["groups"].items():
                    for kind in ("missed", "false_alarms"):
                        for i in g[kind]:
                            it = texts[i]
                            shown = it.get("text") or f"C: {it['customer']} || R: {it['rep']}"
                            print(f"    {kind:12s} {name:12s} {i}: {shown}")
                for i in s.get("span_errors", []):
                    print(f"    {'span':12s} {texts[i]['form']:12s} {i}: {texts[i]['text']} -> {s['found_spans'][i]!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-save", action="store_true", help="print only; leave bench/results.* alone")
    ap.add_argument("--errors", choices=SPLITS, help="list every error of this split")
    args = ap.parse_args(argv)
    from run_bench import git_commit

    report = run()
    report |= {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "git_commit": git_commit()}
    print_report(report, args.errors)
    if not args.no_save:
        from run_bench import RESULTS_JSON, save

        if not RESULTS_JSON.exists():
            print("bench/results.json is missing: run bench/run_bench.py first; nothing saved", file=sys.stderr)
            return 1
        results = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        if "baseline" in results.get("text_events", {}):  # the figures before the detectors were reworked
            report["baseline"] = results["text_events"]["baseline"]
        results["text_events"] = report
        save(results)
        print("written: bench/results.json, bench/results.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
