"""What to coach: ranking by impact, moments in plain words, and the names people read."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "ui"))

from coaching_seed import CONFIG, call_timeline  # noqa: E402
from listenlens.pipeline.scorecard import Verdict, score_call  # noqa: E402
from listenlens.pipeline.scorecard.coaching import (  # noqa: E402
    CallCard,
    coach_call,
    coach_rep,
    component_impact,
    ranked_moments,
)
from listenlens.pipeline.scorecard.names import SpeakerNames, heard_name, names_from_timeline  # noqa: E402
from listenlens.pipeline.timeline import build_timeline  # noqa: E402

RAW_LABELS = ("SPK_REP", "SPK_CUS", "SPEAKER_0", "CH0", "CH1")


@pytest.fixture(scope="module")
def talker():
    """The rep talks 88% of the time and rushes three of four questions."""
    tl = call_timeline(0.88, 1, 4)
    return tl, score_call(tl, CONFIG)


def test_the_furthest_from_target_comes_first_with_its_moment(talker):
    tl, card = talker
    assert card.component("talk_ratio").score == 0
    items = coach_call(card, names_from_timeline(tl, rep_name="sam"))
    assert [i.component for i in items] == ["talk_ratio", "four_second_rule"]
    first = items[0]
    assert first.verdict is Verdict.FAR and first.value == "88%"
    assert first.finding == "sam did 88% of the talking; the target is 35-50%."
    assert "Let the customer answer" in first.suggestion
    # The moment to play is the rep's longest turn, said in plain words.
    longest = max(t.end - t.start for t in card.metrics.turns if t.role.value == "rep")
    assert first.moment is not None and first.moment.kind == "rep_turn"
    assert first.moment.end - first.moment.start == pytest.approx(longest, abs=0.01)
    assert first.moment.text.startswith("sam talked for ") and first.moment.text.endswith(" in one go")
    assert items[1].moment is not None and items[1].moment.kind == "four_second_rule"


def test_moments_are_ranked_by_impact_and_said_in_plain_words(talker):
    tl, card = talker
    names = names_from_timeline(tl, rep_name="sam")
    moments = ranked_moments(card, names)
    coach = [m for m in moments if not m.good]
    good = [m for m in moments if m.good]
    assert coach and good and moments.index(good[0]) > moments.index(coach[-1]), "good examples come last"
    impacts = [m.impact for m in coach]
    assert impacts == sorted(impacts, reverse=True)
    # Talk ratio costs 3 points of weight here, the four-second rule less: its moments come first.
    assert coach[0].component == "talk_ratio"
    assert {m.kind for m in coach} >= {"rep_turn", "four_second_rule"}
    for m in moments:
        assert not any(label in m.text for label in RAW_LABELS), m.text
        assert all(line.who in ("sam", "Customer") for line in m.transcript)
    rushed = next(m for m in coach if m.kind == "four_second_rule")
    assert rushed.text.startswith("sam asked “") and "answered it after 1.0 s, before Customer could reply" in rushed.text


def test_a_call_on_target_has_nothing_to_coach():
    tl = call_timeline(0.45, 4, 4)
    card = score_call(tl, CONFIG)
    off = [c for c in card.components if c.verdict in (Verdict.NEAR, Verdict.FAR)]
    assert coach_call(card) == [] if not off else all(i.impact > 0 for i in coach_call(card))
    assert all(component_impact(c) == 0 for c in card.components if c.verdict in (Verdict.MET, Verdict.NOT_SCORED))


def test_rep_coaching_ranks_by_mean_impact_across_calls():
    cards = [CallCard(f"c{i}", score_call(call_timeline(ratio, honoured, 4), CONFIG))
             for i, (ratio, honoured) in enumerate([(0.45, 1), (0.5, 1), (0.7, 4)])]
    items = coach_rep(cards)
    # Rushed questions on two of three calls cost more than one talkative call.
    assert items[0].component == "four_second_rule" and items[0].calls == 3
    assert items[0].finding.startswith("Off target on 2 of 3 calls")
    assert items[0].moment is not None and items[0].moment.call_id in ("c0", "c1")
    assert items[1].component == "talk_ratio" and items[1].moment.call_id == "c2"


def test_names_prefer_the_given_name_then_a_heard_one_then_the_role():
    speakers = [("SPEAKER_00", "customer"), ("SPEAKER_01", "rep")]
    words = [("SPEAKER_01", "Hi, this is Sam from Acme."), ("SPEAKER_00", "Hello, my name is Dana, I run ops.")]
    heard = SpeakerNames.build(speakers, words)
    assert heard["SPEAKER_01"] == "Sam" and heard["SPEAKER_00"] == "Dana"
    given = SpeakerNames.build(speakers, words, rep_name="sam")
    assert given.rep == "sam" and given.customer == "Dana"
    plain = SpeakerNames.build(speakers, [("SPEAKER_00", "this is great from what I hear")])
    assert plain["SPEAKER_01"] == "Rep" and plain["SPEAKER_00"] == "Customer"
    # An enrolled voice's name comes first; the given rep name goes to the rep no voice named.
    voices = SpeakerNames.build([("A", "rep"), ("B", "rep"), ("C", "customer")], words, rep_name="sam",
                                known={"B": "Lee Park"})
    assert [voices[x] for x in "ABC"] == ["sam", "Lee Park", "Customer"]
    several = SpeakerNames.build([("CH0", "rep"), ("CH1", "customer"), ("CH2", "customer"), ("X", "unknown")])
    assert [several[x] for x in ("CH0", "CH1", "CH2", "X")] == ["Rep", "Customer 1", "Customer 2", "Other speaker"]
    assert several.customer == "Customer" and several["nobody"] == "Other speaker"


@pytest.mark.parametrize("text,name", [
    ("my name is Priya and I look after sales", "Priya"),
    ("Hi, this is Sam from Acme", "Sam"),
    ("I'm Jo with Northwind, thanks for having me", "Jo"),
    ("Hello, Alex speaking", "Alex"),
    ("this is great from our side", None),
    ("I'm Sorry from the start", None),
    ("i am calling from the office", None),
])
def test_heard_names(text, name):
    assert heard_name(text) == name


def test_names_from_a_built_timeline():
    tl = build_timeline([(0, 2, "A"), (2, 4, "B")], [(0, 1, "Hi,", "A"), (0.5, 1, "my", "A"), (1, 1.5, "name", "A"),
                                                    (1.5, 1.7, "is", "A"), (1.7, 2, "Kim.", "A")],
                        {"A": "customer", "B": "rep"}, duration=4)
    names = names_from_timeline(tl, rep_name=None)
    assert names["A"] == "Kim" and names["B"] == "Rep"
