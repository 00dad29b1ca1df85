"""Build small calls with known timing, for tests that need exact truth.

Each line of a script is spoken by espeak-ng (Debian's ``espeak-ng``, installed by
``make deps``) in the speaker's voice and placed at an exact time. The returned truth
says where each line's speech really starts and ends (leading and trailing silence of
the synthesized clip trimmed), so a test can compare what the pipeline found with
what was built.

    script = [Line("rep", "Hi, this is Sam from Acme. How are you today?", at=0.5),
              Line("customer", "Good, thanks.", gap=1.0)]
    truth = make_call(script, tmp_path / "call.wav")              # mono mix
    truth = make_call(script, tmp_path / "call.wav", stereo=True)  # rep left, customer right
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from listenlens.pipeline.constants import SAMPLE_RATE as SR

# Voice pairs the speaker encoder can tell apart as it can two real people: en-us+m3 with
# en-gb+f4, say, sound more alike to it (linkage ratio 0.94) than the two real callers of
# the pyannote sample (0.87), which no real two-party call resembles.
VOICES = {"rep": "en-us+m7", "customer": "en+f5", "third": "en-gb-scotland+f2", "fourth": "en-029+m4"}
_CACHE = Path(tempfile.gettempdir()) / "listenlens-tts-cache"


@dataclass
class Line:
    speaker: str
    text: str
    at: float | None = None  # absolute start (s); or
    gap: float | None = None  # seconds after the previous line's end (negative: overlap)
    speed: int = 165  # words per minute for espeak-ng


@dataclass
class Spoken:
    speaker: str
    text: str
    start: float
    end: float


def speak(text: str, voice: str, speed: int = 165) -> np.ndarray:
    """Synthesize ``text`` at 16 kHz, silence trimmed at both ends."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed: run `make deps` (apt-get install espeak-ng)")
    _CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(f"{voice}|{speed}|{text}".encode()).hexdigest()[:16]
    raw = _CACHE / f"{key}.wav"
    if not raw.exists():
        tmp = raw.with_suffix(".part.wav")
        subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", str(tmp), text], check=True, capture_output=True)
        tmp.replace(raw)
    samples, rate = _read_wav(raw)
    samples = _resample(samples, rate, SR)
    return _trim(samples)


def make_call(
    script: list[Line],
    path: Path,
    *,
    stereo: bool = False,
    crosstalk_db: float | None = None,
    tail: float = 1.0,
    noise_db: float | None = -60.0,
    seed: int = 0,
) -> list[Spoken]:
    """Render ``script`` to a 16-bit WAV at ``path`` and return where each line lies.

    ``stereo``: the first speaker of the script on channel 0, the second on channel 1
    (more speakers cycle). ``crosstalk_db``: each channel also carries the other one
    attenuated by this many dB (echo/leak, as on real dual-channel recordings).
    """
    order: list[str] = []
    clips: list[tuple[Line, np.ndarray]] = []
    for line in script:
        if line.speaker not in order:
            order.append(line.speaker)
        voice = VOICES.get(line.speaker, line.speaker)
        clips.append((line, speak(line.text, voice, line.speed)))
    truth: list[Spoken] = []
    cursor = 0.0
    for line, clip in clips:
        if line.at is not None:
            start = line.at
        else:
            start = cursor + (line.gap if line.gap is not None else 0.5)
        start = max(0.0, start)
        end = start + len(clip) / SR
        truth.append(Spoken(line.speaker, line.text, round(start, 4), round(end, 4)))
        cursor = end
    total = int((max(s.end for s in truth) + tail) * SR)
    n_ch = 2 if stereo else 1
    mix = np.zeros((n_ch, total), dtype=np.float32)
    for (line, clip), spoken in zip(clips, truth):
        ch = order.index(line.speaker) % n_ch
        i = int(round(spoken.start * SR))
        mix[ch, i : i + len(clip)] += clip[: total - i]
    if stereo and crosstalk_db is not None:
        gain = 10 ** (crosstalk_db / 20)
        delay = int(0.012 * SR)
        leaked = np.zeros_like(mix)
        leaked[0, delay:] = mix[1, :-delay] * gain
        leaked[1, delay:] = mix[0, :-delay] * gain
        mix = mix + leaked
    if noise_db is not None:
        rng = np.random.default_rng(seed)
        mix += rng.normal(0, 10 ** (noise_db / 20), mix.shape).astype(np.float32)
    write_wav(path, mix)
    return truth


def write_wav(path: Path, samples: np.ndarray, rate: int = SR) -> None:
    """Write (channels, n) float samples as 16-bit PCM WAV."""
    import wave

    samples = np.atleast_2d(samples)
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").T.copy()
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    import wave

    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
        if w.getnchannels() > 1:
            data = data.reshape(-1, w.getnchannels()).mean(axis=1)
    return data, rate


def _resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return x.astype(np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(src, dst)
    return resample_poly(x, dst // g, src // g).astype(np.float32)


def _trim(x: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(x) > threshold)
    if loud.size == 0:
        return x[:0]
    return x[loud[0] : loud[-1] + 1]
