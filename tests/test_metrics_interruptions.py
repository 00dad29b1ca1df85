"""Interruptions: who, whom, when, how long, and whether the interrupted speaker yielded."""

import pytest

from listenlens.pipeline.metrics import MetricsConfig, find_interruptions
from listenlens.pipeline.metrics.interruptions import count
from listenlens.pipeline.timeline import Role, build_timeline

ROLES = {"R": "rep", "C": "customer"}


def words(spk, t0, text, step=0.5):
    return [(t0 + i * step, t0 + (i + 1) * step, w, spk) for i, w in enumerate(text.split())]


def summary(found):
    return [(i.start, i.by, i.of, round(i.overlap_s, 6), i.yielded, i.kind) for i in found]


def test_rep_interrupts_customer_who_yields():
    tl = build_timeline([(0, 10, "C"), (6, 12, "R")], roles=ROLES)
    found = find_interruptions(tl)
    assert summary(found) == [(6, "R", "C", 4.0, True, "rep_on_customer")]
    assert found[0].by_role == Role.REP and found[0].of_role == Role.CUSTOMER
    assert count(found, Role.REP, Role.CUSTOMER) == 1 and count(found, Role.CUSTOMER, Role.REP) == 0


def test_customer_interrupts_rep_who_keeps_talking():
    tl = build_timeline([(0, 10, "R"), (3, 5, "C")], words("C", 3, "but we already have one"), roles=ROLES)
    found = find_interruptions(tl)
    assert summary(found) == [(3, "C", "R", 2.0, False, "customer_on_rep")]
    assert found[0].text == "but we already have one"


def test_grace_period_is_exclusive():
    assert find_interruptions(build_timeline([(0, 10, "C"), (9.5, 12, "R")], roles=ROLES)) == []
    found = find_interruptions(build_timeline([(0, 10, "C"), (9.25, 12, "R")], roles=ROLES))
    assert summary(found) == [(9.25, "R", "C", 0.75, True, "rep_on_customer")]
    assert find_interruptions(build_timeline([(0, 10, "C"), (9.25, 12, "R")], roles=ROLES),
                              MetricsConfig(interruption_grace_s=1.0)) == []


def test_backchannels_never_interrupt_even_when_long():
    tl = build_timeline([(0, 10, "R"), (4, 5.5, "C")], [(4, 5.5, "yeah right sure", "C")], roles=ROLES)
    assert find_interruptions(tl) == []


def test_starting_together_is_not_an_interruption():
    tl = build_timeline([(0, 5, "R"), (0, 3, "C")], roles=ROLES)
    assert find_interruptions(tl) == []


def test_speaker_who_stops_and_comes_back_did_not_yield():
    tl = build_timeline([(0, 8, "C"), (6, 12, "R"), (9, 10, "C")], words("C", 9, "but wait a second"), roles=ROLES)
    found = find_interruptions(tl)
    assert summary(found) == [
        (6, "R", "C", 2.0, False, "rep_on_customer"),
        (9, "C", "R", 1.0, False, "customer_on_rep"),
    ]


def test_three_speakers_the_floor_holder_is_the_one_interrupted():
    tl = build_timeline([(0, 10, "R"), (2, 12, "C1"), (4, 14, "C2")],
                        roles={"R": "rep", "C1": "customer", "C2": "customer"})
    found = find_interruptions(tl)
    assert summary(found) == [
        (2, "C1", "R", 8.0, True, "customer_on_rep"),
        (4, "C2", "R", 6.0, True, "customer_on_rep"),
    ]


def test_unknown_roles_are_reported_but_count_for_no_side():
    found = find_interruptions(build_timeline([(0, 10, "A"), (5, 12, "B")]))
    assert summary(found) == [(5, "B", "A", 5.0, True, "unknown_on_unknown")]
    assert count(found, Role.REP, Role.CUSTOMER) == 0


def test_overlap_counts_only_actual_speech_of_the_interrupted():
    # C pauses 0.2 s (inside one utterance, join gap 0.25 s) while R comes in.
    tl = build_timeline([(0, 5, "C"), (5.2, 6, "C"), (4.5, 9, "R")], roles=ROLES)
    found = find_interruptions(tl)
    assert [round(i.overlap_s, 6) for i in found] == [pytest.approx(1.3)]


