"""Concrete next steps at the end of the call, and the rep's dated promises."""

import pytest

from handbuilt import call
from listenlens.pipeline.metrics import ContentConfig, concrete_time, find_follow_ups, find_next_step, is_follow_up


@pytest.mark.parametrize(
    "text, when",
    [
        ("Let's meet Tuesday at ten.", "tuesday"),
        ("I'll send it by end of day.", "end of day"),
        ("How about the 14th?", "the 14th"),
        ("we kick off on the second of june", "the second of june"),
        ("Can we do 3 pm?", "3 pm"),
        ("Let's talk next week.", None),
        ("I'll follow up soon.", None),
        ("We have at least ten users.", None),
    ],
)
def test_concrete_time(text, when):
    assert concrete_time(text) == when


@pytest.mark.parametrize(
    "text, promise",
    [
        ("I'll find out and get back to you by Thursday.", True),
        ("i will have the quote in your inbox tomorrow morning", True),
        ("I'll send you some information.", False),  # no time
        ("Can I call you on Friday?", False),  # a question, not a promise
        ("You'll get it on Monday from finance.", False),  # not the rep's promise
    ],
)
def test_is_follow_up(text, promise):
    assert is_follow_up(text) is promise


def test_an_accepted_proposal_is_the_next_step():
    tl = call(
        ("R", 0.0, "Thanks for the time."),
        ("R", 100.0, "Could we do a demo on Tuesday at ten?"),
        ("C", 105.0, "Yes that works."),
        ("R", 108.0, "Great talk then."),
        duration=120.0,
    )
    step = find_next_step(tl)
    assert step.found
    assert (step.moment.start, step.moment.text) == (100.0, "Could we do a demo on Tuesday at ten?")
    assert (step.agreed_by.start, step.agreed_by.text) == (105.0, "Yes that works.")
    assert step.time == "tuesday"
    assert step.window_start == 0.0  # the last 3 minutes cover this short call


def test_an_acceptance_that_names_the_time_is_enough():
    tl = call(("C", 0.0, "Can you come by again?"), ("R", 3.0, "Sure, Thursday at 8 works for me."))
    step = find_next_step(tl)
    assert step.found and step.moment is step.agreed_by or step.moment == step.agreed_by
    assert step.moment.speaker == "R"


def test_a_put_off_or_vague_ending_is_missing():
    put_off = call(("R", 0.0, "Can we meet on Friday?"), ("C", 3.0, "Not sure, I need to check and get back to you."))
    vague = call(("R", 0.0, "Let's talk next week."), ("C", 3.0, "Sure."))
    for tl in (put_off, vague):
        step = find_next_step(tl)
        assert (step.found, step.moment, step.agreed_by, step.time) == (False, None, None, None)


def test_the_window_is_the_longer_of_the_last_share_and_the_last_minutes():
    lines = (("R", 10.0, "Let's meet on Monday at nine."), ("C", 14.0, "Sounds good."), ("R", 990.0, "Bye now."))
    # 1000 s call: the last 20% (200 s) is longer than 180 s, and starts at 800 s
    step = find_next_step(call(*lines, duration=1000.0))
    assert step.window_start == pytest.approx(800.0)
    assert not step.found
    wide = ContentConfig(next_step_window_share=1.0)
    assert find_next_step(call(*lines, duration=1000.0), content=wide).found


def test_follow_ups_are_listed_with_their_moments():
    tl = call(
        ("R", 0.0, "I'll send the proposal by Friday."),
        ("C", 4.0, "I'll review it on Monday."),  # the customer's promise is not the rep's
        ("R", 8.0, "Great. I'll check with legal and get back to you tomorrow."),
    )
    assert [(m.start, m.text) for m in find_follow_ups(tl)] == [
        (0.0, "I'll send the proposal by Friday."),
        (8.5, "I'll check with legal and get back to you tomorrow."),
    ]
