"""Talk time, talk ratio, non-talk time and turns on hand-built timelines."""

import pytest

from listenlens.pipeline.metrics import (
    MetricsConfig,
    analyze_floor,
    longest_turn,
    non_talk_time,
    side_talk_time,
    speaker_switches,
    switches_per_minute,
    talk_ratio,
    talk_times,
)
from listenlens.pipeline.timeline import Role, build_timeline

ROLES = {"R": "rep", "C": "customer"}


def words(spk, t0, text, step=0.5):
    return [(t0 + i * step, t0 + (i + 1) * step, w, spk) for i, w in enumerate(text.split())]


def spans(floor):
    return [(t.speaker, t.start, t.end) for t in floor.turns]


def test_a_speakers_short_pauses_are_their_talk():
    # The rep's 0.4 s breath between sentences is talk, their 1.0 s silence is not.
    tl = build_timeline([(0, 3, "R"), (3.4, 6, "R"), (7, 9, "R"), (10, 14, "C")], roles=ROLES)
    assert side_talk_time(tl, Role.REP) == pytest.approx(6.0 + 2.0)
    assert side_talk_time(tl, Role.REP, pause_s=0) == pytest.approx(7.6)
    assert talk_ratio(tl) == pytest.approx(8.0 / 12.0)
    assert non_talk_time(tl) == pytest.approx(1.0 + 1.0)
    assert non_talk_time(tl, pause_s=0) == pytest.approx(0.4 + 1.0 + 1.0)


def test_a_pause_the_other_side_speaks_in_stays_a_pause():
    tl = build_timeline([(0, 3, "R"), (3.6, 6, "R"), (3.1, 3.5, "C"), (8, 10, "C")], roles=ROLES)
    assert side_talk_time(tl, Role.REP) == pytest.approx(5.4)
    assert side_talk_time(tl, Role.CUSTOMER) == pytest.approx(2.4)  # its own 4.5 s gap is no pause


def test_the_scorecard_reads_talk_with_its_configured_pause():
    from listenlens.pipeline.scorecard import ScorecardConfig, score_call

    tl = build_timeline([(0, 3, "R"), (3.5, 6, "R"), (7, 13, "C")], roles=ROLES)
    filled = score_call(tl)
    split = score_call(tl, ScorecardConfig(metrics=MetricsConfig(talk_pause_s=0)))
    assert filled.metrics.talk_ratio == pytest.approx(6 / 12, abs=1e-3)
    assert split.metrics.talk_ratio == pytest.approx(5.5 / 11.5, abs=1e-3)
    assert filled.metrics.talk_time_s.rep == pytest.approx(6.0) and split.metrics.talk_time_s.rep == pytest.approx(5.5)
    assert [s.talk_time_s for s in filled.speakers if s.label == "R"] == [pytest.approx(6.0)]
    assert filled.metrics.non_talk_s == pytest.approx(1.0) and split.metrics.non_talk_s == pytest.approx(1.5)


def test_own_overlaps_are_counted_once():
    tl = build_timeline([(0, 10, "R"), (5, 12, "R"), (14, 20, "C")], roles=ROLES)
    by = {s.label: s.talk_time_s for s in talk_times(tl)}
    assert by == {"C": 6.0, "R": 12.0}
    assert talk_ratio(tl) == pytest.approx(12 / 18)
    assert non_talk_time(tl) == pytest.approx(2.0)  # 12-14


def test_three_speakers_and_an_unknown_one():
    tl = build_timeline(
        [(0, 4, "R1"), (3, 6, "R2"), (8, 10, "C"), (10, 13, "U")],
        roles={"R1": "rep", "R2": "rep", "C": "customer"},
    )
    assert side_talk_time(tl, Role.REP) == pytest.approx(6.0)  # 0-6: the two reps' overlap once
    assert side_talk_time(tl, Role.UNKNOWN) == pytest.approx(3.0)
    assert talk_ratio(tl) == pytest.approx(6 / 8)  # the unknown speaker is on neither side
    assert non_talk_time(tl) == pytest.approx(2.0)


def test_empty_timeline():
    tl = build_timeline([])
    assert talk_times(tl) == []
    assert talk_ratio(tl) is None
    assert non_talk_time(tl) == 0.0
    floor = analyze_floor(tl)
    assert floor.turns == [] and floor.backchannels == []
    assert switches_per_minute(floor) is None


