"""What a recogniser setting buys in words, and what it costs: word error rate on the sales calls.

    python bench/asr_wer.py                                    # beam 1 against 5, mono and telephone, save
    python bench/asr_wer.py --variant telephone --beam 1 --beam 3 --no-save
    python bench/asr_wer.py --model base --model tiny.en --beam 1

Each copy of a built sales call (``bench/event_eval.py`` builds them) is recognised whole,
by the pipeline's ``Transcriber`` with nothing but the compared setting changed and no
diarizer, so only the recogniser differs. Its words are scored against the call's
script (the truth's words in time order) with jiwer. Calls with a real voice are left
out: nobody wrote down its words. Numbers the script spells out ("twenty") and the
recogniser writes as digits count as errors for every setting alike, so the figures
compare settings; they are not the recogniser's word error rate on speech in general.

The settings take turns on each call in one process, so a machine that other work slows
down slows them alike; the recognition CPU time of each, relative to the first, is
its cost. Writes ``bench/asr_wer.json`` and the ``asr-wer`` section of ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run_bench import git_commit, machine  # noqa: E402
from sales_calls.build import OUT, build_all  # noqa: E402

from listenlens.config import load_settings  # noqa: E402
from listenlens.evaluation.events.truth import load_calls  # noqa: E402
from listenlens.pipeline.asr import Transcriber  # noqa: E402
from listenlens.pipeline.audio import load_audio  # noqa: E402
from listenlens.pipeline.constants import SAMPLE_RATE  # noqa: E402

RESULTS_JSON = HERE / "asr_wer.json"
RESULTS_MD = HERE / "results.md"
SECTION = "asr-wer"
VARIANTS = ("mono", "telephone")


def normalise(text: str) -> str:
    """Lower case, hyphens as spaces, no punctuation but the apostrophe: what a listener
    would call the same words."""
    text = text.lower().replace("-", " ").replace("\u2019", "'")
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text).split())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference words) after ``normalise``."""
    import jiwer

    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return len(hyp.split()), 0
    if not hyp:
        return len(ref.split()), len(ref.split())
    out = jiwer.process_words(ref, hyp)
    return out.substitutions + out.deletions + out.insertions, len(ref.split())


def script_text(truth: dict) -> str | None:
    """The call's words in the order they are spoken; None when a real voice's words are unknown."""
    words = sorted(truth["words"], key=lambda w: (w["start"], w["end"]))
    if any(w["text"] is None for w in words):
        return None
    return " ".join(w["text"] for w in words)


def _settings(models: list[str | None], beams: list[int]) -> list[dict]:
    return [{"model": m, "beam": b} for m in models for b in beams]


def _name(s: dict) -> str:
    return f"{s['model'] or 'default model'}, beam {s['beam']}"


def run(calls, variants, settings, say) -> dict:
    base = load_settings().asr
    # Both beams are set alike: whatever band a copy is, the setting under test decodes it.
    recognisers = [Transcriber(base.model_copy(update={"beam_size": s["beam"], "phone_beam_size": s["beam"],
                                                       **({"model": s["model"]} if s["model"] else {})}))
                   for s in settings]
    rows = []
    for variant in variants:
        for call in calls:
            ref = script_text(call.truth)
            if ref is None or variant not in call.audio:
                continue
            x = load_audio(call.audio[variant]).mono()
            row = {"variant": variant, "call": call.id, "split": call.split, "runs": []}
            for s, tr in zip(settings, recognisers, strict=True):
                c0 = time.process_time()
                segments = tr.transcribe(x, [(0.0, len(x) / SAMPLE_RATE)])
                cpu = time.process_time() - c0
                errors, n = word_errors(ref, " ".join(seg.text for seg in segments))
                row["runs"].append({"setting": _name(s), "errors": errors, "words": n, "cpu_s": round(cpu, 2)})
            say(f"[{variant}] {call.id}: " + ", ".join(f"{r['setting']} {100 * r['errors'] / max(r['words'], 1):.1f}%"
                                                    for r in row["runs"]))
            rows.append(row)
    return {"settings": [_name(s) for s in settings], "rows": rows}


