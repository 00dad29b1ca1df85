"""Trackers: named phrase lists found with their times and speakers."""

import pytest

from handbuilt import call
from listenlens.pipeline.metrics import TrackerError, find_tracker_hits
from listenlens.pipeline.timeline import Role


def test_hits_with_times_speakers_and_the_longest_phrase_first():
    tl = call(
        ("R", 0.0, "We often replace Gong, honestly."),
        ("C", 4.0, "What about the price increase? The price matters."),
    )
    hits = find_tracker_hits(tl, {"competitors": ["gong", "Chorus"], "pricing": ["price", "price increase"]})
    assert [(h.tracker, h.phrase, h.speaker, h.role, h.start, h.end, h.text) for h in hits] == [
        ("competitors", "gong", "R", Role.REP, 1.5, 2.0, "Gong,"),
        ("pricing", "price increase", "C", Role.CUSTOMER, 5.5, 6.5, "price increase?"),
        ("pricing", "price", "C", Role.CUSTOMER, 7.0, 7.5, "price"),
    ]


def test_a_phrase_does_not_match_across_sentences():
    tl = call(("C", 0.0, "It has a price. Increase it."))
    assert find_tracker_hits(tl, {"p": ["price increase"]}) == []


def test_no_trackers_no_hits():
    assert find_tracker_hits(call(("R", 0.0, "hello")), {}) == []


@pytest.mark.parametrize("bad", [{"x": "gong"}, {"x": ["", "ok"]}, ["gong"]])
def test_bad_tracker_definitions_say_what_to_fix(bad):
    with pytest.raises(TrackerError):
        find_tracker_hits(call(("R", 0.0, "hello")), bad)
