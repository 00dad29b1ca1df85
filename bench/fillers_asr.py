"""How many spoken fillers the recogniser keeps, with and without the filler prompt.

Builds two-party calls (tests/callsynth.py, espeak-ng) whose scripts hold known
fillers ("um", "uh", "er", "hmm"), transcribes each party's channel over its true
speech regions (so only the recogniser differs, not the diarizer) three ways:

* ``off``: the pipeline's default decoding;
* ``hotwords``: ``Transcriber(keep_fillers=True)``, ``asr.FILLER_PROMPT`` in front of
  every 30 s window;
* ``initial_prompt``: the same text as faster-whisper's ``initial_prompt`` (first
  window only, as previous text is not carried over);

and reports fillers kept, fillers invented, the other words' error rate against the
script, and how far each line's first and last word move from the line's true edges.

Then the real recordings in shared/data (AMI meeting excerpts and the pyannote
telephone sample, whose people say "um" and "uh" for real but have no transcript):
each is transcribed over its human-made speaker turns with and without the prompt, and
the two are compared: fillers recognised, the other words that change, how far the
words both runs share move, and the listening events built on them (rep questions and
their outcomes, backchannels, interruptions, turns) with the first speaker as the rep.
Writes ``bench/fillers_asr.json``; ``bench/beyond_metrics.py`` puts it in results.md.

    .venv/bin/python bench/fillers_asr.py
"""

from __future__ import annotations

import difflib
import json
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from callsynth import Line, make_call  # noqa: E402
from listenlens.config import AsrSettings, load_settings  # noqa: E402
from listenlens.pipeline.asr import FILLER_PROMPT, Transcriber  # noqa: E402
from listenlens.pipeline.audio import load_audio  # noqa: E402
from listenlens.pipeline.metrics.text import tokens  # noqa: E402

FILLERS = {"um", "uh", "er", "hmm", "erm", "uhm", "umm", "mm", "ah"}

CALLS = [
    [
        ("rep", "Hi Dana, um, thanks for making the time today."),
        ("customer", "Sure, uh, happy to. We have about twenty minutes."),
        ("rep", "Great. So, um, what made you look at new scheduling software this year?"),
        ("customer", "Well, uh, our clinics keep double booking rooms, and, um, the staff hate the old tool."),
        ("rep", "Uh, how often does that happen in a normal week?"),
        ("customer", "Hmm, maybe ten times a week across the three sites."),
        ("rep", "Okay, um, and who handles the fixes when it does?"),
        ("customer", "Er, mostly the front desk leads, which, uh, pulls them off patients."),
        ("rep", "That makes sense. Um, I'll send a short summary by Friday."),
        ("customer", "Uh, sounds good, thanks."),
    ],
    [
        ("rep", "Morning Raj, uh, did the pricing sheet come through?"),
        ("customer", "It did, um, but it's, uh, higher than we planned for."),
        ("rep", "Hmm, okay. What number did you have in mind for the first year?"),
        ("customer", "Um, something closer to forty thousand, honestly."),
        ("rep", "Uh, got it. And, um, is that budget fixed or can it move next quarter?"),
        ("customer", "Er, it could move a little if, uh, finance sees the savings."),
        ("rep", "Right. Um, would a one page savings estimate help with finance?"),
        ("customer", "Yeah, um, that would help a lot."),
        ("rep", "Uh, I can have it to you by Wednesday afternoon."),
        ("customer", "Hmm, great, let's talk Thursday then."),
    ],
    [
        ("rep", "So, um, tell me how your team tracks freight claims today."),
        ("customer", "Uh, spreadsheets mostly, and, um, a shared inbox."),
        ("rep", "Um, how many claims come in each month?"),
        ("customer", "Hmm, two hundred, maybe two fifty in the busy season."),
        ("rep", "Uh, and what happens when a claim gets lost?"),
        ("customer", "Er, we, uh, pay it anyway, most of the time."),
        ("rep", "Okay. Um, what would it mean for you to get those back?"),
        ("customer", "Uh, a lot, it's real money for us."),
        ("rep", "Um, could we set up a demo with your ops lead next Tuesday at ten?"),
        ("customer", "Uh, yes, Tuesday at ten works."),
    ],
]

VARIANTS = ("off", "hotwords", "initial_prompt")


class _InitialPrompt(Transcriber):
    def decode_options(self, narrowband: bool = False) -> dict:
        return {**super().decode_options(narrowband), "hotwords": None, "initial_prompt": FILLER_PROMPT}


def _transcriber(variant: str, settings: AsrSettings) -> Transcriber:
    if variant == "initial_prompt":
        return _InitialPrompt(settings, keep_fillers=False)
    return Transcriber(settings, keep_fillers=variant == "hotwords")


def _line_words(segments, start: float, end: float):
    return [w for s in segments for w in s.words if start - 0.3 <= 0.5 * (w.start + w.end) <= end + 0.3]


