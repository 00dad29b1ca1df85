"""Self-promotion: rep sentences praising the seller's side, each a moment."""

import pytest

from handbuilt import call
from listenlens.pipeline.metrics import ContentConfig, find_self_promotion, is_self_promotion, semantic

RULES = ContentConfig(semantic=False)  # the word rules alone; the classifier is tested below


@pytest.mark.parametrize(
    "text",
    [
        "We're the leading platform for dental practices.",
        "our support team is award winning",
        "The engine is patented.",
        "Honestly our customers love it.",
        "We're faster than anyone at processing claims.",
        "It's the most powerful reporting tool out there.",
        "Nobody else offers real-time tracking like ours.",
    ],
)
def test_praise_of_the_sellers_side(text):
    assert is_self_promotion(text, content=RULES)


@pytest.mark.parametrize(
    "text",
    [
        "What's the best time to reach you?",  # a question
        "Your best reps already do this.",  # praise of the customer
        "Their product is the market leader.",  # praise of a competitor
        "It won't be the cheapest option.",  # negated
        "The leading cause of denials is missing paperwork.",  # another sense
        "Best case, we go live in March.",
        "We integrate with Salesforce.",  # a plain fact
    ],
)
def test_not_self_promotion(text):
    assert not is_self_promotion(text, content=RULES)


def test_moments_and_rate_per_ten_minutes_of_rep_talk():
    tl = call(
        ("R", 0.0, "We are the leading platform."),  # 5 words, 2.5 s
        ("C", 4.0, "Our vendor is the best in the business."),  # customer: not counted
        ("R", 10.0, "We integrate with your CRM."),  # 5 words, 2.5 s
        ("R", 14.0, "Our customers love it."),  # 4 words, 2.0 s
    )
    p = find_self_promotion(tl, content=RULES)
    assert p.count == 2
    assert [(m.start, m.end, m.text) for m in p.moments] == [
        (0.0, 2.5, "We are the leading platform."),
        (14.0, 16.0, "Our customers love it."),
    ]
    assert p.rate == pytest.approx(2 / 7.0 * 600)  # 7 s of rep talk


def test_no_rep_speech_gives_no_rate():
    p = find_self_promotion(call(("C", 0.0, "We are the best.")), content=RULES)
    assert (p.count, p.rate) == (0, None)


class RecordingEmbedder:
    """Deterministic vectors from the words; records what it was asked to encode."""

    def __init__(self):
        self.calls = []

    def encode(self, sentences, **kwargs):
        import numpy as np

        self.calls.append(list(sentences))
        out = np.zeros((len(sentences), 64))
        for i, text in enumerate(sentences):
            for word in text.lower().split():
                out[i, hash(word) % 64] += 1.0
        return out + 1e-3


def test_only_sentences_the_rules_leave_open_reach_the_classifier():
    fake = RecordingEmbedder()
    texts = [
        "We're the leading platform.",  # the rules say yes
        "Is it the best option?",  # a question: ruled out
        "Your team is the best.",  # praise of the customer: ruled out
        "Our support is the stuff of legends.",  # no rule either way: asked
    ]
    semantic.classify("self_promotion", ["warm up"], c=4.0, embedder=fake)  # trains on the bundled examples
    fake.calls.clear()
    flags = [is_self_promotion(t, embedder=fake) for t in texts]
    assert flags[:3] == [True, False, False]
    assert fake.calls == [["Our support is the stuff of legends."]]


@pytest.mark.slow
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Our platform basically runs itself.", True),
        ("Our tool makes every other option look slow.", True),
        ("We send a report every Friday.", False),
    ],
)
def test_the_classifier_catches_praise_the_rules_do_not_list(text, expected):
    assert is_self_promotion(text, content=RULES) is False
    assert is_self_promotion(text) is expected
