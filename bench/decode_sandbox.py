"""What decoding in a sandboxed child costs: time per probe and per load, and memory.

    .venv/bin/python bench/decode_sandbox.py [--repeat 5]

Compares ``probe_audio`` / ``load_audio`` run in this process (``isolate=False``) with
the default (a child forked from the forkserver helper), on a 30 s phone call, a
10 min stereo MP3, and the hostile files the limits exist for. Prints one table; the
figures go to docs/benchmarks.md by hand. Files are made in a temp folder.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from audiofiles import Burst, pcm_wav, silent_flac, tone_bursts, write_audio  # noqa: E402
from listenlens.errors import AudioError  # noqa: E402
from listenlens.pipeline import decode_sandbox  # noqa: E402
from listenlens.pipeline.audio import load_audio, probe_audio  # noqa: E402

SHARED_CALL = Path("/work/shared/data/pyannote-sample/sample.wav")


def _time(fn, repeat: int) -> tuple[float, str]:
    times, outcome = [], "ok"
    for _ in range(repeat):
        t = time.perf_counter()
        try:
            fn()
        except AudioError as exc:
            outcome = "refused: " + str(exc).split(":")[0][:40]
        times.append(time.perf_counter() - t)
    return statistics.median(times), outcome


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    t = time.perf_counter()
    decode_sandbox.start()
    decode_sandbox.run(tuple, [{}, None], name="-", timeout_s=60, memory_mb=None)
    print(f"helper start and first child (once per process): {time.perf_counter() - t:.2f} s")
    noop = [0.0] * 20
    for i in range(len(noop)):
        t = time.perf_counter()
        decode_sandbox.run(tuple, [{}, None], name="-", timeout_s=10, memory_mb=None)
        noop[i] = time.perf_counter() - t
    print(f"empty child round trip: median {1000 * statistics.median(noop):.1f} ms, min {1000 * min(noop):.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        files = {}
        if SHARED_CALL.exists():
            files["30 s phone call (WAV)"] = SHARED_CALL
        sig = tone_bursts(600.0, 16000, [Burst(0, 10.0), Burst(1, 300.0)], channels=2, noise_dbfs=-45)
        files["10 min stereo MP3"] = write_audio(d / "ten.mp3", sig, 16000, "mp3")
        files["8-channel WAV, 2 s"] = pcm_wav(d / "eight.wav", tone_bursts(2.0, 16000, [Burst(7, 1.0)], channels=8), 16000)
        files["64-channel WAV, 2 s"] = pcm_wav(d / "many.wav", tone_bursts(2.0, 16000, [Burst(0, 1.0)], channels=64), 16000)
        files["5 h silent FLAC bomb"] = silent_flac(d / "bomb.flac", 5 * 3600)

        print(f"\n{'file':26} {'size':>8}  {'probe here':>10} {'probe child':>11}  {'load here':>9} {'load child':>10}  outcome")
        for label, path in files.items():
            row = [f"{label:26}", f"{path.stat().st_size / 1e6:7.2f}M"]
            outcome = ""
            for fn in (probe_audio, load_audio):
                for isolate in (False, True):
                    s, outcome = _time(lambda fn=fn, path=path, isolate=isolate: fn(path, isolate=isolate), args.repeat)
                    row.append(f"{1000 * s:8.0f}ms")
            print(" ".join(row), " ", outcome)

    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process over the run: {self_mb:.0f} MB "
          f"(the 10 min stereo call is {2 * 600 * 16000 * 4 / 2**20:.0f} MB decoded; the bomb would be 1100 MB)")


if __name__ == "__main__":
    main()
