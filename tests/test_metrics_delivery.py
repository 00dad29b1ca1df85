"""Pace, filler words, dead air and the customer's questions."""

import pytest

from handbuilt import call
from listenlens.pipeline.metrics import ContentConfig, customer_questions, dead_air, filler_words, pace
from listenlens.pipeline.timeline import build_timeline


def test_pace_is_words_per_minute_of_own_talk():
    tl = call(("R", 0.0, "one two three four five six"), ("C", 5.0, "a b c"), step=0.5)
    p = pace(tl)
    assert (p.rep_words, p.customer_words) == (6, 3)
    assert p.rep_wpm == pytest.approx(6 / 3.0 * 60)  # 6 words in 3 s of rep talk
    assert p.customer_wpm == pytest.approx(3 / 1.5 * 60)


def test_pace_of_a_silent_side_is_none():
    p = pace(call(("R", 0.0, "hello there")))
    assert (p.customer_wpm, p.customer_words) == (None, 0)


def test_fillers_are_counted_only_where_they_carry_no_meaning():
    tl = call(
        ("R", 0.0, "Um, so we, like, compared it, you know."),  # um, like, you know
        ("R", 10.0, "I mean, it is sort of basically cheap."),  # I mean, sort of, basically
        ("R", 20.0, "I like it. Do you know what kind of tool they use?"),  # none
        ("C", 30.0, "Uh, um, like, yeah."),  # the customer's: not counted
    )
    f = filler_words(tl)
    assert f.count == 6
    assert f.by_word == {"basically": 1, "i mean": 1, "like": 1, "sort of": 1, "um": 1, "you know": 1}
    assert [(m.text, m.start) for m in f.moments][:3] == [("um", 0.0), ("like", 1.5), ("you know", 3.0)]
    assert f.moments[2].end == 4.0
    rep_talk = 8 * 0.5 + 8 * 0.5 + 12 * 0.5
    assert f.per_minute == pytest.approx(6 / rep_talk * 60)


def test_custom_filler_list():
    tl = call(("R", 0.0, "Erm well okay then"))
    assert filler_words(tl).count == 1
    assert filler_words(tl, content=ContentConfig(filler_words=["okay"])).count == 1
    assert filler_words(tl, content=ContentConfig(filler_words=["okay"])).moments[0].text == "okay"


def test_dead_air_skips_the_silence_after_a_rep_question():
    tl = call(
        ("R", 0.0, "What do you think?"),  # ends 2.0; 6 s of thinking time: not dead air
        ("C", 8.0, "Hmm. Good I guess."),  # ends 10.0
        ("R", 16.0, "Okay then."),  # 6 s after a customer statement: dead air
        ("C", 21.0, "Right."),  # 4 s: too short
    )
    assert [(d.start, d.end, d.duration) for d in dead_air(tl)] == [(10.0, 16.0, 6.0)]


def test_dead_air_threshold_is_inclusive_and_configurable():
    tl = call(("R", 0.0, "Okay."), ("C", 5.5, "Sure."))
    assert [(d.start, d.end) for d in dead_air(tl)] == [(0.5, 5.5)]  # exactly 5.0 s counts
    assert dead_air(tl, content=ContentConfig(dead_air_s=6.0)) == []


def test_dead_air_from_speech_without_words():
    tl = build_timeline([(0.0, 2.0, "R"), (9.0, 10.0, "C")], roles={"R": "rep", "C": "customer"})
    assert [(d.start, d.end) for d in dead_air(tl)] == [(2.0, 9.0)]


def test_customer_questions():
    tl = call(
        ("C", 0.0, "How long does setup take?"),
        ("R", 4.0, "What do you need?"),  # the rep's: not counted
        ("C", 8.0, "We need it soon. do you support sso"),
    )
    got = customer_questions(tl)
    assert [(m.start, m.text) for m in got] == [(0.0, "How long does setup take?"), (10.0, "do you support sso")]