def test_words_stand_in_for_a_speaker_without_speech_turns():
    tl = build_timeline([(0, 4, "R")], words("C", 5, "we need more leads"), roles=ROLES)
    assert {s.label: s.talk_time_s for s in talk_times(tl)}["C"] == pytest.approx(2.0)


def test_turn_holds_through_pauses_shorter_than_pause_s():
    tl = build_timeline([(0, 5, "R"), (6.9, 10, "R"), (12, 15, "R")], roles=ROLES)
    assert spans(analyze_floor(tl)) == [("R", 0, 10), ("R", 12, 15)]  # 1.9 s joins, 2.0 s splits
    assert spans(analyze_floor(tl, MetricsConfig(pause_s=2.5))) == [("R", 0, 15)]


def test_backchannel_inside_a_monologue():
    tl = build_timeline(
        [(0, 30, "R"), (30.5, 60, "R"), (20, 21.2, "C"), (40, 40.8, "C")],
        [(20, 20.4, "Yeah,", "C"), (20.4, 21.2, "I see.", "C"), (40, 40.8, "no way really", "C")],
        roles=ROLES,
    )
    floor = analyze_floor(tl)
    assert spans(floor) == [("R", 0, 60)]
    # 1.2 s but only listener tokens; 3 other words in under 1.0 s
    assert [(b.utterance.start, b.holder) for b in floor.backchannels] == [(20, "R"), (40, "R")]
    assert longest_turn(floor.turns, Role.REP).duration == 60
    assert longest_turn(floor.turns, Role.CUSTOMER) is None
    assert speaker_switches(floor.turns) == 0


def test_longer_speech_inside_the_holders_takes_no_floor():
    tl = build_timeline([(0, 30, "R"), (10, 12, "C")], words("C", 10, "that is not true"), roles=ROLES)
    floor = analyze_floor(tl)
    assert spans(floor) == [("R", 0, 30)]
    assert [u.speaker for u in floor.talk_over] == ["C"] and floor.backchannels == []


def test_a_backchannel_that_leads_into_a_turn_starts_that_turn():
    tl = build_timeline(
        [(0, 5, "R"), (5.5, 5.8, "C"), (6.2, 12, "C")],
        [(5.5, 5.8, "Yeah.", "C")] + words("C", 6.2, "so the issue is we need more leads"),
        roles=ROLES,
    )
    floor = analyze_floor(tl)
    assert spans(floor) == [("R", 0, 5), ("C", 5.5, 12)]
    assert floor.backchannels == []


def test_short_reply_after_the_floor_is_free_is_a_turn():
    tl = build_timeline([(0, 5, "R"), (8, 8.3, "C"), (9, 12, "R")], [(8, 8.3, "okay", "C")], roles=ROLES)
    floor = analyze_floor(tl)
    assert spans(floor) == [("R", 0, 5), ("C", 8, 8.3), ("R", 9, 12)]
    assert speaker_switches(floor.turns) == 2
    assert switches_per_minute(floor) == pytest.approx(2 / (12 / 60))


def test_floor_taken_in_the_holders_pause():
    tl = build_timeline([(0, 5, "R"), (6, 10, "R"), (5.2, 5.9, "C")],
                        [(5.2, 5.9, "no that is wrong", "C")], roles=ROLES)
    assert spans(analyze_floor(tl)) == [("R", 0, 5), ("C", 5.2, 5.9), ("R", 6, 10)]


def test_overlap_at_the_very_start():
    tl = build_timeline([(0, 5, "A"), (0, 3, "B")], words("B", 0, "we were just talking about it"),
                        roles={"A": "rep", "B": "customer"})
    floor = analyze_floor(tl)
    assert spans(floor) == [("A", 0, 5)]  # the longer one holds the floor; nobody interrupted
    assert [u.speaker for u in floor.talk_over] == ["B"]
    assert talk_ratio(tl) == pytest.approx(5 / 8)
    assert non_talk_time(tl) == 0.0


def test_several_speakers_per_side_take_turns_by_speaker():
    tl = build_timeline([(0, 4, "R1"), (4.5, 8, "R2"), (9, 15, "C1"), (15.2, 20, "C2"), (21, 22, "U")],
                        roles={"R1": "rep", "R2": "rep", "C1": "customer", "C2": "customer"})
    floor = analyze_floor(tl)
    assert [t.speaker for t in floor.turns] == ["R1", "R2", "C1", "C2", "U"]
    assert [t.role for t in floor.turns][-1] == Role.UNKNOWN
    assert longest_turn(floor.turns, Role.CUSTOMER).speaker == "C1"
    assert speaker_switches(floor.turns) == 4


