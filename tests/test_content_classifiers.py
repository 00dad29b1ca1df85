"""The shipped content classifiers are what training on today's examples gives."""

import numpy as np
import pytest

from listenlens.pipeline.metrics import ContentConfig, semantic
from listenlens.pipeline.metrics.paraphrase import default_embedder

C = ContentConfig().semantic_c


@pytest.mark.parametrize("task", sorted(semantic.EXAMPLES))
def test_a_classifier_is_shipped_for_todays_examples(task):
    # Fails after an edit of the examples or of semantic_c until the script is re-run.
    assert semantic.stored_model(task, C) is not None, "run scripts/build_content_classifiers.py"


def test_a_stale_fingerprint_is_not_used():
    assert semantic.stored_model("objections", C + 1.0) is None


class CountingEmbedder:
    def __init__(self):
        self.sentences = 0

    def encode(self, sentences, **kwargs):
        self.sentences += len(sentences)
        out = np.zeros((len(sentences), 32))
        for i, text in enumerate(sentences):
            for word in text.lower().split():
                out[i, sum(map(ord, word)) % 32] += 1.0
        return out + 1e-3


def test_another_embedder_trains_its_own():
    fake = CountingEmbedder()
    semantic.classify("self_promotion", ["We are the best."], c=C, embedder=fake)
    assert fake.sentences == len(semantic.EXAMPLES["self_promotion"]) + 1


@pytest.mark.slow
@pytest.mark.parametrize("task", sorted(semantic.EXAMPLES))
def test_the_shipped_classifier_matches_training(task):
    embedder = default_embedder()
    shipped, trained = semantic.stored_model(task, C), semantic.train(task, embedder, C)
    assert list(shipped.classes_) == list(trained.classes_)
    texts = [t for t, _ in semantic.EXAMPLES[task]][::7] + ["Our onboarding takes a week.", "Send it over and I'll see."]
    x = semantic._embed(embedder, texts)
    # Embeddings differ in the last digits between CPUs (AVX-512 or not), so do the weights.
    np.testing.assert_allclose(shipped.predict_proba(x), trained.predict_proba(x), atol=1e-3)


@pytest.mark.slow
def test_the_bundled_embedder_uses_the_shipped_classifier(monkeypatch):
    semantic._TRAINED.clear()

    def no_training(*args):
        raise AssertionError("trained although a classifier is shipped")

    monkeypatch.setattr(semantic, "train", no_training)
    ((label, p),) = semantic.classify("objections", ["That is way over what we can spend."], c=C)
    assert label == "price" and p > 0.5
