"""Move speaker-change points to where the voices really switch, at 10 ms resolution.

Window embeddings see 1.6 s at a time, so a change found from them is only as precise
as the window step. Here each speaker gets a small model of their 10 ms frames (a
diagonal Gaussian over log-mel bands, fitted on frames well inside their own turns),
and each change point between two speakers is moved, within ``search_s`` either side,
to the split that best explains the frames before it by the first speaker and the
frames after it by the second (a single change-point search by log-likelihood).
"""

from __future__ import annotations

import numpy as np

from listenlens.pipeline.diarize.embedded_encoder import FRAME_S

_MIN_SURE_FRAMES = int(round(0.5 / FRAME_S))  # half a second of frames surely one speaker


def refine_labels(mel: np.ndarray, labels: np.ndarray, *, search_s: float = 0.4, margin_s: float = 0.5) -> np.ndarray:
    """Return ``labels`` (per speech frame) with each speaker change moved to its best frame."""
    from scipy.ndimage import binary_erosion

    feats = np.log(mel + 1e-8)
    search = int(round(search_s / FRAME_S))
    margin = int(round(margin_s / FRAME_S))
    speakers = np.unique(labels)
    loglik = np.zeros((len(labels), int(speakers.max()) + 1), dtype=np.float64)
    for spk in speakers:
        inside = binary_erosion(labels == spk, iterations=margin) if margin > 0 else labels == spk
        if inside.sum() < _MIN_SURE_FRAMES:  # no usable model
            inside = labels == spk
        mu = feats[inside].mean(axis=0)
        var = feats[inside].var(axis=0) + 1e-3
        loglik[:, spk] = -0.5 * (((feats - mu) ** 2) / var + np.log(var)).sum(axis=1)
    out = labels.copy()
    changes = np.flatnonzero(np.diff(labels)) + 1
    for c in changes:
        a, b = int(labels[c - 1]), int(labels[c])
        lo, hi = max(0, c - search), min(len(labels), c + search)
        # Stay between the neighbouring change points so turns keep their order.
        prev = changes[changes < c]
        nxt = changes[changes > c]
        lo = max(lo, int(prev[-1]) + 1 if len(prev) else 0)
        hi = min(hi, int(nxt[0]) - 1 if len(nxt) else len(labels))
        if hi - lo < 2:
            continue
        diff = loglik[lo:hi, a] - loglik[lo:hi, b]
        # Score of splitting before frame lo + k: frames lo..lo+k-1 to a, the rest to b.
        score = np.concatenate([[0.0], np.cumsum(diff)])
        best = lo + int(np.argmax(score))
        out[lo:best] = a
        out[best:hi] = b
    return out
