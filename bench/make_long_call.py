"""Build long calls (30 or 60 minutes) by concatenating the real recordings in ../shared/data.

The pieces (the pyannote phone-call sample and the AMI excerpts) are laid end to end,
cycling in a fixed order, with a short silence between them, and the RTTM truth of
every piece is shifted to its new place, so the long call can be evaluated as well as
timed:

    python bench/make_long_call.py --minutes 30            # -> /tmp/listenlens-bench/long30.wav + .rttm
    listenlens eval /tmp/listenlens-bench/long30            # (the folder holds one call)

The output goes to a temporary folder; recordings are never committed. A piece of the
same recording appears several times in a long call: that is fine for speed and memory
(what these calls are for), and the truth stays exact.

Also builds *dual-channel* calls (``--dual-channel``), one party per channel as a
call-recording platform stores an agent and a customer: real voices (each speaker's solo
speech from the two-speaker recordings) and synthetic calls with interruptions; see
``build_dual_channel``. The same calls are also built at telephone quality (8 kHz,
300-3400 Hz, G.711 mu-law per channel; ``build_dual_channel_telephone``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

from listenlens.pipeline.constants import SAMPLE_RATE as SR

DATA = Path(os.environ.get("LISTENLENS_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
OUT = Path(tempfile.gettempdir()) / "listenlens-bench"
GAP_S = 0.7  # silence between pieces: a pause, not a new call


def pieces(data: Path = DATA) -> list[tuple[Path, str, list[tuple[float, float, str]]]]:
    """(audio, file id, turns) for every recording with truth, phone sample first."""
    from listenlens.evaluation.cases import discover

    out = []
    for folder in (data / "pyannote-sample", data / "ami-debug"):
        for case in discover(folder):
            out.append((case.audio, case.file_id, [(t.start, t.end, t.speaker) for t in case.reference]))
    return out


def read_mono(path: Path) -> np.ndarray:
    from listenlens.pipeline.audio import load_audio

    return load_audio(path).mono().astype(np.float32)


def build_long_call(minutes: float, out_dir: Path = OUT, data: Path = DATA) -> Path:
    """Write ``long{minutes}/long{minutes}.wav`` and ``.rttm``; return the wav path."""
    name = f"long{minutes:g}"
    folder = out_dir / name
    wav, rttm = folder / f"{name}.wav", folder / f"{name}.rttm"
    if wav.exists() and rttm.exists():
        return wav
    target = int(minutes * 60 * SR)
    gap = np.zeros(int(GAP_S * SR), dtype=np.float32)
    src = pieces(data)
    audio_cache = {p: read_mono(p) for p, _, _ in src}
    folder.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    written = 0
    # Written piece by piece, so building an hour-long call never holds it twice.
    with _atomic_wav(wav) as w:
        i = 0
        while written < target:
            path, file_id, turns = src[i % len(src)]
            x = audio_cache[path][: target - written]
            offset = written / SR
            for s, e, spk in turns:
                if s < len(x) / SR:
                    e = min(e, len(x) / SR)
                    lines.append(f"SPEAKER {name} 1 {offset + s:.3f} {e - s:.3f} <NA> <NA> {spk} <NA> <NA>")
            w.writeframes(_pcm16(x))
            written += len(x)
            if written < target:
                g = gap[: target - written]
                w.writeframes(_pcm16(g))
                written += len(g)
            i += 1
    _atomic_text(rttm, "\n".join(lines) + "\n")
    return wav


LEAK_DB = -30.0  # each channel hears the other party this far down (handset crosstalk)
LEAK_DELAY_S = 0.012
NOISE_DBFS = -65.0  # line noise, so silence is not digital zero


def build_dual_channel(out_dir: Path = OUT, data: Path = DATA) -> Path:
    """Dual-channel calls with exact truth; returns the folder (``<id>.wav`` + ``<id>.rttm``).

    * From every two-speaker real recording: each speaker's speech where they speak
      *alone* goes onto their own channel. A mono recording cannot separate two voices
      talking at once, so the overlapped stretches are cut out of the call's time line
      (both channels and the truth close up over them). Leaving them as silence instead
      put a hole in the middle of the speaker who talked on, where the truth said they
      stopped: a fake pause no real recording has, and a fake "reply" filling it.
      These test talk time on real voices.
    * Synthetic calls (espeak-ng, ``tests/callsynth.py``) with interruptions,
      backchannels and a quick reply, each voice on its own channel: these test that
      every interruption is found, which needs real overlap.

    Every channel then gets the other one's leak (``LEAK_DB``, ``LEAK_DELAY_S``) and a
    little noise, as real dual-channel recordings have.
    """
    folder = out_dir / "dual-channel"
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for path, file_id, turns in pieces(data):
        speakers = sorted({s for _, _, s in turns}, key=lambda s: min(t[0] for t in turns if t[2] == s))
        if len(speakers) != 2:
            continue
        x = read_mono(path)
        solo = _solo_turns(turns, len(x) / SR)
        stereo = np.zeros((2, len(x)), dtype=np.float32)
        for s, e, spk in solo:
            a, b = int(round(s * SR)), int(round(e * SR))
            stereo[speakers.index(spk), a:b] = x[a:b]
        stereo, solo = _cut_overlaps(stereo, solo, turns)
        _write_call(folder, f"{file_id}-solo", _leak_and_noise(stereo), solo)
    for name, script in _synthetic_scripts().items():
        _write_synthetic(folder, name, script)
    done.write_text("")
    return folder


def _solo_turns(turns: list[tuple[float, float, str]], duration: float) -> list[tuple[float, float, str]]:
    """Each speaker's turns minus every stretch where someone else speaks too."""
    from pyannote.core import Segment, Timeline

    out = []
    for spk in sorted({t[2] for t in turns}):
        mine = Timeline([Segment(s, e) for s, e, k in turns if k == spk]).support()
        others = Timeline([Segment(s, e) for s, e, k in turns if k != spk]).support()
        for seg in mine.extrude(others):
            if seg.duration >= 0.05:
                out.append((seg.start, min(seg.end, duration), spk))
    return sorted(out)


