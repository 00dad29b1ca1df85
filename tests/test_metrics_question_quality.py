"""Open and closed rep questions, and the customer talk each one draws out."""

import pytest

from handbuilt import call
from listenlens.pipeline.metrics import question_quality, question_type


@pytest.mark.parametrize(
    "text, kind",
    [
        ("What does your process look like?", "open"),
        ("how many agents are on the floor", "open"),
        ("Walk me through the last audit.", "open"),
        ("Could you tell me more about that?", "open"),
        ("So, why now?", "open"),
        ("Do you use a CRM?", "closed"),
        ("Would Tuesday or Wednesday work better?", "closed"),
        ("What do you prefer, monthly or annual?", "closed"),
        ("That's the main issue, right?", "closed"),
        ("How about Thursday at two?", "closed"),
        ("So the renewal is in June?", "closed"),
    ],
)
def test_question_type(text, kind):
    assert question_type(text) == kind


def test_counts_shares_and_yields():
    tl = call(
        ("R", 0.0, "What does your team do today?"),  # open; 6 words, ends 3.0
        ("C", 4.0, "We track everything in spreadsheets and email."),  # 7 words: 3.5 s
        ("C", 8.0, "It takes hours."),  # same turn (pause 0.5 s): 1.5 s
        ("R", 11.0, "Do you use a CRM?"),  # closed, answered
        ("C", 14.0, "No we do not."),  # 4 words: 2.0 s
        ("R", 18.0, "Is it urgent?"),  # closed, self-answered
        ("R", 20.0, "Probably not yet."),
        ("C", 24.0, "Not really no."),  # answers nothing counted above
    )
    q = question_quality(tl)
    assert (q.open, q.closed) == (1, 2)
    assert q.open_share == pytest.approx(1 / 3)
    assert [r.type for r in q.questions] == ["open", "closed", "closed"]
    assert [r.yield_s for r in q.questions] == pytest.approx([5.0, 2.0, 0.0])
    assert q.median_yield_s == pytest.approx(2.0)


def test_a_question_at_the_end_of_the_call_has_no_yield():
    q = question_quality(call(("C", 0.0, "Hello there."), ("R", 2.0, "What do you need?"), duration=10.0))
    assert [r.yield_s for r in q.questions] == [None]
    assert q.median_yield_s is None


def test_no_questions():
    q = question_quality(call(("R", 0.0, "We sell software."), ("C", 3.0, "Okay.")))
    assert (q.open, q.closed, q.open_share, q.median_yield_s) == (0, 0, None, None)
