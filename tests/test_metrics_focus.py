"""Customer focus: rep sentences about the customer's world against the seller's."""

import pytest

from handbuilt import call
from listenlens.pipeline.metrics import ContentConfig, customer_focus, sentence_focus


@pytest.mark.parametrize(
    "text, focus",
    [
        ("How does your team schedule the crews today?", "customer"),
        ("your agents could see the whole history before they pick up", "customer"),
        ("Tell me about your renewal process.", "customer"),
        ("Our team will handle the whole migration for you.", "seller"),
        ("I've been with the company for six years.", "seller"),
        ("The platform supports single sign-on.", "seller"),
        ("Thanks for your time today.", "neutral"),
        ("Can you see my screen?", "neutral"),
        ("Okay, great.", "neutral"),
    ],
)
def test_sentence_focus(text, focus):
    assert sentence_focus(text) == focus


def test_seller_names_make_a_named_product_seller_focused():
    assert sentence_focus("Acme Health has served hospitals since 2009.") == "neutral"
    content = ContentConfig(seller_names=["Acme Health"])
    assert sentence_focus("Acme Health has served hospitals since 2009.", content=content) == "seller"


def test_customer_focus_counts_rep_sentences_only():
    tl = call(
        ("R", 0.0, "What does your team use today?"),  # customer
        ("C", 4.0, "We use our own spreadsheets."),  # customer's sentence: not counted
        ("R", 8.0, "We built the platform for teams like that."),  # seller
        ("R", 13.0, "Your planners would save an hour a day."),  # customer
        ("R", 18.0, "Okay, great."),  # neutral
    )
    f = customer_focus(tl)
    assert (f.customer, f.seller, f.neutral) == (2, 1, 1)
    assert f.share == pytest.approx(2 / 3)
    assert [s.focus for s in f.sentences] == ["customer", "seller", "customer", "neutral"]
    assert f.sentences[1].moment.start == 8.0 and f.sentences[1].moment.end == 12.0
    assert f.sentences[1].moment.text == "We built the platform for teams like that."


def test_no_judged_sentence_gives_no_share():
    f = customer_focus(call(("R", 0.0, "Hello, thanks for joining."), ("C", 3.0, "Hi.")))
    assert (f.customer, f.seller, f.neutral, f.share) == (0, 0, 1, None)
