"""Sentence classifiers for wording the rules do not know.

Rules (word patterns) decide first; they are exact but see only the phrasings they
list. Where they find nothing, a logistic regression on sentence embeddings (the
bundled all-MiniLM-L6-v2, shared with paraphrase detection) trained on the labelled
examples in ``sentence_examples`` gives a second opinion; it is taken only when its
probability reaches the setting's threshold. On wording written after the rules were
tuned, this fallback found most of what the rules missed (``bench/results.md``).

Training means embedding every example, which took 30-40 s on a busy 2-core machine,
so the bundled embedder's classifiers ship trained in
``models/weights/content_classifiers.npz`` (written by
``scripts/build_content_classifiers.py``). Each stored classifier carries a
fingerprint of its examples, its ``C`` and the embedder: when any of them differ (an
edited example list, another ``semantic_c``, another embedder) the classifier is
trained here instead, once per process and embedder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from listenlens.pipeline.metrics import sentence_examples
from listenlens.pipeline.metrics.paraphrase import Embedder, default_embedder, default_embedder_loaded

_TRAINED: dict[tuple[str, int, float], tuple[object, object]] = {}
EXAMPLES = {"objections": sentence_examples.OBJECTIONS, "self_promotion": sentence_examples.SELF_PROMOTION}
# The embedder the stored classifiers were trained on (the bundled package's model).
BUNDLED_EMBEDDER = "all-MiniLM-L6-v2"


def _embed(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    vectors = np.asarray(embedder.encode(list(texts)), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def train(task: str, embedder: Embedder, c: float):
    """A logistic regression fitted on ``task``'s labelled examples."""
    from sklearn.linear_model import LogisticRegression

    texts, labels = zip(*EXAMPLES[task])
    return LogisticRegression(C=c, max_iter=2000).fit(_embed(embedder, texts), list(labels))


def fingerprint(task: str, c: float) -> str:
    """What a stored classifier of ``task`` must have been trained from to be used."""
    data = json.dumps({"embedder": BUNDLED_EMBEDDER, "c": float(c), "examples": EXAMPLES[task]})
    return hashlib.sha256(data.encode()).hexdigest()


@lru_cache(maxsize=1)
def _stored() -> dict[str, dict[str, np.ndarray]]:
    """task -> the stored arrays of its classifier (empty when the file is missing)."""
    from listenlens.models.registry import content_classifiers_path

    path = content_classifiers_path()
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    tasks = {k.split("/", 1)[0] for k in arrays}
    return {t: {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(t + "/")} for t in tasks}


def stored_model(task: str, c: float):
    """The shipped classifier of ``task`` if it was trained on today's examples and ``c``, else None."""
    from sklearn.linear_model import LogisticRegression

    got = _stored().get(task)
    if got is None or str(got["fingerprint"]) != fingerprint(task, c):
        return None
    clf = LogisticRegression(C=c)
    clf.classes_ = got["classes"]
    clf.coef_ = got["coef"]
    clf.intercept_ = got["intercept"]
    clf.n_features_in_ = got["coef"].shape[1]
    return clf


def _is_bundled(embedder: Embedder) -> bool:
    # Asked without loading the bundled model: a caller with its own embedder never needs it.
    return default_embedder_loaded() and embedder is default_embedder()


def _model(task: str, embedder: Embedder, c: float):
    key = (task, id(embedder), c)
    if key not in _TRAINED:
        clf = stored_model(task, c) if _is_bundled(embedder) else None
        _TRAINED[key] = (clf or train(task, embedder, c), embedder)  # keep the embedder alive so its id stays its own
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