def run() -> dict:
    settings = load_settings().asr
    transcribers = {v: _transcriber(v, settings) for v in VARIANTS}
    stats = {v: {"fillers_said": 0, "fillers_kept": 0, "fillers_invented": 0, "words_said": 0, "word_errors": 0,
                 "edge_err_s": []} for v in VARIANTS}
    first_words: dict[str, list[float]] = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        # One call made of every script as well, so each channel holds more than one 30 s window.
        for i, script in enumerate(CALLS + [[line for c in CALLS for line in c]]):
            wav = Path(tmp) / f"fillers{i}.wav"
            truth = make_call([Line(s, t, gap=0.8) for s, t in script], wav, stereo=True)
            audio = load_audio(wav)
            for variant, tr in transcribers.items():
                for ch, speaker in enumerate(("rep", "customer")):
                    mine = [t for t in truth if t.speaker == speaker]
                    segs = tr.transcribe(audio.channel(ch), [(t.start, t.end) for t in mine], channel=ch)
                    for line in mine:
                        words = _line_words(segs, line.start, line.end)
                        said = tokens(line.text)
                        heard = tokens(" ".join(w.text for w in words))
                        st = stats[variant]
                        n_said = sum(1 for t in said if t in FILLERS)
                        n_heard = sum(1 for t in heard if t in FILLERS)
                        st["fillers_said"] += n_said
                        st["fillers_kept"] += min(n_said, n_heard)
                        st["fillers_invented"] += max(0, n_heard - n_said)
                        content_said = [t for t in said if t not in FILLERS]
                        content_heard = [t for t in heard if t not in FILLERS]
                        st["words_said"] += len(content_said)
                        st["word_errors"] += _edits(content_said, content_heard)
                        if words:
                            st["edge_err_s"] += [abs(words[0].start - line.start), abs(words[-1].end - line.end)]
                            first_words[variant].append(words[0].start)
    out = {"prompt": FILLER_PROMPT, "calls": len(CALLS) + 1, "variants": {}}
    for v, st in stats.items():
        edges = st.pop("edge_err_s")
        out["variants"][v] = {
            **st,
            "kept_share": round(st["fillers_kept"] / st["fillers_said"], 3) if st["fillers_said"] else None,
            "other_word_error_rate": round(st["word_errors"] / st["words_said"], 3) if st["words_said"] else None,
            "line_edge_error_median_s": round(statistics.median(edges), 3) if edges else None,
            "line_edge_error_p90_s": round(sorted(edges)[int(0.9 * (len(edges) - 1))], 3) if edges else None,
        }
    return out


DATA = HERE.parent.parent / "shared" / "data"


def real_recordings() -> list[tuple[str, Path, list]]:
    from listenlens.pipeline.rttm import normalize_id, read_rttm

    out = []
    folders = [DATA / "pyannote-sample", DATA / "ami-debug"]
    for folder in folders:
        if not folder.is_dir():
            continue
        truth = {}
        for rttm in sorted(folder.glob("*.rttm")):
            for fid, turns in read_rttm(rttm).turns.items():
                truth[normalize_id(fid)] = turns
        for wav in sorted(folder.glob("*.wav")):
            turns = truth.get(normalize_id(wav.stem))
            if turns:
                out.append((wav.stem, wav, turns))
    return out


def run_real() -> dict:
    from listenlens.pipeline.attribute import attribute_words
    from listenlens.pipeline.metrics import analyze_floor, find_interruptions, find_questions
    from listenlens.pipeline.timeline import CallTimeline, Role, Speaker

    settings = load_settings().asr
    off, on = Transcriber(settings, keep_fillers=False), Transcriber(settings, keep_fillers=True)
    totals = {"files": 0, "words_off": 0, "words_on": 0, "fillers_off": 0, "fillers_on": 0,
              "other_words_changed": 0, "other_words_off": 0, "shared_word_shift_s": [], "events": {}}
    for _name, wav, turns in real_recordings():
        audio = load_audio(wav)
        regions = [(t.start, t.end) for t in turns]
        labels = sorted({t.speaker for t in turns})
        first = min(turns, key=lambda t: t.start).speaker
        runs = {}
        for variant, tr in (("off", off), ("on", on)):
            words = attribute_words(tr.transcribe(audio.mono(), regions), list(turns))
            speakers = [Speaker(lbl, Role.REP if lbl == first else Role.CUSTOMER) for lbl in labels]
            runs[variant] = CallTimeline(duration=audio.duration, speech=list(turns), words=words, speakers=speakers)
        totals["files"] += 1
        seqs = {}
        for variant, tl in runs.items():
            toks = [(t, w) for w in tl.words for t in tokens(w.text)]
            totals[f"words_{variant}"] += len(toks)
            totals[f"fillers_{variant}"] += sum(1 for t, _ in toks if t in FILLERS)
            seqs[variant] = [(t, w) for t, w in toks if t not in FILLERS]
            q = find_questions(tl)
            floor = analyze_floor(tl)
            events = {
                "rep questions": len(q),
                "honoured questions": sum(1 for x in q if x.honoured),
                "backchannels": len(floor.backchannels),
                "turns": len(floor.turns),
                "interruptions": len(find_interruptions(tl)),
            }
            for k, v in events.items():
                totals["events"].setdefault(k, {"off": 0, "on": 0})[variant] += v
        a, b = [t for t, _ in seqs["off"]], [t for t, _ in seqs["on"]]
        totals["other_words_off"] += len(a)
        totals["other_words_changed"] += _edits(a, b)
        for op, i1, i2, j1, _j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op == "equal":
                totals["shared_word_shift_s"] += [abs(seqs["off"][i1 + k][1].start - seqs["on"][j1 + k][1].start)
                                                  for k in range(i2 - i1)]
    shifts = totals.pop("shared_word_shift_s")
    totals["shared_word_shift_median_s"] = round(statistics.median(shifts), 3) if shifts else None
    totals["shared_word_shift_p90_s"] = round(sorted(shifts)[int(0.9 * (len(shifts) - 1))], 3) if shifts else None
    return totals


def _edits(a: list[str], b: list[str]) -> int:
    """Word substitutions + deletions + insertions (difflib's alignment)."""
    n = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op != "equal":
            n += max(i2 - i1, j2 - j1)
    return n


def main() -> None:
    result = run()
    result["real"] = run_real()
    (HERE / "fillers_asr.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