def _rttm(path):
    files = {}
    for line in open(path, encoding="utf-8"):
        p = line.split()
        files.setdefault(p[1], []).append((float(p[3]), float(p[3]) + float(p[4]), p[7]))
    return files


def test_talk_and_non_talk_time_agree_with_an_independent_implementation_on_real_turns():
    """Human-made RTTM turns (pyannote sample call, AMI excerpts) against call-ai-metrics."""
    from pathlib import Path

    cam_segments = pytest.importorskip("call_ai_metrics._segments")
    cam_metrics = pytest.importorskip("call_ai_metrics._metrics")
    data = Path("/work/shared/data")
    if not data.exists():
        pytest.skip("shared reference data not present")
    files = _rttm(data / "pyannote-sample/sample.rttm")
    for split in ("train", "development", "test"):
        files.update(_rttm(data / f"ami-debug/debug.{split}.rttm"))
    assert len(files) == 15
    for name, turns in files.items():
        tl = build_timeline(turns)
        theirs = cam_metrics.measure(cam_segments.build_timeline(turns, None), grace_s=0.5, max_turn_pause_s=2.0)
        ours = {s.label: s.talk_time_s for s in talk_times(tl, pause_s=0)}
        assert ours == pytest.approx({k: v.talk_time for k, v in theirs.parties.items() if k in ours}, abs=1e-6), name
        assert non_talk_time(tl, pause_s=0) == pytest.approx(theirs.silence, abs=1e-6), name


@pytest.mark.parametrize("hum", [
    "Mmmm.", "MMMM,", "Hmmm.", "Mmm hmm.", "M -M -H -M -M.", "M -H -N -M.", "Mhmm", "Uh-huhhh.", "Um-hum.",
    "hmm hmm hmm hmm", "Yeahhh.", "Okaaay.", "Riiight.",
])
def test_a_hum_or_a_drawn_out_listener_word_is_a_backchannel_however_it_is_spelled(hum):
    # 1.4 s: too long for the duration rule, so only the words can make it a backchannel
    tl = build_timeline([(0, 30, "R"), (10, 11.4, "C")], [(10, 11.4, hum, "C")], roles=ROLES)
    floor = analyze_floor(tl)
    assert spans(floor) == [("R", 0, 30)]
    assert [b.utterance.start for b in floor.backchannels] == [10]


@pytest.mark.parametrize("text", ["mum's the word", "not now", "no way man", "hmm that is not right"])
def test_other_words_are_not_taken_for_a_hum(text):
    tl = build_timeline([(0, 30, "R"), (10, 11.4, "C")], [(10, 11.4, text, "C")], roles=ROLES)
    assert analyze_floor(tl).backchannels == []


@pytest.mark.parametrize("closing", ["Thanks, bye.", "You too, bye.", "Yes.", "Okay."])
def test_a_short_reply_the_holder_does_not_go_on_after_takes_the_floor(closing):
    tl = build_timeline([(0, 5, "R"), (5.4, 6.0, "C")], [(5.4, 6.0, closing, "C")], roles=ROLES)
    floor = analyze_floor(tl)
    assert spans(floor) == [("R", 0, 5), ("C", 5.4, 6.0)]
    assert floor.backchannels == []


def test_a_short_reply_the_holder_goes_on_after_is_a_backchannel():
    tl = build_timeline([(0, 5, "R"), (5.4, 6.0, "C"), (6.6, 12, "R")], [(5.4, 6.0, "Yes, exactly.", "C")],
                        roles=ROLES)
    floor = analyze_floor(tl)
    assert spans(floor) == [("R", 0, 12)]
    assert [b.utterance.start for b in floor.backchannels] == [5.4]


def test_a_backchannel_the_holder_talked_on_after_does_not_lead_into_the_next_turn():
    # "Mm-hmm" inside the rep's sentence, then the customer takes the floor after it ends
    tl = build_timeline(
        [(0, 5, "R"), (3, 3.5, "C"), (5.4, 9.4, "C")],
        [(3, 3.5, "Mm-hmm.", "C")] + words("C", 5.4, "that would make a real difference for us"),
        roles=ROLES,
    )
    floor = analyze_floor(tl)
    assert spans(floor) == [("R", 0, 5), ("C", 5.4, 9.4)]
    assert [b.utterance.start for b in floor.backchannels] == [3]
