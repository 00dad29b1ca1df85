"""Build the sales calls: every script spoken, rendered three ways, with its truth.

    python bench/sales_calls/build.py                 # all calls -> bench/.cache/sales-calls/
    python bench/sales_calls/build.py --only s01-discovery --out /tmp/x

Layout of the output folder (nothing in it is committed)::

    truth/<id>.events.json   every event's truth (schema in truth.py)
    truth/<id>.rttm          speaker turns
    dual/<id>.wav  mono/<id>.wav  telephone/<id>.wav   (each beside a copy of <id>.rttm,
                                                        so `listenlens eval dual/` works too)

A call is rebuilt only when its script or ``BUILD_VERSION`` changed. Building is
deterministic: the same scripts give the same audio and truth.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `sales_calls` and bench's modules importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "sales_calls"

from sales_calls.render import VARIANTS, render, sides, write_json, write_text, write_wav  # noqa: E402
from sales_calls.script import CallScript, ScriptError, load_scripts  # noqa: E402
from sales_calls.truth import events, place, rttm_lines  # noqa: E402
from sales_calls.voices import CACHE, SR, Stretch, real_clip, solo_stretches, synthesize  # noqa: E402

BUILD_VERSION = 4
OUT = CACHE / "sales-calls"


@dataclass(frozen=True)
class BuiltCall:
    id: str
    split: str
    truth: dict
    audio: dict[str, Path]  # variant -> recording

    @property
    def duration_s(self) -> float:
        return float(self.truth["duration_s"])


def build_call(script: CallScript, out: Path = OUT) -> BuiltCall:
    truth_path = out / "truth" / f"{script.id}.events.json"
    audio = {v: out / v / f"{script.id}.wav" for v in VARIANTS}
    stamp = f"{script.sha1}/{BUILD_VERSION}"
    if truth_path.exists() and all(p.exists() for p in audio.values()):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if truth.get("build") == stamp:
            return BuiltCall(script.id, script.split, truth, audio)
    clips, sources = _clips(script)
    placed = place(script, clips)
    for p, src in zip(placed, sources):
        p.source = src
    truth = events(script, placed)
    clean = sides(placed, clips)
    truth["duration_s"] = round(clean.shape[1] / SR, 3)
    seed = int(hashlib.sha1(script.id.encode()).hexdigest()[:8], 16)
    copies, leak_db = render(clean, seed)
    truth["build"] = stamp
    truth["dual_leak_db"] = round(leak_db, 2)
    rttm = "\n".join(rttm_lines(script.id, placed)) + "\n"
    for variant, (samples, rate) in copies.items():
        write_wav(audio[variant], samples, rate, mulaw=variant == "telephone")
        write_text(audio[variant].with_suffix(".rttm"), rttm)
    write_text(out / "truth" / f"{script.id}.rttm", rttm)
    write_json(truth_path, truth)
    return BuiltCall(script.id, script.split, truth, audio)


def _clips(script: CallScript):
    """Each line's audio, and for a real voice's line the stretch it was cut from."""
    used: set[Stretch] = set()
    clips, sources = [], []
    for i, line in enumerate(script.lines):
        spec = script.speakers[line.speaker]
        if not spec.real:
            clips.append(synthesize(spec.voice, line.text))
            sources.append(None)
            continue
        name = spec.voice.split(":", 1)[1]
        lo, hi = line.clip
        stretch = next((s for s in solo_stretches().get(name, []) if s not in used and lo <= s.duration <= hi), None)
        if stretch is None:
            raise ScriptError(f"{script.id} line {i + 1}: no unused solo stretch of {name} lasting {lo}-{hi} s")
        used.add(stretch)
        clips.append(real_clip(stretch))
        sources.append({"file": stretch.file_id, "speaker": name, "start": round(stretch.start, 3), "end": round(stretch.end, 3)})
    return clips, sources


def build_all(out: Path = OUT, only: list[str] | None = None, progress=print) -> list[BuiltCall]:
    calls = []
    for script in load_scripts(only=only):
        calls.append(build_call(script, out))
        progress(f"built {script.id} ({calls[-1].duration_s:.0f} s, {script.split})")
    return calls


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the sales calls with event truth.")
    ap.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    ap.add_argument("--only", action="append", help="build only this call id (repeatable)")
    args = ap.parse_args(argv)
    try:
        calls = build_all(args.out, args.only)
    except ScriptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(calls)} calls in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