def _cut_overlaps(stereo: np.ndarray, solo, turns) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """``stereo`` and its ``solo`` truth with every stretch where two people speak
    (by ``turns``) taken out of the time line; a speaker's turns that meet across a cut
    become one."""
    from pyannote.core import Segment, Timeline

    speaking = [Timeline([Segment(s, e) for s, e, k in turns if k == spk]).support() for spk in sorted({t[2] for t in turns})]
    cuts = []
    for i, mine in enumerate(speaking):
        for other in speaking[i + 1 :]:
            cuts += [(int(round(seg.start * SR)), int(round(seg.end * SR))) for seg in mine.crop(other, mode="intersection")]
    keep = np.ones(stereo.shape[1], dtype=bool)
    for a, b in cuts:
        keep[a:b] = False
    removed_before = np.concatenate([[0], np.cumsum(~keep)])  # samples cut before each sample index

    def moved(t: float) -> float:
        i = min(int(round(t * SR)), stereo.shape[1])
        return (i - removed_before[i]) / SR

    out: list[tuple[float, float, str]] = []
    for s, e, spk in sorted(solo):
        a, b = moved(s), moved(e)
        # Across a cut, the turn before is the one that ran into the overlap: the same
        # speaker's if they talked on through it.
        if out and out[-1][2] == spk and abs(out[-1][1] - a) < 1.0 / SR + 1e-9:
            out[-1] = (out[-1][0], b, spk)
        elif b > a:
            out.append((a, b, spk))
    return stereo[:, keep], out


def _leak_and_noise(stereo: np.ndarray, seed: int = 0) -> np.ndarray:
    gain, delay = 10 ** (LEAK_DB / 20), int(LEAK_DELAY_S * SR)
    out = stereo.copy()
    out[0, delay:] += gain * stereo[1, :-delay]
    out[1, delay:] += gain * stereo[0, :-delay]
    rng = np.random.default_rng(seed)
    out += rng.normal(0, 10 ** (NOISE_DBFS / 20), out.shape).astype(np.float32)
    return out


def _write_call(folder: Path, file_id: str, stereo: np.ndarray, truth: list[tuple[float, float, str]]) -> None:
    with _atomic_wav(folder / f"{file_id}.wav", channels=2) as w:
        w.writeframes(_pcm16(stereo))
    _write_rttm(folder, file_id, truth)


