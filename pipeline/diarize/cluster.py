"""Group speaker embeddings into speakers, finding how many there are.

Short-window voice embeddings are noisy: windows that straddle a change of speaker,
overlap, laughter or line noise land between voices, and a plain cut of a clustering
tree turns them into "speakers" of their own while merging two real voices. So the
clustering works in two levels:

1. Over-cluster: agglomerative clustering (scipy, average linkage, cosine distance)
   cut into more groups than there can be speakers, then k-means-style refinement
   (each window to its nearest centroid, centroids recomputed), which pulls stray
   windows to the voice they are closest to.
2. Merge down: groups holding less than ``min_share`` of the windows are folded into
   their nearest neighbour (noise, not a speaker); then the two most similar centroids
   (highest linkage ratio, see ``_linkage_ratio``) are merged, with refinement after
   each step, while that ratio is at least ``merge_similarity`` (count unknown) or
   until the given count is reached. Above ``expected_speakers`` the merge threshold
   is ``extra_similarity`` instead (lower, so merging goes on more readily): over a
   long call one voice splits into sub-groups whose ratio falls to ~0.86-0.88, below
   what separates two voices on a short one, so only clearly different voices are
   kept beyond the expected count. The result is clamped to
   ``[min_speakers, max_speakers]``.
3. Heard apart: where the embeddings come from a segmentation's local speakers
   (``windows``: which window each came from; ``locals_``: which local speaker of it),
   two groups that hold different local speakers of the same windows were heard as two
   people. Beyond the expected count such a pair is not merged unless the voices are
   as alike as one voice is (``merge_similarity``): a third party through a telephone
   line sounds as like the rep as one voice's sub-groups do, but only a real third
   party talks within the same 10 s as the others, as another local speaker.

The least typical ``outlier_share`` of the windows is left out of all of this and only
assigned to its nearest speaker at the end.

Memory stays bounded on long calls: at most ``max_points`` evenly spaced embeddings
build the tree; refinement and assignment are linear in the number of windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Clustering:
    labels: np.ndarray  # (n,) cluster index per embedding, 0..k-1
    centroids: np.ndarray  # (k, d) unit vectors


def cluster_speakers(
    embeddings: np.ndarray,
    *,
    merge_similarity: float,
    num_speakers: int | None = None,
    min_speakers: int = 1,
    max_speakers: int = 6,
    min_share: float = 0.05,
    max_points: int = 2000,
    positions: np.ndarray | None = None,
    min_gap: float = 0.0,
    outlier_share: float = 0.0,
    expected_speakers: int | None = None,
    extra_similarity: float | None = None,
    windows: np.ndarray | None = None,
    locals_: np.ndarray | None = None,
    apart_share: float = 0.3,
) -> Clustering:
    from scipy.cluster.hierarchy import fcluster, linkage

    x = _unit(embeddings)
    n = len(x)
    lo = max(1, min_speakers)
    hi = max(lo, max_speakers)
    if num_speakers is not None:
        lo = hi = int(num_speakers)
    if n < 2 or hi == 1:
        return Clustering(np.zeros(n, dtype=int), _unit(x.mean(axis=0, keepdims=True)))
    pick = np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(int))
    if outlier_share > 0 and len(pick) >= 10:
        pick = pick[_typical(x[pick], None if positions is None else positions[pick], min_gap, outlier_share)]
    fit = x[pick]  # typical windows only: the rest join a speaker at the end
    heard = None if windows is None or locals_ is None else (np.asarray(windows)[pick], np.asarray(locals_)[pick])
    pair_sim = _pair_similarity(fit, None if positions is None else positions[pick], min_gap)
    tree = linkage(fit, method="average", metric="cosine")
    start_k = min(len(pick), hi + 3)
    sub = fcluster(tree, t=start_k, criterion="maxclust") - 1
    centroids, labels = _refine(fit, _centroids(fit, sub, int(sub.max()) + 1))

    while len(centroids) > lo:
        share = np.bincount(labels, minlength=len(centroids)) / len(fit)
        smallest = int(np.argmin(share))
        if share[smallest] < min_share:
            centroids, labels = _refine(fit, np.delete(centroids, smallest, axis=0))
            continue
        sim = _linkage_ratio(pair_sim, labels, len(centroids))
        np.fill_diagonal(sim, -np.inf)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        # Beyond the expected count a group must be clearly another voice to stay apart:
        # one voice over a long call splits into sub-groups (prosody, level, content)
        # whose ratio sinks to ~0.86, below what separates two voices on a short call.
        beyond = expected_speakers is not None and extra_similarity is not None and len(centroids) > expected_speakers
        threshold = extra_similarity if beyond else merge_similarity
        # Only a pair alike enough to merge needs asking (the rest are less alike still).
        if beyond and heard is not None and len(centroids) <= hi and sim[i, j] >= threshold:
            # Two people in the same windows are two people, unless their voices are as
            # alike as one voice is (a reverberant room's echo is heard as a second local
            # speaker of the same voice).
            apart = (_heard_apart(*heard, labels, len(centroids)) >= apart_share) & (sim < merge_similarity)
            if apart[i, j]:
                sim[apart] = -np.inf
                i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if len(centroids) <= hi and sim[i, j] < threshold:
            break
        merged = _unit((centroids[i] * share[i] + centroids[j] * share[j])[None])
        rest = np.delete(centroids, [i, j], axis=0)
        centroids, labels = _refine(fit, np.vstack([rest, merged]))
    labels = _assign(x, centroids)
    used = np.bincount(labels, minlength=len(centroids)) > 0
    labels = (np.cumsum(used) - 1)[labels]
    return Clustering(labels.astype(int), centroids[used])


def _typical(x: np.ndarray, positions, min_gap: float, drop: float) -> np.ndarray:
    """Indices of the windows most like others elsewhere in the call.

    A window's typicality is its mean similarity to its 5 closest windows that do not
    overlap it in time (overlapping windows share audio, so they always agree). Windows
    that straddle speakers, overlap or noise are atypical; the ``drop`` share of least
    typical windows is left out of the clustering and assigned to a speaker afterwards.
    """
    sim = x @ x.T
    if positions is not None:
        near = np.abs(positions[:, None] - positions[None, :]) < min_gap
        sim[near] = -1.0
    else:
        np.fill_diagonal(sim, -1.0)
    top = min(5, len(x) - 1)
    typicality = np.sort(sim, axis=1)[:, -top:].mean(axis=1)
    return np.flatnonzero(typicality >= np.quantile(typicality, drop))


def _heard_apart(windows: np.ndarray, locals_: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, k): in what share of the windows holding the rarer of two groups the other
    group holds a different local speaker of the same window."""
    together = np.zeros((k, k))
    present = np.zeros(k)
    order = np.argsort(windows, kind="stable")
    for at in np.split(order, np.flatnonzero(np.diff(windows[order])) + 1):
        here, local = labels[at], locals_[at]
        groups = np.unique(here)
        present[groups] += 1
        if len(groups) < 2:
            continue
        for a in groups:
            for b in groups:
                if a != b and np.any(local[here == a][:, None] != local[here == b][None, :]):
                    together[a, b] += 1
    return together / np.maximum(np.minimum.outer(present, present), 1)


