"""A placed script -> three recordings of one call, each beside its truth.

* ``dual``: rep side on the left channel, customer side on the right, each channel
  hearing the other ``leak_db`` down (-25 to -30 dB, drawn per call) 12 ms late, as a
  call-recording platform stores an agent and a customer;
* ``mono``: both sides mixed into one channel;
* ``telephone``: the mono mix as a phone line carries it (8 kHz, 300-3400 Hz, G.711
  mu-law; ``make_long_call.telephone_band``), written as an 8 kHz mu-law WAV.

Every copy gets a little line noise, so silence is not digital zero.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .truth import Placed
from .voices import SR

VARIANTS = ("dual", "mono", "telephone")
LEAK_DB = (-30.0, -25.0)
LEAK_DELAY_S = 0.012
NOISE_DBFS = -65.0
TAIL_S = 1.0


def sides(placed: list[Placed], clips: list[np.ndarray]) -> np.ndarray:
    """(2, n): the rep side's clean speech and the customer side's."""
    n = int((max(p.end for p in placed) + TAIL_S) * SR)
    out = np.zeros((2, n), dtype=np.float32)
    for p, clip in zip(placed, clips):
        i = int(round(p.start * SR))
        out[0 if p.side == "rep" else 1, i : i + len(clip)] += clip[: n - i]
    return out


def render(clean: np.ndarray, seed: int) -> tuple[dict[str, tuple[np.ndarray, int]], float]:
    """({variant: (samples (channels, n), sample rate)}, the leak in dB drawn for the dual copy)."""
    from make_long_call import telephone_band  # bench/ is on the path (see build.py)

    rng = np.random.default_rng(seed)
    leak_db = float(rng.uniform(*LEAK_DB))
    gain, delay = 10 ** (leak_db / 20), int(LEAK_DELAY_S * SR)
    dual = clean.copy()
    dual[0, delay:] += gain * clean[1, :-delay]
    dual[1, delay:] += gain * clean[0, :-delay]
    noise = 10 ** (NOISE_DBFS / 20)
    dual += rng.normal(0, noise, dual.shape).astype(np.float32)
    mono = clean.sum(axis=0, keepdims=True) + rng.normal(0, noise, (1, clean.shape[1])).astype(np.float32)
    phone = telephone_band(mono[0])[None, :]
    return {"dual": (dual, SR), "mono": (mono, SR), "telephone": (phone, SR // 2)}, leak_db


def write_wav(path: Path, samples: np.ndarray, rate: int, *, mulaw: bool = False) -> None:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.wav")
    sf.write(str(tmp), np.clip(samples, -1, 1).T, rate, subtype="ULAW" if mulaw else "PCM_16", format="WAV")
    tmp.replace(path)


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
