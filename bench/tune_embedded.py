"""Accuracy and speed of the ``embedded`` diarizer on the shared reference recordings.

    .venv/bin/python bench/tune_embedded.py                      # current defaults
    .venv/bin/python bench/tune_embedded.py threshold=0.35 refine=False   # try settings
    .venv/bin/python bench/tune_embedded.py --quiet ...          # split totals only

Prints, per file and per split (sample / AMI train / development / test), the DER with
a 0.25 s collar and with none (pyannote.metrics, overlap scored, AMI inside its UEM),
the speaker count found against the truth, and the diarizer's time as a share of the
audio duration. Settings are tuned on AMI *train* (and the sample) only; development
and test show whether that tuning carries over.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pyannote.core import Annotation, Segment, Timeline  # noqa: E402
from pyannote.metrics.diarization import DiarizationErrorRate  # noqa: E402

from listenlens.pipeline.audio import load_audio  # noqa: E402
from listenlens.pipeline.diarize.embedded import EmbeddedDiarizer, EmbeddedSettings  # noqa: E402

DATA = Path(os.environ.get("LISTENLENS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
if not DATA.exists():
    DATA = Path("/work/shared/data")


def read_rttm(path: Path) -> dict[str, Annotation]:
    out: dict[str, Annotation] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0] != "SPEAKER":
            continue
        uri, start, dur, who = parts[1], float(parts[3]), float(parts[4]), parts[7]
        ann = out.setdefault(uri, Annotation(uri=uri))
        ann[Segment(start, start + dur), len(ann)] = who
    return out


def read_uem(path: Path) -> dict[str, Timeline]:
    out: dict[str, Timeline] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4:
            out.setdefault(parts[0], Timeline(uri=parts[0])).add(Segment(float(parts[2]), float(parts[3])))
    return out


def dataset() -> list[tuple[str, str, Path, Annotation, Timeline | None]]:
    """(split, uri, wav, reference, uem) for every reference recording."""
    items = []
    sample = DATA / "pyannote-sample"
    items.append(("sample", "sample", sample / "sample.wav", read_rttm(sample / "sample.rttm")["sample"], None))
    ami = DATA / "ami-debug"
    wavs = {p.stem: p for p in ami.glob("*.wav")}
    for split in ("train", "development", "test"):
        refs = read_rttm(ami / f"debug.{split}.rttm")
        uems = read_uem(ami / f"debug.{split}.uem")
        for uri in sorted(refs):
            # trn00.wav was named with an accented letter upstream; match by prefix.
            wav = wavs.get(uri) or next(p for stem, p in wavs.items() if stem.startswith(uri[:3]) and uri in stem)
            items.append((split, uri, wav, refs[uri], uems.get(uri)))
    return items


def as_annotation(turns, uri: str) -> Annotation:
    ann = Annotation(uri=uri)
    for i, t in enumerate(turns):
        ann[Segment(t.start, t.end), i] = t.speaker
    return ann


def parse_settings(pairs: list[str]) -> EmbeddedSettings:
    changes = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            changes[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            changes[key] = value
    return EmbeddedSettings().with_(**changes)


def run(settings: EmbeddedSettings, *, quiet: bool = False, given_count: bool = False) -> dict[str, dict]:
    diarizer = EmbeddedDiarizer(settings)
    splits: dict[str, dict] = {}
    for split, uri, wav, ref, uem in dataset():
        audio = load_audio(wav)
        if uem is None:
            uem = Timeline([Segment(0, audio.duration)], uri=uri)
        n_ref = len(ref.labels())
        t0 = time.perf_counter()
        out = diarizer.diarize(audio, num_speakers=n_ref if given_count else None)
        took = time.perf_counter() - t0
        hyp = as_annotation(out.turns, uri)
        agg = splits.setdefault(split, {"m25": DiarizationErrorRate(collar=0.25, skip_overlap=False),
                                        "m0": DiarizationErrorRate(collar=0.0, skip_overlap=False),
                                        "time": 0.0, "dur": 0.0, "count_ok": 0, "n": 0})
        d25 = agg["m25"](ref, hyp, uem=uem)
        d0 = agg["m0"](ref, hyp, uem=uem)
        agg["time"] += took
        agg["dur"] += audio.duration
        n_hyp = len(hyp.labels())
        agg["count_ok"] += n_hyp == n_ref
        agg["n"] += 1
        if not quiet:
            print(f"{split:12s} {uri:8s} DER25 {100 * d25:5.1f}%  DER0 {100 * d0:5.1f}%  "
                  f"speakers {n_hyp}/{n_ref}  time {took:.2f}s ({100 * took / audio.duration:.1f}% of audio)")
    return splits


def report(splits: dict[str, dict]) -> None:
    for split, agg in splits.items():
        m25, m0 = agg["m25"], agg["m0"]
        detail = {k: 100 * m25[k] / m25["total"] for k in ("missed detection", "false alarm", "confusion")}
        print(f"{split:12s} DER25 {100 * abs(m25):5.1f}%  DER0 {100 * abs(m0):5.1f}%  "
              f"(miss {detail['missed detection']:.1f} fa {detail['false alarm']:.1f} conf {detail['confusion']:.1f})  "
              f"count right {agg['count_ok']}/{agg['n']}  time {100 * agg['time'] / agg['dur']:.1f}% of audio")
    ami = [s for s in ("train", "development", "test") if s in splits]
    if ami:
        total = sum(splits[s]["m25"]["total"] for s in ami)
        err = sum(splits[s]["m25"]["missed detection"] + splits[s]["m25"]["false alarm"] + splits[s]["m25"]["confusion"] for s in ami)
        print(f"{'AMI all':12s} DER25 {100 * err / total:5.1f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="*", help="key=value overrides of EmbeddedSettings")
    parser.add_argument("--quiet", action="store_true", help="split totals only")
    parser.add_argument("--given-count", action="store_true", help="pass the true speaker count")
    args = parser.parse_args(argv)
    settings = parse_settings(args.settings)
    print("settings:", settings)
    report(run(settings, quiet=args.quiet, given_count=args.given_count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