def _pair_similarity(x: np.ndarray, positions, min_gap: float) -> np.ndarray:
    """Window-pair cosine similarity, NaN where two windows share audio (or i == j)."""
    sim = (x @ x.T).astype(np.float32)
    if positions is not None:
        sim[np.abs(positions[:, None] - positions[None, :]) < min_gap] = np.nan
    np.fill_diagonal(sim, np.nan)
    return sim


def _linkage_ratio(pair_sim: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """How alike two groups are relative to how alike each is inside: ratio (k, k).

    Average linkage between groups a and b (mean similarity of their window pairs)
    divided by the geometric mean of each group's own average linkage. A recording's
    level, channel and room raise or lower all similarities together; the ratio cancels
    that, so one threshold holds across recordings. Near 1: one voice split in two.
    """
    onehot = np.eye(k, dtype=np.float32)[labels]
    valid = ~np.isnan(pair_sim)
    sums = onehot.T @ np.where(valid, pair_sim, 0.0) @ onehot
    counts = onehot.T @ valid.astype(np.float32) @ onehot
    mean = sums / np.maximum(counts, 1.0)
    inner = np.diag(mean).copy()
    # A group with no pair of its own (one stretch of speech) gives no evidence that it
    # is a different voice: treat it as alike.
    inner[np.diag(counts) == 0] = np.inf
    ratio = mean / np.sqrt(np.maximum(np.outer(inner, inner), 1e-6))
    ratio[np.isinf(np.outer(inner, inner))] = 1.0
    return ratio


def _refine(x: np.ndarray, centroids: np.ndarray, rounds: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-centroid refinement (spherical k-means); empty groups are dropped."""
    labels = _assign(x, centroids)
    for _ in range(rounds):
        used = np.bincount(labels, minlength=len(centroids)) > 0
        if not used.all():
            centroids = centroids[used]
            labels = _assign(x, centroids)
        new = _centroids(x, labels, len(centroids))
        new_labels = _assign(x, new)
        centroids = new
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return centroids, labels


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norm, 1e-8)


def _centroids(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    c = np.zeros((k, x.shape[1]), dtype=np.float32)
    np.add.at(c, labels, x)
    return _unit(c)


def _assign(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return np.argmax(x @ centroids.T, axis=1)
