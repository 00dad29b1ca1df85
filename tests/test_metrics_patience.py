"""Patience (customer -> rep gaps) and interactivity."""

import pytest

from listenlens.pipeline.metrics import (
    MetricsConfig,
    analyze_floor,
    customer_to_rep_switches,
    median_patience,
    switches_per_minute,
)
from listenlens.pipeline.timeline import build_timeline

ROLES = {"R": "rep", "C": "customer"}


def words(spk, t0, text, step=0.5):
    return [(t0 + i * step, t0 + (i + 1) * step, w, spk) for i, w in enumerate(text.split())]


def test_gaps_are_negative_on_overlap_and_the_median_is_reported():
    tl = build_timeline([(0, 5, "C"), (5.8, 9, "R"), (10, 14, "C"), (13.5, 16, "R"), (17, 20, "C"), (21.5, 23, "R")],
                        roles=ROLES)
    switches = customer_to_rep_switches(analyze_floor(tl).turns)
    assert [round(s.gap_s, 6) for s in switches] == [0.8, -0.5, 1.5]
    assert median_patience(switches) == pytest.approx(0.8)


def test_words_not_turn_edges_where_there_are_words():
    tl = build_timeline([(0, 6, "C"), (5.5, 9, "R")],
                        words("C", 3, "we need leads") + words("R", 6, "I hear you"), roles=ROLES)
    (s,) = customer_to_rep_switches(analyze_floor(tl).turns)
    assert (s.customer_end, s.rep_start, s.gap_s) == (4.5, 6.0, 1.5)


def test_backchannels_and_rep_to_customer_switches_are_not_counted():
    tl = build_timeline([(0, 10, "R"), (4, 4.4, "C"), (11, 15, "C")], roles=ROLES)
    assert customer_to_rep_switches(analyze_floor(tl).turns) == []
    assert median_patience([]) is None


def test_interactivity_is_switches_per_minute_of_speech_span():
    # speech from 10 s to 40 s: 3 switches in half a minute
    tl = build_timeline([(10, 15, "R"), (16, 25, "C"), (26, 30, "R"), (31, 40, "C")], roles=ROLES, duration=100)
    assert switches_per_minute(analyze_floor(tl)) == pytest.approx(6.0)



# Customer, a third party (the colleague), and a 60 ms piece "of the rep" between them
# with no word in it: the diarizer flickering between voices where they meet.
FLICKER = [(0, 5, "C"), (5.05, 5.11, "R"), (5.6, 8, "C2"), (9, 12, "R")]
FLICKER_WORDS = words("C", 0, "we need more leads every month") + words("C2", 5.6, "and better ones") + \
    words("R", 9, "I hear you both")
FLICKER_ROLES = {"R": "rep", "C": "customer", "C2": "customer"}


def test_a_wordless_flicker_of_the_diarizer_is_not_a_turn_nor_a_backchannel():
    floor = analyze_floor(build_timeline(FLICKER, FLICKER_WORDS, roles=FLICKER_ROLES))
    assert [t.speaker for t in floor.turns] == ["C", "C2", "R"]
    assert floor.backchannels == []
    unfiltered = analyze_floor(build_timeline(FLICKER, FLICKER_WORDS, roles=FLICKER_ROLES), MetricsConfig(flicker_max_s=0))
    assert [t.speaker for t in unfiltered.turns] == ["C", "R", "C2", "R"]


def test_a_short_wordless_sound_longer_than_a_flicker_still_counts():
    turns = [(0, 5, "C"), (5.05, 5.35, "R"), (5.6, 8, "C2"), (9, 12, "R")]
    floor = analyze_floor(build_timeline(turns, FLICKER_WORDS, roles=FLICKER_ROLES))
    assert [t.speaker for t in floor.turns] == ["C", "R", "C2", "R"]


def test_without_a_transcript_a_short_piece_is_kept():
    floor = analyze_floor(build_timeline(FLICKER, roles=FLICKER_ROLES))
    assert [t.speaker for t in floor.turns] == ["C", "R", "C2", "R"]
