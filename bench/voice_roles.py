"""Roles with and without voiceprints on mono calls: who is the rep, and the talk ratio.

    .venv/bin/python bench/voice_roles.py [--json bench/voice_roles.json]

Calls are built from scripted lines spoken by espeak-ng, flite and festival voices
(``bench/sales_calls/voices.py``), mixed to mono with known timing. Each rep voice is
enrolled from a separate clip of other sentences (``enrollment_voice``). Scenarios:

* ``rep_leads``: the rep opens, introduces themselves and asks the questions;
* ``customer_leads``: the customer opens, introduces their company and asks most questions;
* ``second_seller``: customer-led, and a manager (enrolled too, same team) answers as well;
* ``impostor``: customer-led, but the rep speaking is not the enrolled one (``rep=sam``
  names someone else): a match here is a false match;
* ``customer_leads_phone``, ``impostor_phone``: the same calls through ``telephone_band``
  (8 kHz, 300-3400 Hz, mu-law, written as an 8 kHz mu-law WAV), against voiceprints
  enrolled from clean clips, which keep a telephone-band embedding of the same clip
  (``pipeline/band.py``): the call is compared with that one;
* ``customer_leads_phone_wide_only``: the same phone calls against the clean clips' wide
  band alone, as prints were before they kept a telephone band: the mismatch a rep
  enrolled at a desk met on the phone;
* ``customer_leads_phone_enrolled``: those phone calls against voiceprints made from
  the enrollment clips through the same telephone band, as a voiceprint learned from the
  rep's own telephone calls is.

The encoder and threshold are the settings' (``[voiceprints]``; ``--encoder`` picks the
encoder). Each call runs the pipeline once with the voices (``transcribe_call(..., voices=)``); the
roles without voiceprints are ``assign_roles`` on the same timeline without them, so
both read the same turns and words. Role accuracy: the share of the true speech time
whose speaker got the right side (seller or customer). Talk-ratio error: the absolute
difference between the seller's share of speech found and built.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
SR = 16000

REPS = ["espeak:en-us+m7", "flite:awb", "festival:cmu_us_slt_arctic_hts"]
CUSTOMERS = ["espeak:en+f5", "flite:slt", "festival:kal_diphone"]
MANAGER = "espeak:en-029+m4"
IMPOSTOR = "flite:rms"

ENROLL = ["Hello, my name is Sam, and I am recording this so the coaching tool knows my voice.",
          "I look after our customers in the north east, mostly finance teams of ten to fifty people.",
          "Thank you, that is all I need to say for now."]
REP_LEADS = [
    ("rep", "Hi, this is Sam from Acme, thanks for taking my call."),
    ("customer", "Sure, no problem."),
    ("rep", "How does your team send invoices today? And who approves them?"),
    ("customer", "We use spreadsheets, and my manager approves everything by email."),
    ("rep", "What happens when an invoice goes out late?"),
    ("customer", "We wait longer for the money, and sometimes we lose track of it."),
    ("rep", "That makes sense, thank you."),
]
CUSTOMER_LEADS = [
    ("customer", "Hi, this is Jordan from Globex, thanks for taking my call."),
    ("rep", "Of course, glad to help."),
    ("customer", "What does your product cost? How long is the contract? Can we try it first?"),
    ("rep", "It depends on the number of users, and most teams start with a monthly plan."),
    ("customer", "Do you support invoices in other currencies? And what about our old data?"),
    ("rep", "Yes to both, we import the history for you."),
    ("customer", "Great, can you send me a proposal by Friday?"),
    ("rep", "I will."),
]
SECOND_SELLER = CUSTOMER_LEADS[:4] + [
    ("manager", "If I may add, for a team your size we usually include the onboarding at no cost."),
    ("customer", "That is good to hear. Who will be our contact after signing?"),
    ("manager", "Sam stays your contact, and I join the quarterly reviews."),
    ("rep", "Exactly."),
]


def render(lines, voices, gap=0.6) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    from sales_calls.voices import synthesize

    clips, truth, t = [], [], 0.3
    for who, text in lines:
        clip = synthesize(voices[who], text)
        truth.append((t, t + len(clip) / SR, who))
        clips.append((int(t * SR), clip))
        t += len(clip) / SR + gap
    mix = np.zeros(int((t + 0.7) * SR), dtype=np.float32)
    for i, clip in clips:
        mix[i: i + len(clip)] += clip
    rng = np.random.default_rng(0)
    mix += rng.normal(0, 10 ** (-60 / 20), mix.shape).astype(np.float32)
    return mix, truth


def enroll(voice: str, phone: bool = False, encoder: str = "campplus"):
    from sales_calls.voices import synthesize
    from scipy.signal import resample_poly

    from listenlens.pipeline.voiceprints import enrollment_voice, get_encoder

    clip = np.concatenate([synthesize(voice, s) for s in ENROLL])
    if phone:
        from make_long_call import telephone_band

        clip = resample_poly(telephone_band(clip), 2, 1).astype(np.float32)
    return enrollment_voice(clip, encoder=get_encoder(encoder))


def score(timeline, truth) -> dict:
    from listenlens.pipeline.timeline import Role

    sellers = {"rep", "manager"}
    right = total = 0.0
    for start, end, who in truth:
        for t in timeline.speech:
            ov = max(0.0, min(end, t.end) - max(start, t.start))
            if ov > 0:
                total += ov
                seller = timeline.role_of(t.speaker) is Role.REP
                right += ov if seller == (who in sellers) else 0.0
    speech = sum(t.duration for t in timeline.speech)
    seller_s = sum(t.duration for t in timeline.speech if timeline.role_of(t.speaker) is Role.REP)
    true_seller = sum(e - s for s, e, w in truth if w in sellers) / sum(e - s for s, e, _ in truth)
    return {"role_accuracy": round(right / max(total, 1e-9), 3),
            "talk_ratio_error": round(abs(seller_s / max(speech, 1e-9) - true_seller), 3)}


SCENARIOS = ("rep_leads", "customer_leads", "second_seller", "impostor", "customer_leads_phone", "impostor_phone",
             "customer_leads_phone_wide_only", "customer_leads_phone_enrolled")


def run(encoder: str | None = None) -> dict:
    from sales_calls.render import write_wav

    from listenlens.config import Settings
    from listenlens.pipeline.transcribe import transcribe_call
    from listenlens.pipeline.voiceprints import CallVoices, KnownVoice, get_encoder
    from listenlens.pipeline.voiceprints.embed import cosine

    settings = Settings() if encoder is None else Settings().updated({"voiceprints.encoder": encoder})
    enrolled = {v: enroll(v, encoder=settings.voiceprints.encoder) for v in REPS + [MANAGER]}
    enrolled_phone = {v: enroll(v, phone=True, encoder=settings.voiceprints.encoder) for v in REPS}
    impostor_voice = enroll(IMPOSTOR, encoder=settings.voiceprints.encoder)
    cases = []
    for rep, customer in zip(REPS, CUSTOMERS):
        cases += [("rep_leads", REP_LEADS, {"rep": rep, "customer": customer}, rep),
                  ("customer_leads", CUSTOMER_LEADS, {"rep": rep, "customer": customer}, rep),
                  ("second_seller", SECOND_SELLER, {"rep": rep, "customer": customer, "manager": MANAGER}, rep),
                  ("impostor", CUSTOMER_LEADS, {"rep": IMPOSTOR, "customer": customer}, rep),
                  ("customer_leads_phone", CUSTOMER_LEADS, {"rep": rep, "customer": customer}, rep),
                  ("impostor_phone", CUSTOMER_LEADS, {"rep": IMPOSTOR, "customer": customer}, rep),
                  ("customer_leads_phone_wide_only", CUSTOMER_LEADS, {"rep": rep, "customer": customer}, rep),
                  ("customer_leads_phone_enrolled", CUSTOMER_LEADS, {"rep": rep, "customer": customer}, rep)]
    heard = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (scenario, lines, voices, enrolled_rep) in enumerate(cases):
            mix, truth = render(lines, voices)
            path = Path(tmp) / f"call{i}.wav"
            if "_phone" in scenario:
                from make_long_call import telephone_band

                write_wav(path, telephone_band(mix), SR // 2, mulaw=True)
            else:
                write_wav(path, mix, SR)
            prints = enrolled_phone if scenario.endswith("_enrolled") else enrolled
            known = [KnownVoice.of("sam", prints[enrolled_rep])]
            if scenario.endswith("_wide_only"):
                known = [replace(known[0], phone=None)]
            if scenario == "second_seller":
                known.append(KnownVoice.of("kim", enrolled[MANAGER], is_rep=False))
            t0 = time.perf_counter()
            call_voices = CallVoices(known=known)
            tl = transcribe_call(path, settings, voices=call_voices)
            spent = time.perf_counter() - t0
            heard.append({"scenario": scenario, "voices": voices, "truth": truth, "timeline": tl, "known": known,
                          "heard": call_voices.heard, "seconds": round(spent, 1),
                          "impostor_similarity": round(cosine(enrolled[enrolled_rep].embedding, impostor_voice.embedding), 3)
                          if scenario.startswith("impostor") else None})
            print(f"{scenario:15s} rep {voices['rep']:32s} {tl.roles.source.value:10s} "
                  f"best {tl.source.get('voiceprints', {}).get('best')} in {spent:.0f} s", flush=True)
    return {"encoder": settings.voiceprints.encoder, "model": get_encoder(settings.voiceprints.encoder).model,
            "calls": heard}


def rescore(raw: dict, threshold: float | dict[str, float]) -> dict:
    """Roles with the voiceprints at ``threshold`` and without, from the calls ``run`` heard:
    the match is redone on the same speakers' voices (the pipeline's own step), so a
    threshold is tried without running the pipeline again. ``threshold`` is one for every
    band, or one per band as the settings give it."""
    from listenlens.pipeline.roles import assign_roles
    from listenlens.pipeline.voiceprints import match_speakers

    rows = []
    for call in raw["calls"]:
        scenario, voices, truth = call["scenario"], call["voices"], call["truth"]
        tl = copy.deepcopy(call["timeline"])
        band = tl.source.get("voiceprints", {}).get("band", "wide")
        check = match_speakers(call["heard"], call["known"], threshold, model=raw["model"], band=band)
        assign_roles(tl, voices=check)
        plain = copy.deepcopy(call["timeline"])
        assign_roles(plain)
        with_vp, without = score(tl, truth), score(plain, truth)
        matched = tl.roles.source.value == "voiceprint"
        rows.append({"scenario": scenario, "rep": voices["rep"], "customer": voices["customer"],
                     "source": tl.roles.source.value, "with": with_vp, "without": without,
                     "speakers": len(tl.labels()), "split": "voiceprint_split" in tl.source.get("diarizer", {}),
                     "best": {k: round(v, 3) for k, v in check.best.items()},
                     "impostor_similarity": call["impostor_similarity"],
                     "false_match": scenario.startswith("impostor") and matched, "seconds": call["seconds"],
                     "voiceprint_s": tl.source.get("timings_s", {}).get("voiceprints"), "band": band,
                     "compared_in": dict(check.bands)})
    summary = {}
    for scenario in SCENARIOS:
        rs = [r for r in rows if r["scenario"] == scenario]
        if not rs:
            continue
        summary[scenario] = {
            "calls": len(rs),
            "voiceprint_roles": sum(r["source"] == "voiceprint" for r in rs),
            "role_accuracy_with": round(float(np.mean([r["with"]["role_accuracy"] for r in rs])), 3),
            "role_accuracy_without": round(float(np.mean([r["without"]["role_accuracy"] for r in rs])), 3),
            "talk_ratio_error_with": round(float(np.mean([r["with"]["talk_ratio_error"] for r in rs])), 3),
            "talk_ratio_error_without": round(float(np.mean([r["without"]["talk_ratio_error"] for r in rs])), 3),
            "false_matches": sum(r["false_match"] for r in rs),
        }
    return {"encoder": raw["encoder"], "threshold": threshold, "summary": summary, "calls": rows}


def section(roles: dict, eer: dict | None) -> str:
    """The voiceprints section of bench/results.md, from this script's and voice_eer.py's JSON."""
    out = ["## Voiceprints", ""]
    if eer:
        out += ["Speaker verification (`bench/voice_eer.py`): equal error rate over every pair of 1.5-3 s stretches "
                "of one voice (real: shared/data by its RTTM; tts: espeak-ng, flite and festival voices), clean and "
                "telephone-band; `thr` is the cosine score at the EER.", "",
                "| set | stretches / voices | resemblyzer | CAM++ |", "| --- | --- | --- | --- |"]
        for key, row in eer["sets"].items():
            cells = [f"{row[e]['eer']:.1%} (thr {row[e]['thr_at_eer']:.2f})" if e in row else "not run"
                     for e in ("resemblyzer", "campplus")]
            out.append(f"| {key} | {row['stretches']} / {row['voices']} | {cells[0]} | {cells[1]} |")
        speed = ", ".join(f"{k} {v:.2f} s" for k, v in eer["speed"].items())
        out += ["", f"Compute per second of audio, one thread, shared machine: {speed}.", ""]
    out += [f"Roles on built mono calls (`bench/voice_roles.py`; match threshold {_thresholds(roles)}): role "
            "accuracy is the share of true speech time whose speaker got the right side; talk-ratio error the "
            "absolute error of the seller's share of speech. Without voiceprints: the same timelines, roles inferred "
            "from the words.", "",
            "| scenario | calls | roles from voice | role accuracy with / without | talk-ratio error with / without "
            "| false matches |", "| --- | --- | --- | --- | --- | --- |"]
    for name, r in roles["summary"].items():
        out.append(f"| {name} | {r['calls']} | {r['voiceprint_roles']} | {r['role_accuracy_with']:.2f} / "
                   f"{r['role_accuracy_without']:.2f} | {r['talk_ratio_error_with']:.2f} / "
                   f"{r['talk_ratio_error_without']:.2f} | {r['false_matches']} |")
    best = [f"{c['rep']} {c['best'].get('sam', float('nan')):.2f}" for c in roles["calls"] if c["scenario"].startswith("impostor")]
    out += ["", "Impostor calls (another voice speaks for the enrolled rep), best score against the enrolled voice: "
            + ", ".join(best) + f" (threshold {_thresholds(roles)}). The customer-led scripts mislead "
            "the inference on purpose (the customer opens, introduces a company and asks the questions), so without a "
            "match their roles are wrong: an impostor call says no speaker matches and falls back to that inference."]
    return "\n".join(out) + "\n"


def _thresholds(roles: dict) -> str:
    t = roles["threshold"]
    return ", ".join(f"{v:.2f} {band} band" for band, v in t.items()) if isinstance(t, dict) else f"{t:.2f}"


def main() -> None:
    import pickle

    from render_results import write_marked_section

    from listenlens.config import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "voice_roles.json")
    ap.add_argument("--encoder", choices=["campplus", "resemblyzer"], help="voiceprint encoder (default: the settings')")
    ap.add_argument("--threshold", type=float, help="match threshold (default: the settings' for the encoder)")
    ap.add_argument("--heard", type=Path, default=Path(tempfile.gettempdir()) / "listenlens-voice-roles.pkl",
                    help="what the pipeline heard on each call, kept to try thresholds (--rescore)")
    ap.add_argument("--rescore", action="store_true", help="redo the match from --heard without running the pipeline")
    ap.add_argument("--render-only", action="store_true", help="rewrite the results section from the JSON files")
    args = ap.parse_args()
    if args.render_only:
        results = json.loads(args.json.read_text())
    else:
        if args.rescore:
            raw = pickle.loads(args.heard.read_bytes())
        else:
            raw = run(args.encoder)
            args.heard.write_bytes(pickle.dumps(raw))
        settings = Settings().updated({"voiceprints.encoder": raw["encoder"]})
        results = rescore(raw, args.threshold if args.threshold is not None else settings.voiceprints.thresholds)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        print(json.dumps(results["summary"], indent=1))
        print(f"wrote {args.json}")
    eer_path = ROOT / "bench" / "voice_eer.json"
    eer = json.loads(eer_path.read_text()) if eer_path.exists() else None
    md = ROOT / "bench" / "results.md"
    write_marked_section(md, "voiceprints", section(results, eer))
    print(f"updated {md}")


if __name__ == "__main__":
    main()