@pytest.mark.parametrize("hum", ["MMMM.", "M -M -H -M -M.", "Mmm hmm,", "Hmmmm", "uh-huh uh-huh uh-huh uh-huh"])
def test_a_hum_spelled_any_way_is_no_interruption(hum):
    tl = build_timeline([(0, 10, "R"), (4, 5.5, "C")], [(4, 5.5, hum, "C")], roles=ROLES)
    assert find_interruptions(tl) == []


def test_unwritten_hum_under_the_holders_voice_is_a_backchannel_not_an_interruption():
    """The recogniser follows the louder voice: a 1.2 s hum under the rep's speech gets no
    word. With a transcript on the call, that wordless stretch is heard as a listener's
    response; a longer one, or one with no transcript anywhere, is still judged by time."""
    from listenlens.pipeline.metrics.turns import analyze_floor

    rep_words = words("R", 0, "so the new plan gives every team its own dashboard and weekly report", step=0.6)
    hum = build_timeline([(0, 8.4, "R"), (3.0, 4.2, "C")], rep_words, roles=ROLES)
    assert find_interruptions(hum) == []
    floor = analyze_floor(hum)
    assert [(b.utterance.start, b.holder) for b in floor.backchannels] == [(3.0, "R")]

    cut_in = build_timeline([(0, 8.4, "R"), (3.0, 4.6, "C")], rep_words, roles=ROLES)
    assert summary(find_interruptions(cut_in)) == [(3.0, "C", "R", 1.6, False, "customer_on_rep")]

    no_transcript = build_timeline([(0, 8.4, "R"), (3.0, 4.2, "C")], roles=ROLES)
    assert [i.kind for i in find_interruptions(no_transcript)] == ["customer_on_rep"]

    said_something = build_timeline([(0, 8.4, "R"), (3.0, 4.2, "C")], rep_words + words("C", 3.0, "wait what", step=0.6),
                                    roles=ROLES)
    assert [i.kind for i in find_interruptions(said_something)] == ["customer_on_rep"]


# The rep talks on under a customer who cuts in at 10.0 s; the diarizer loses the rep's
# voice for 0.6 s at the cut-in and finds it again under the customer's.
CUT_IN_HOLE = [(0, 10.0, "R"), (10.0, 13.0, "C"), (10.6, 11.2, "R")]
CUSTOMER_WORDS = words("C", 10.0, "wait so people can still pick their own hotel", step=0.3)


def test_a_hole_left_where_the_other_voice_cut_in_does_not_split_the_interrupted_utterance():
    found = find_interruptions(build_timeline(CUT_IN_HOLE, CUSTOMER_WORDS, roles=ROLES))
    # The overlap is what was heard of both voices: the hole does not count.
    assert summary(found) == [(10.0, "C", "R", 0.6, True, "customer_on_rep")]
    assert find_interruptions(build_timeline(CUT_IN_HOLE, CUSTOMER_WORDS, roles=ROLES), MetricsConfig(onset_gap_s=0)) == []


def test_a_listener_hum_after_the_other_voice_starts_is_not_taken_for_speech_lost_in_a_hole():
    hum = CUSTOMER_WORDS + [(10.6, 11.2, "mm-hmm", "R")]
    assert find_interruptions(build_timeline(CUT_IN_HOLE, hum, roles=ROLES)) == []


@pytest.mark.parametrize("turns", [
    # the customer starts 0.5 s after the rep stopped: a reply, not a cut-in
    [(0, 10.0, "R"), (10.5, 13.0, "C"), (10.9, 11.5, "R")],
    # the customer stops before the rep's resumed speech ends: nobody talked over the hole
    [(0, 10.0, "R"), (10.0, 10.9, "C"), (10.6, 11.2, "R")],
    # the hole is longer than onset_gap_s
    [(0, 10.0, "R"), (10.0, 13.0, "C"), (11.1, 11.7, "R")],
    # what came before the hole held no floor: a 0.3 s piece, as a diarizer leaves at a turn change
    [(9.7, 10.0, "R"), (10.0, 13.0, "C"), (10.6, 11.2, "R")],
])
def test_only_a_short_hole_at_the_cut_in_under_the_other_voice_is_bridged(turns):
    assert find_interruptions(build_timeline(turns, CUSTOMER_WORDS, roles=ROLES)) == []