def _write_rttm(folder: Path, file_id: str, truth: list[tuple[float, float, str]]) -> None:
    lines = [f"SPEAKER {file_id} 1 {s:.3f} {e - s:.3f} <NA> <NA> {spk} <NA> <NA>" for s, e, spk in truth]
    _atomic_text(folder / f"{file_id}.rttm", "\n".join(lines) + "\n")


def telephone_band(x: np.ndarray) -> np.ndarray:
    """A 16 kHz signal as a telephone line carries it: 8 kHz, 300-3400 Hz, G.711 mu-law
    (the pipeline's own telephone channel, which voiceprints use for their phone band)."""
    from listenlens.pipeline.band import telephone_line

    return telephone_line(x)


def build_dual_channel_telephone(out_dir: Path = OUT, data: Path = DATA) -> Path:
    """The dual-channel calls as telephony platforms store them: every channel through
    ``telephone_band``, written at 8 kHz (the pipeline resamples). Same truth."""
    source = build_dual_channel(out_dir, data)
    folder = out_dir / "dual-channel-telephone"
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for wav in sorted(source.glob("*.wav")):
        stereo = np.stack([telephone_band(ch) for ch in _read_pcm16(wav)])
        with _atomic_wav(folder / wav.name, channels=2, rate=SR // 2) as w:
            w.writeframes(_pcm16(stereo))
        _atomic_text(folder / f"{wav.stem}.rttm", wav.with_suffix(".rttm").read_text(encoding="utf-8"))
    done.write_text("")
    return folder


def _synthetic_scripts():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from callsynth import Line

    return {
        "synth-interrupt-a": [
            Line("rep", "Hi, this is Sam from Acme. Thanks for taking my call today.", at=0.5),
            Line("customer", "Sure, happy to talk. We have about ten minutes.", gap=0.6),
            Line("rep", "Great. I wanted to walk you through the new reporting features we launched last month, "
                        "starting with the dashboard and then the exports.", gap=0.5),
            Line("customer", "Sorry, before you go on, can I ask about pricing for the larger team?", gap=-2.0),
            Line("rep", "Of course. It depends on how many seats you need.", gap=0.4),
            Line("customer", "Mm-hmm.", gap=0.2),
            Line("rep", "For twenty seats we would be looking at the business plan.", gap=0.3),
            Line("customer", "And does that include the onboarding sessions for the whole team?", gap=0.7),
            Line("rep", "Yes, it includes three onboarding sessions and a dedicated success manager.", gap=1.2),
            Line("customer", "Two sessions would be fine, but I need the pricing in writing by Friday.", gap=-1.4),
        ],
        "synth-interrupt-b": [
            Line("customer", "Hello, this is Dana speaking.", at=0.4),
            Line("rep", "Hi Dana, this is Alex calling from Northwind about your renewal.", gap=0.5),
            Line("customer", "Right, I got your email. To be honest we have been unhappy with the support "
                             "response times over the last quarter.", gap=0.6),
            Line("rep", "I understand, what happened exactly?", gap=-1.8),
            Line("customer", "Tickets sat for three or four days before anyone answered them, "
                             "and our team had to find workarounds on their own.", gap=0.5),
            Line("rep", "Yeah.", gap=-2.5),
            Line("rep", "That is not the level of service we want to give you.", gap=0.8),
            Line("customer", "Exactly, and that is why we are looking at other vendors right now.", gap=-1.2),
            Line("rep", "What would you need to see from us to stay?", gap=1.0),
            Line("customer", "A named support contact and a response within one business day.", gap=2.5),
        ],
    }


def _write_synthetic(folder: Path, name: str, script) -> None:
    import tempfile as _tf

    from callsynth import make_call  # (path set by _synthetic_scripts)

    with _tf.TemporaryDirectory() as tmp:
        tmp_wav = Path(tmp) / "call.wav"
        spoken = make_call(script, tmp_wav, stereo=True, crosstalk_db=LEAK_DB, noise_db=NOISE_DBFS)
        stereo = _read_pcm16(tmp_wav)
    truth = [(sp.start, sp.end, sp.speaker) for sp in spoken]
    _write_call(folder, name, stereo, truth)


# espeak-ng voice pairs other than the built calls' (tests/callsynth.py VOICES). Some are
# heard as one person by segmentation-3.0 (a single local speaker in every window), and
# the last pair sounds alike to every model here.
VOICE_PAIRS = [
    ("en-gb-x-rp+m3", "en-us+f2"), ("en-us+m3", "en-gb+f4"), ("en-us-nyc+m1", "en-gb+f3"),
    ("en-029+m2", "en-gb-scotland+m5"), ("en-us+f4", "en-gb-x-gbclan+f1"), ("en-us+m7", "en-us+f3"),
    ("en", "en+f2"), ("en-us", "en-gb"),
]


def voices_script(overlap: bool):
    """A one-minute renewal call: a question answered after 4.6 s, a paraphrase, a
    stacked question and, with ``overlap``, the customer cutting in for 1.5 s."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from callsynth import Line

    return [
        Line("rep", "Good morning, this is Alex calling from Northwind about your renewal.", at=0.6),
        Line("customer", "Oh right, hello. Yes, I was expecting your call.", gap=0.5),
        Line("rep", "Great. So how has the platform been working for your team this quarter?", gap=0.4),
        Line("customer", "Honestly it has been mixed. The reporting is slow and my analysts spend hours "
             "exporting data by hand every week.", gap=4.6),
        Line("rep", "So what you're saying is the exports are eating your analysts' time.", gap=0.5),
        Line("customer", "Exactly, that is the main problem.", gap=0.3),
        Line("rep", "Okay. We have a new scheduled export feature that could help with that, and it is "
             "included in the premium tier at no extra cost for the first year.", gap=0.6),
        Line("customer", "Wait, does that include the API access as well?", gap=-1.5 if overlap else 0.5),
        Line("rep", "Yes it does.", gap=0.4),
        Line("customer", "Good. What would the price be for twenty seats?", gap=0.5),
        Line("rep", "For twenty seats it would be about four hundred a month. Would that fit your budget? "
             "Or should we look at a smaller plan?", gap=0.5),
        Line("customer", "Let me think about it and talk to my manager.", gap=2.0),
    ]


def build_voice_calls(out_dir: Path = OUT) -> dict[str, Path]:
    """The same mono call in each of ``VOICE_PAIRS``: ``voices-overlap/`` has the
    customer cut in for 1.5 s, ``voices-apart/`` the same lines with no overlap.
    Returns {set name: folder}; each holds ``<id>.wav`` + ``<id>.rttm`` (exact truth)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from callsynth import make_call

    folders = {f"voices-{kind}": out_dir / f"voices-{kind}" for kind in ("overlap", "apart")}
    for name, folder in folders.items():
        done = folder / ".complete"
        if done.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for i, (rep, customer) in enumerate(VOICE_PAIRS):
            script = voices_script(overlap=name.endswith("overlap"))
            for line in script:
                line.speaker = rep if line.speaker == "rep" else customer
            file_id = f"{rep}_{customer}".replace("+", "")
            spoken = make_call(script, folder / f"{file_id}.wav", noise_db=-55.0, seed=i)
            _write_rttm(folder, file_id, [(sp.start, sp.end, sp.speaker) for sp in spoken])
        done.write_text("")
    return folders


def _read_pcm16(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        n_ch = w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    return data.reshape(-1, n_ch).T


def _pcm16(x: np.ndarray) -> bytes:
    x = np.atleast_2d(x)
    return (np.clip(x, -1, 1) * 32767).astype("<i2").T.copy().tobytes()


class _atomic_wav:
    def __init__(self, path: Path, channels: int = 1, rate: int = SR):
        self.path, self.channels, self.rate = path, channels, rate

    def __enter__(self):
        self.tmp = self.path.with_suffix(".part.wav")
        self.w = wave.open(str(self.tmp), "wb")
        self.w.setnchannels(self.channels)
        self.w.setsampwidth(2)
        self.w.setframerate(self.rate)
        return self.w

    def __exit__(self, exc_type, exc, tb):
        self.w.close()
        if exc_type is None:
            self.tmp.replace(self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, action="append", help="length of a long call; repeatable (default 30 and 60)")
    ap.add_argument("--dual-channel", action="store_true", help="also build the dual-channel calls (16 kHz and telephone band)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    args = ap.parse_args(argv)
    for minutes in args.minutes or [30, 60]:
        print(build_long_call(minutes, args.out))
    if args.dual_channel:
        print(build_dual_channel(args.out))
        print(build_dual_channel_telephone(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
