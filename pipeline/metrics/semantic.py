"""Sentence classifiers for wording the rules do not know.

Rules (word patterns) decide first; they are exact but see only the phrasings they
list. Where they find nothing, a logistic regression on sentence embeddings (the
bundled all-MiniLM-L6-v2, shared with paraphrase detection) trained on the labelled
examples in ``sentence_examples`` gives a second opinion; it is taken only when its
probability reaches the setting's threshold. On wording written after the rules were
tuned, this fallback found most of what the rules missed (``bench/results.md``).

Training takes a second or two and happens once per process and embedder.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from listenlens.pipeline.metrics import sentence_examples
from listenlens.pipeline.metrics.paraphrase import Embedder, default_embedder

_TRAINED: dict[tuple[str, int, float], tuple[object, object]] = {}
EXAMPLES = {"objections": sentence_examples.OBJECTIONS, "self_promotion": sentence_examples.SELF_PROMOTION}


def _embed(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    vectors = np.asarray(embedder.encode(list(texts)), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _model(task: str, embedder: Embedder, c: float):
    key = (task, id(embedder), c)
    if key not in _TRAINED:
        from sklearn.linear_model import LogisticRegression

        texts, labels = zip(*EXAMPLES[task])
        clf = LogisticRegression(C=c, max_iter=2000).fit(_embed(embedder, texts), list(labels))
        _TRAINED[key] = (clf, embedder)  # keep the embedder alive so its id stays its own
    return _TRAINED[key][0]


def classify(
    task: str, texts: Sequence[str], *, c: float, embedder: Embedder | None = None
) -> list[tuple[str, float]]:
    """(label, probability) for each text, from the examples of ``task``."""
    if not texts:
        return []
    embedder = embedder or default_embedder()
    clf = _model(task, embedder, c)
    probs = clf.predict_proba(_embed(embedder, texts))
    return [(str(clf.classes_[i]), float(p[i])) for p, i in zip(probs, probs.argmax(axis=1))]
