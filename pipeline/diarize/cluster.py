"""Group speaker embeddings into speakers, finding how many there are.

Agglomerative clustering (scipy, average linkage on cosine distance) builds the merge
tree once; a cut of the tree is a candidate partition. Not every cluster of a cut is a
speaker: windows that straddle a change of speaker, overlap, laughter or line noise
land far from every voice and form small clusters of their own. So only *large*
clusters (at least ``min_share`` of the windows) count as speakers, and the windows of
small ones are given to the nearest large cluster afterwards, as pyannote does.

- Count unknown: cut where the closest clusters are ``threshold`` apart (a distance
  between two voices, so it answers 1 as readily as 4), then clamp the number of large
  clusters to ``[min_speakers, max_speakers]`` by moving the cut.
- Count given: the coarsest cut with exactly that many large clusters.

Memory stays bounded on long calls: at most ``max_points`` evenly spaced embeddings are
clustered; every embedding is then given to its nearest centroid.
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
    threshold: float,
    num_speakers: int | None = None,
    min_speakers: int = 1,
    max_speakers: int = 6,
    min_share: float = 0.05,
    max_points: int = 2000,
) -> Clustering:
    from scipy.cluster.hierarchy import fcluster, linkage

    x = _unit(embeddings)
    n = len(x)
    if n < 2:
        return Clustering(np.zeros(n, dtype=int), x[:1].copy())
    pick = np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(int))
    sub = x[pick]
    tree = linkage(sub, method="average", metric="cosine")
    min_size = max(2, int(np.ceil(min_share * len(pick))))
    # Cut levels, coarsest first: cutting just below merge i leaves n - i clusters.
    heights = tree[:, 2]

    def large_at(height: float) -> tuple[np.ndarray, int]:
        lab = fcluster(tree, t=height, criterion="distance")
        sizes = np.bincount(lab)
        return lab, int(np.sum(sizes >= min_size))

    if num_speakers is not None:
        want = int(num_speakers)
    else:
        lab, k = large_at(threshold)
        want = int(np.clip(max(k, 1), max(1, min_speakers), max(min_speakers, max_speakers)))
        if want == k:
            return _finish(x, pick, lab, min_size)
    if want <= 1:
        return _finish(x, pick, np.ones(len(pick), dtype=int), min_size)
    # Walk down from the root and take the first cut with ``want`` large clusters.
    for h in np.sort(np.unique(heights))[::-1]:
        lab, k = large_at(float(np.nextafter(h, 0)))
        if k >= want:
            if k == want:
                return _finish(x, pick, lab, min_size)
            break
    lab = fcluster(tree, t=min(want, len(pick)), criterion="maxclust")
    return _finish(x, pick, lab, 1)


def _finish(x: np.ndarray, pick: np.ndarray, sub_labels: np.ndarray, min_size: int) -> Clustering:
    """Centroids of the large clusters; every embedding to its nearest one, refined."""
    sizes = np.bincount(sub_labels)
    large = [c for c in np.unique(sub_labels) if sizes[c] >= min_size]
    if not large:
        large = [int(np.argmax(sizes))]
    sub = x[pick]
    centroids = _unit(np.stack([sub[sub_labels == c].mean(axis=0) for c in large]))
    labels = _assign(x, centroids)
    # Two passes of nearest-centroid refinement: average linkage leaves a window in the
    # group it joined early even when another centroid is now closer.
    for _ in range(2):
        centroids = _centroids(x, labels, len(centroids))
        labels = _assign(x, centroids)
    keep = np.bincount(labels, minlength=len(centroids)) > 0
    if not keep.all():
        remap = np.cumsum(keep) - 1
        labels, centroids = remap[labels], centroids[keep]
    return Clustering(labels.astype(int), centroids)


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
