"""Train the content metrics' sentence classifiers (models/weights/content_classifiers.npz).

    .venv/bin/python scripts/build_content_classifiers.py

One logistic regression per task of ``pipeline/metrics/semantic.py`` (objection type,
self-promotion), on the bundled all-MiniLM-L6-v2 embeddings of the labelled examples in
``pipeline/metrics/sentence_examples.py``, with the default ``semantic_c``. Run it after
editing those examples or that setting: until then the pipeline notices the stale
fingerprint and trains in every process instead (tests/test_content_classifiers.py
fails too).
"""

from __future__ import annotations

import numpy as np

from listenlens.models.registry import content_classifiers_path
from listenlens.pipeline.metrics import ContentConfig, semantic
from listenlens.pipeline.metrics.paraphrase import default_embedder


def build() -> dict[str, np.ndarray]:
    c = ContentConfig().semantic_c
    embedder = default_embedder()
    arrays: dict[str, np.ndarray] = {}
    for task in semantic.EXAMPLES:
        clf = semantic.train(task, embedder, c)
        arrays |= {
            f"{task}/classes": np.asarray(clf.classes_, dtype=str),
            f"{task}/coef": clf.coef_,
            f"{task}/intercept": clf.intercept_,
            f"{task}/fingerprint": np.asarray(semantic.fingerprint(task, c)),
        }
    return arrays


def main() -> None:
    path = content_classifiers_path()
    np.savez_compressed(path, **build())
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
