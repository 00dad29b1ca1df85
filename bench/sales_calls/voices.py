"""Speech for the sales calls: text-to-speech engines and real voices cut from recordings.

A voice is named ``engine:name``:

* ``espeak:en-us+m7`` -- espeak-ng with a voice and variant (``espeak-ng --voices``);
* ``flite:slt`` -- a voice built into flite (``flite -lv``: kal, kal16, awb, rms, slt);
* ``festival:kal_diphone``, ``festival:cmu_us_slt_arctic_hts`` -- festival's ``text2wave``;
* ``real:SPEAKER`` -- a speaker of the reference recordings in ``../shared/data`` (the
  pyannote phone-call sample and the AMI excerpts): their *solo* stretches (no one else
  speaking, by the RTTM truth), read at build time and never copied anywhere.

Every synthesized clip is cached by engine, voice and text, trimmed of silence at both
ends and brought to one speech level, so the voices of a call are equally loud.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

SR = 16000
LEVEL_DBFS = -20.0  # RMS of the loud part of every clip: one speech level for all voices
CACHE = Path(os.environ.get("LISTENLENS_BENCH_CACHE", Path(__file__).resolve().parents[1] / ".cache"))
DATA = Path(os.environ.get("LISTENLENS_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
ENGINES = ("espeak", "flite", "festival", "real")


class VoiceError(RuntimeError):
    """A voice cannot be produced on this machine."""


def synthesize(voice: str, text: str) -> np.ndarray:
    """``text`` spoken by ``voice`` (``engine:name``) at 16 kHz, trimmed and levelled."""
    engine, _, name = voice.partition(":")
    if engine not in ("espeak", "flite", "festival"):
        raise VoiceError(f"{voice!r} is not a text-to-speech voice; use espeak:, flite: or festival:")
    CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(f"{voice}|{text}".encode()).hexdigest()[:16]
    raw = CACHE / "tts" / f"{engine}-{key}.wav"
    if not raw.exists():
        raw.parent.mkdir(parents=True, exist_ok=True)
        tmp = raw.with_suffix(".part.wav")
        _run_engine(engine, name, text, tmp)
        tmp.replace(raw)
    samples, rate = read_wav(raw)
    return level(trim(resample(samples, rate, SR)))


def _run_engine(engine: str, name: str, text: str, out: Path) -> None:
    exe = {"espeak": "espeak-ng", "flite": "flite", "festival": "text2wave"}[engine]
    if shutil.which(exe) is None:
        raise VoiceError(f"{exe} is not installed: apt-get install espeak-ng flite festival festvox-kallpc16k")
    if engine == "espeak":
        cmd = [exe, "-v", name, "-s", "165", "-w", str(out), text]
        subprocess.run(cmd, check=True, capture_output=True)
    elif engine == "flite":
        subprocess.run([exe, "-voice", name, "-t", text, "-o", str(out)], check=True, capture_output=True)
    else:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(text)
        try:
            subprocess.run([exe, "-eval", f"(voice_{name})", f.name, "-o", str(out)], check=True, capture_output=True)
        finally:
            os.unlink(f.name)
    if not out.exists() or out.stat().st_size < 1000:
        raise VoiceError(f"{engine} voice {name!r} produced no audio for {text!r}; is the voice installed?")


@dataclass(frozen=True)
class Stretch:
    """One speaker's solo speech in a reference recording."""

    speaker: str
    file_id: str
    audio: Path
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@lru_cache(maxsize=1)
def solo_stretches(data: Path = DATA) -> dict[str, list[Stretch]]:
    """Every speaker's solo stretches in the reference recordings, in time order."""
    from listenlens.pipeline.rttm import normalize_id, read_rttm

    folders = [data / "pyannote-sample", data / "ami-debug"]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        raise VoiceError(f"reference recordings not found: {', '.join(missing)}; set LISTENLENS_DATA")
    out: dict[str, list[Stretch]] = {}
    for folder in folders:
        audio = {normalize_id(p.stem): p for p in folder.glob("*.wav")}
        for rttm in sorted(folder.glob("*.rttm")):
            for file_id, reference in sorted(read_rttm(rttm).turns.items()):
                turns = [(t.start, t.end, t.speaker) for t in reference]
                for spk in sorted({s for _, _, s in turns}):
                    others = [(s, e) for s, e, k in turns if k != spk]
                    for s, e in _support([(s, e) for s, e, k in turns if k == spk]):
                        for a, b in _minus((s, e), others):
                            if b - a >= 0.2:
                                out.setdefault(spk, []).append(Stretch(spk, file_id, audio[normalize_id(file_id)], a, b))
    return out


def _support(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _minus(span: tuple[float, float], others: list[tuple[float, float]], margin: float = 0.1) -> list[tuple[float, float]]:
    """``span`` without the others (widened by ``margin``: no trace of another voice at the edges)."""
    pieces = [span]
    for s, e in others:
        s, e = s - margin, e + margin
        pieces = [p for a, b in pieces for p in ((a, min(b, s)), (max(a, e), b)) if p[1] > p[0]]
    return pieces


def real_clip(stretch: Stretch) -> np.ndarray:
    return level(_recording(stretch.audio)[int(round(stretch.start * SR)) : int(round(stretch.end * SR))])


@lru_cache(maxsize=32)
def _recording(path: Path) -> np.ndarray:
    from listenlens.pipeline.audio import load_audio

    return load_audio(path).mono().astype(np.float32)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1), rate


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return x.astype(np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(src, dst)
    return resample_poly(x, dst // g, src // g).astype(np.float32)


def trim(x: np.ndarray, rel: float = 0.02) -> np.ndarray:
    """Cut leading and trailing silence (below ``rel`` of the clip's peak)."""
    loud = np.flatnonzero(np.abs(x) > rel * max(float(np.abs(x).max(initial=0.0)), 1e-9))
    return x[loud[0] : loud[-1] + 1] if loud.size else x[:0]


def level(x: np.ndarray) -> np.ndarray:
    """Scale so the clip's speech (its 20 ms frames within 30 dB of the loudest) sits at ``LEVEL_DBFS``."""
    frames = frame_rms(x)
    if frames.size == 0 or frames.max() <= 0:
        return x
    loud = frames[frames > frames.max() * 10 ** (-30 / 20)]
    rms = float(np.sqrt(np.mean(loud**2)))
    return (x * (10 ** (LEVEL_DBFS / 20) / rms)).astype(np.float32)


def frame_rms(x: np.ndarray, frame_s: float = 0.02) -> np.ndarray:
    n = int(frame_s * SR)
    k = len(x) // n
    return np.sqrt(np.mean(x[: k * n].reshape(k, n).astype(np.float64) ** 2, axis=1)) if k else np.zeros(0)