def summary(data: dict) -> list[dict]:
    """Per variant and setting: word error rate over all its calls, and CPU time against the first setting."""
    out = []
    for variant in dict.fromkeys(r["variant"] for r in data["rows"]):
        rows = [r for r in data["rows"] if r["variant"] == variant]
        first_cpu = sum(r["runs"][0]["cpu_s"] for r in rows)
        for i, name in enumerate(data["settings"]):
            errors = sum(r["runs"][i]["errors"] for r in rows)
            words = sum(r["runs"][i]["words"] for r in rows)
            cpu = sum(r["runs"][i]["cpu_s"] for r in rows)
            better = sum(r["runs"][i]["errors"] < r["runs"][0]["errors"] for r in rows)
            worse = sum(r["runs"][i]["errors"] > r["runs"][0]["errors"] for r in rows)
            out.append({"variant": variant, "setting": name, "calls": len(rows), "words": words,
                        "wer": errors / max(words, 1), "cpu_s": round(cpu, 1),
                        "cpu_ratio": cpu / first_cpu if first_cpu else None, "better": better, "worse": worse})
    return out


def section(data: dict) -> str:
    rows = "\n".join(
        f"| {s['variant']} | {s['setting']} | {s['calls']} | {s['words']} | {100 * s['wer']:.1f}% | "
        f"{s['cpu_s']:.1f} | {s['cpu_ratio']:.2f} | {s['better']} / {s['worse']} |"
        for s in summary(data)
    )
    return (
        "### What the recogniser's settings buy in words\n\n"
        f"`bench/asr_wer.py`, {data['date']}, commit {data['git_commit']}, {_cpu(data['machine'])}: each copy of the "
        "scripted sales calls (calls with a real voice left out) recognised whole, no diarizer, each setting in turn "
        "in one process; word error rate against the script (jiwer; digits for spelled-out numbers count as errors "
        "for every setting alike, so compare the rows, not the figures with other recognisers'). CPU time is "
        "recognition alone, relative to the first setting of the same copies.\n\n"
        "| copy | setting | calls | words | word error rate | CPU s | CPU time ratio | calls better / worse than the first |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        f"{rows}\n"
    )


def _cpu(m: dict) -> str:
    """The CPU model and whether it has AVX-512: the int8 kernels, and so the words, differ between the two."""
    avx = {True: "AVX-512", False: "AVX2 only"}.get(m.get("avx512"), "AVX-512 unknown")
    return f"{m['cpu']}, {avx}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="word error rate of recogniser settings on the sales calls")
    ap.add_argument("--variant", action="append", choices=VARIANTS, help="copy to recognise (repeatable; default both)")
    ap.add_argument("--beam", action="append", type=int, help="beam width to compare (repeatable; default 1 and 5)")
    ap.add_argument("--model", action="append", help="recogniser model to compare (repeatable; default the configured one)")
    ap.add_argument("--only", action="append", help="only this call id (repeatable)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"where the calls are built (default {OUT})")
    ap.add_argument("--no-build", action="store_true", help="use the calls already built in --out")
    ap.add_argument("--no-save", action="store_true", help="print only; leave bench/asr_wer.json and results.md alone")
    args = ap.parse_args(argv)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    ids = args.only if args.no_build else [c.id for c in build_all(args.out, args.only, progress=say)]
    calls = load_calls(args.out, ids, None)
    data = run(calls, args.variant or list(VARIANTS), _settings(args.model or [None], args.beam or [1, 5]), say)
    data |= {"date": time.strftime("%Y-%m-%d", time.gmtime()), "git_commit": git_commit(), "machine": machine()}
    for s in summary(data):
        print(f"{s['variant']:10} {s['setting']:24} WER {100 * s['wer']:5.1f}% over {s['words']} words, "
              f"CPU {s['cpu_s']:.0f} s ({s['cpu_ratio']:.2f}x), better on {s['better']}, worse on {s['worse']} of {s['calls']}")
    if args.no_save or args.only:
        return 0
    from render_results import write_marked_section

    RESULTS_JSON.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    write_marked_section(RESULTS_MD, SECTION, section(data))
    say(f"written: {RESULTS_JSON}, {RESULTS_MD} ({SECTION} section)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
