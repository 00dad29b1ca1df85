"""What was said, end to end: calls built with known content, through the whole pipeline.

A self-promoting rep praises the product, pitches back at a price objection, lets 6 s
of dead air pass and ends with no next step; an attentive rep asks open questions,
promises a follow-up and agrees a meeting. Each event must be found near where its line
was placed (the recogniser's words and times vary by CPU: never exact words, and times
within a tolerance).
"""

from __future__ import annotations

import pytest

from callsynth import Line, make_call

pytestmark = pytest.mark.slow

# A sentence's moment starts at its first recognised word: within this of where it was placed.
TOL = 1.0

PROMOTING = [
    Line("rep", "Hi, this is Sam from Acme.", at=0.5),
    Line("customer", "Hello Sam.", gap=0.8),
    Line("rep", "We are the market leader in fleet safety.", gap=0.8),  # 2: self-promotion
    Line("rep", "Our software is award-winning and trusted by the top fleets in the world.", gap=0.6),  # 3
    Line("customer", "Honestly, it sounds too expensive for us.", gap=0.8),  # 4: price objection
    Line("rep", "But our platform is the best value on the market, nobody else comes close.", gap=0.7),  # 5: pitch
    Line("customer", "I will have to think about it.", gap=0.8),
    Line("rep", "Okay, thanks for your time.", gap=6.0),  # 7: after 6 s of dead air
    Line("customer", "Bye.", gap=0.6),
]

ATTENTIVE = [
    Line("rep", "Hi, this is Sam from Acme.", at=0.5),
    Line("customer", "Hello Sam.", gap=0.8),
    Line("rep", "What made you look at new tools this quarter?", gap=0.8),  # 2: open
    Line("customer", "Our renewals are slipping and the team is tired of spreadsheets.", gap=1.0),
    Line("rep", "How does your team track renewals today?", gap=0.8),  # 4: open
    Line("customer", "Mostly in spreadsheets, and it takes two days every month.", gap=1.0),
    Line("rep", "Why does it take your team two full days?", gap=0.8),  # 6: open
    Line("customer", "Because every account is checked by hand.", gap=1.0),
    Line("rep", "Can we go through it together on Friday at two?", gap=0.8),  # 8: proposes the next step
    Line("customer", "Yes, Friday at two works for me.", gap=0.8),  # 9: agrees
    Line("rep", "Great, I'll send you a summary of your numbers by tomorrow.", gap=0.8),  # 10: follow-up
]


def _score(script, path):
    from listenlens.config import Settings
    from listenlens.pipeline.analyze import analyze_call

    truth = make_call(script, path, stereo=True, crosstalk_db=-28)
    settings = Settings(scorecard={"trackers": {"pricing": ["expensive", "price"]}})
    return analyze_call(path, settings, channels="rep,customer").scorecard, truth


@pytest.fixture(scope="module")
def promoting(tmp_path_factory):
    return _score(PROMOTING, tmp_path_factory.mktemp("content") / "promoting.wav")


@pytest.fixture(scope="module")
def attentive(tmp_path_factory):
    return _score(ATTENTIVE, tmp_path_factory.mktemp("content") / "attentive.wav")


def _near(moments, kind, t, tol=TOL):
    return [m for m in moments if m.kind == kind and abs(m.start - t) <= tol]


def test_a_self_promoting_rep_shows_self_promotion_and_low_customer_focus(promoting):
    card, truth = promoting
    for i in (2, 3, 5):
        assert _near(card.moments, "self_promotion", truth[i].start), (i, truth[i].text, card.metrics.self_promotion)
    assert card.metrics.self_promotion.count >= 3
    focus = card.metrics.customer_focus
    assert focus.share is not None and focus.share < 0.5, focus
    assert card.component("customer_focus").verdict.value in ("near", "far")


def test_the_objection_is_found_with_the_reps_pitch_back(promoting):
    card, truth = promoting
    (obj,) = _near(card.moments, "objection", truth[4].start)
    assert obj.type == "price" and obj.response_kind == "pitching" and not obj.good
    m = next(o for o in card.metrics.objections if abs(o.start - truth[4].start) <= TOL)
    assert m.response is not None and abs(m.response.start - truth[5].start) <= TOL
    assert m.pause_s == pytest.approx(truth[5].start - truth[4].end, abs=0.5)


def test_dead_air_no_next_step_and_a_tracker_hit(promoting):
    card, truth = promoting
    (air,) = [m for m in card.moments if m.kind == "dead_air"]
    assert air.start == pytest.approx(truth[6].end, abs=0.5) and air.end == pytest.approx(truth[7].start, abs=0.5)
    assert air.duration_s == pytest.approx(6.0, abs=0.8)
    assert [m.kind for m in card.moments if m.kind in ("next_step", "missing_next_step")] == ["missing_next_step"]
    assert card.metrics.next_step.found is False
    hits = [h for h in card.metrics.trackers if h.tracker == "pricing"]
    assert len(hits) == 1 and hits[0].role.value == "customer"
    assert truth[4].start - 0.3 <= hits[0].start <= truth[4].end + 0.3


def test_an_attentive_rep_shows_no_self_promotion_open_questions_and_the_agreed_next_step(attentive, promoting):
    card, truth = attentive
    assert [m for m in card.moments if m.kind == "self_promotion"] == [] and card.metrics.self_promotion.count == 0
    q = card.metrics.question_quality
    assert q.open >= 3 and q.open_share >= 0.7, q
    for i in (2, 4, 6):
        rated = [x for x in q.questions if abs(x.start - truth[i].start) <= TOL]
        assert rated and rated[0].type == "open" and rated[0].yield_s >= 1.5, (i, q.questions)
    ns = card.metrics.next_step
    assert ns.found and ns.said is not None and abs(ns.said.start - truth[8].start) <= TOL, ns
    assert ns.agreed_by is not None and abs(ns.agreed_by.start - truth[9].start) <= TOL
    (step,) = [m for m in card.moments if m.kind in ("next_step", "missing_next_step")]
    assert step.kind == "next_step" and step.good
    assert _near(card.moments, "follow_up", truth[10].start)
    assert card.metrics.customer_focus.share > promoting[0].metrics.customer_focus.share
    assert [m for m in card.moments if m.kind == "dead_air"] == []
